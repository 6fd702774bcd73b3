"""The command line's library group and error boundary, driven through CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from playlist_builder.cli import COMMANDS, cli
from tests.conftest import write_tone


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "Sesión"
    write_tone(root / "Lluvia suave.flac")
    write_tone(root / "sub" / "Océano.wav", seconds=2)
    (root / "broken.mp3").write_bytes(b"\x00" * 300)
    return root


def test_scan_then_list_json_and_show(runner: CliRunner, settings, folder: Path) -> None:
    result = runner.invoke(cli, ["library", "scan", str(folder)])
    assert result.exit_code == 0, result.output
    assert "Scanned 3 files" in result.stdout and "1 unreadable" in result.stdout
    assert "broken.mp3" in result.stderr
    listed = runner.invoke(cli, ["library", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout)
    by_title = {row["title"]: row for row in rows}
    assert by_title["Océano"]["path"] == str(folder / "sub" / "Océano.wav")
    assert by_title["Océano"]["duration_s"] == pytest.approx(2.0, abs=0.01)
    for key in (
        "id",
        "source",
        "path",
        "title",
        "artist",
        "duration_s",
        "category",
        "secondary_category",
        "lyrics",
        "energy",
        "binaural",
        "confidence",
        "reasons",
    ):
        assert key in by_title["Océano"]
    shown = runner.invoke(cli, ["library", "show", str(folder / "Lluvia suave.flac")])
    assert shown.exit_code == 0, shown.output
    assert "Lluvia suave" in shown.stdout


def test_scan_json_summary(runner: CliRunner, settings, folder: Path) -> None:
    result = runner.invoke(cli, ["library", "scan", "--json", str(folder)])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["files_seen"], summary["added"], summary["failed"]) == (3, 3, 1)
    assert summary["problems"][0]["path"].endswith("broken.mp3")


def test_missing_path_is_usage_error_without_traceback(runner: CliRunner, settings, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["library", "scan", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert "no such file or folder" in result.stderr
    assert "Traceback" not in result.output


def test_folder_without_audio_is_exit_2(runner: CliRunner, settings, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x")
    result = runner.invoke(cli, ["library", "scan", str(tmp_path)])
    assert result.exit_code == 2 and "no audio files found" in result.stderr


def test_unknown_track_is_exit_2(runner: CliRunner, settings) -> None:
    result = runner.invoke(cli, ["library", "show", "999"])
    assert result.exit_code == 2 and "no track with id 999" in result.stderr


def test_bad_database_url_is_one_line_exit_1(runner: CliRunner, isolated_home: Path) -> None:
    result = runner.invoke(cli, ["--db", "postgresql://u:p@127.0.0.1:9/x", "library", "list"])
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and "cannot open database" in result.stderr


def test_every_command_has_help_with_an_example(runner: CliRunner) -> None:
    def walk(command: click.Command, path: list[str]) -> None:
        result = runner.invoke(cli, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert (command.help or "").strip(), f"{' '.join(path)} has no help text"
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                walk(sub, [*path, name])
        else:
            assert "Example" in (command.help or ""), f"{' '.join(path)} help has no example"

    ctx = click.Context(cli)
    for name in COMMANDS:
        command = cli.get_command(ctx, name)
        assert command is not None
        walk(command, [name])


def test_version_and_module_entry_point() -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "playlist_builder", "--version"], capture_output=True, text=True
    )
    assert result.returncode == 0 and "playlist-builder" in result.stdout
