"""`playlist-builder users` and `serve`: accounts from the command line, the app's start checks."""

from __future__ import annotations

import json

from click.testing import CliRunner

from playlist_builder.cli import cli
from playlist_builder.cli.serve import app_url
from playlist_builder.config import Settings
from playlist_builder.db import accounts
from playlist_builder.db.library import Library
from playlist_builder.services.users import authenticate


def test_users_add_hashes_the_password_and_lists(settings: Settings, runner: CliRunner) -> None:
    added = runner.invoke(cli, ["users", "add", "amira", "--role", "clinician", "--password-stdin"],
                          input="a long enough secret\n")  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "Created account amira (clinician)" in added.output
    library = Library.open(settings.db_url)
    try:
        [record] = accounts.list_users(library)
        assert (
            record.password_hash.startswith("$argon2id$")
            and "a long enough secret" not in record.password_hash
        )
        assert authenticate(library, "amira", "a long enough secret") is not None
        assert authenticate(library, "amira", "a long enough secreT") is None
        assert authenticate(library, "nobody", "a long enough secret") is None
    finally:
        library.close()
    listed = runner.invoke(cli, ["users", "list", "--json"])
    assert json.loads(listed.output) == [{"name": "amira", "role": "clinician"}]


def test_users_add_refuses_bad_input(settings: Settings, runner: CliRunner) -> None:
    short = runner.invoke(
        cli, ["users", "add", "desk", "--role", "staff", "--password-stdin"], input="short\n"
    )
    assert short.exit_code == 2 and "at least 8 characters" in short.output
    role = runner.invoke(cli, ["users", "add", "desk", "--role", "admin", "--password-stdin"], input="x" * 12)
    assert role.exit_code == 2
    name = runner.invoke(
        cli, ["users", "add", "Dr Who", "--role", "staff", "--password-stdin"], input="x" * 12
    )
    assert name.exit_code == 2 and "account name" in name.output
    runner.invoke(cli, ["users", "add", "desk", "--role", "staff", "--password-stdin"], input="x" * 12)
    again = runner.invoke(
        cli, ["users", "add", "desk", "--role", "staff", "--password-stdin"], input="y" * 12
    )
    assert again.exit_code == 2 and "already exists" in again.output


def test_users_add_prompts_twice_without_stdin(settings: Settings, runner: CliRunner) -> None:
    result = runner.invoke(
        cli, ["users", "add", "bo", "--role", "staff"], input="password one\npassword one\n"
    )
    assert result.exit_code == 0 and "Created account bo (staff)" in result.output


def test_serve_has_help_with_an_example(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["serve", "--help"])
    assert result.exit_code == 0 and "Example" in result.output and "--port" in result.output
    assert "Example" in runner.invoke(cli, ["users", "add", "--help"]).output


def test_app_url() -> None:
    assert app_url("127.0.0.1", 8400) == "http://127.0.0.1:8400/"
    assert app_url("::1", 9000) == "http://[::1]:9000/"
    assert app_url("0.0.0.0", 8400) == "http://127.0.0.1:8400/"


def test_serve_prints_its_url_and_serves(settings: Settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os
    import socket
    import subprocess
    import sys
    import time
    from pathlib import Path

    import requests

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    binary = Path(sys.executable).with_name("playlist-builder")
    server = subprocess.Popen(
        [str(binary), "--db", settings.db_url, "serve", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ},
    )  # fmt: skip
    try:
        assert server.stdout is not None
        first = server.stdout.readline()
        assert f"http://127.0.0.1:{port}/" in first
        for _ in range(100):
            try:
                page = requests.get(f"http://127.0.0.1:{port}/library", timeout=5)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        assert page.status_code == 200 and "Library" in page.text
        assert "httponly" in page.headers["set-cookie"].lower()
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        foreign = requests.get(
            f"http://127.0.0.1:{port}/library", headers={"Host": "evil.example"}, timeout=5
        )
        assert foreign.status_code == 400  # DNS rebinding: another host name is refused
    finally:
        server.terminate()
        server.wait(10)
