"""The `spotify` command group end to end: real spotipy, fake Spotify, one-line errors and exit codes."""

from __future__ import annotations

import functools
import json
import socket
import stat
import threading
import webbrowser

import pytest
import requests
from click.testing import CliRunner
from fake_spotify_api import FakeSpotify
from spotify_test_support import FAST_POLICY

from playlist_builder.cli import cli
from playlist_builder.cli import spotify as spotify_cli
from playlist_builder.config import Settings
from playlist_builder.db.library import Library
from playlist_builder.model import Category, PlanItem, SessionPlan, Source, Track
from playlist_builder.spotify.client import make_client
from playlist_builder.spotify.importer import track_from_spotify


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI's client with small retry budgets and no real sleeping."""
    monkeypatch.setattr(
        spotify_cli, "make_client", functools.partial(make_client, policy=FAST_POLICY, sleep=lambda _s: None)
    )


def run(runner: CliRunner, *args: str) -> object:
    return runner.invoke(cli, ["spotify", *args], catch_exceptions=False)


@pytest.mark.parametrize("command", ["login", "logout", "status", "import", "sync"])
def test_every_command_has_help_with_an_example(runner: CliRunner, command: str) -> None:
    result = runner.invoke(cli, ["spotify", command, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output and "playlist-builder spotify" in result.output


def test_status_when_not_signed_in(runner: CliRunner, sp_settings: Settings) -> None:
    result = run(runner, "status")
    assert result.exit_code == 0
    assert "Not signed in to Spotify: run `playlist-builder spotify login`" in result.output


def test_status_names_the_account(runner: CliRunner, signed_in: Settings) -> None:
    result = run(runner, "status")
    assert result.exit_code == 0, result.output
    assert "Signed in to Spotify as Praxis Müller (clinic-user) (via sign-in cache)" in result.output
    assert "Sign in again before" in result.output
    data = json.loads(run(runner, "status", "--json").stdout)
    assert data["signed_in"] is True and data["user_id"] == "clinic-user"


def test_login_logout_round_trip(
    runner: CliRunner, sp_settings: Settings, fake_spotify: FakeSpotify, monkeypatch: pytest.MonkeyPatch
) -> None:
    def browser(url: str, *args: object, **kwargs: object) -> bool:
        threading.Thread(target=lambda: requests.get(url, timeout=5), daemon=True).start()
        return True

    monkeypatch.setattr(webbrowser, "open", browser)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = run(runner, "login", "--port", str(port), "--timeout", "10")
    assert result.exit_code == 0, result.output
    assert "Signed in to Spotify as Praxis Müller" in result.output
    assert f"http://127.0.0.1:{port}/callback" in result.output
    assert stat.S_IMODE(sp_settings.token_cache_path.stat().st_mode) == 0o600
    result = run(runner, "logout")
    assert result.exit_code == 0 and "Signed out" in result.output
    assert not sp_settings.token_cache_path.exists()


def test_login_without_a_client_id_says_where_to_get_one(
    runner: CliRunner, sp_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SPOTIFY_CLIENT_ID")
    result = runner.invoke(cli, ["spotify", "login"])
    assert result.exit_code == 2
    assert "SPOTIFY_CLIENT_ID" in result.output
    assert "Traceback" not in result.output


def test_import_reports_counts_and_points_to_classify(
    runner: CliRunner, signed_in: Settings, fake_spotify: FakeSpotify
) -> None:
    uris = [fake_spotify.add_track(f"Nocturne {i}", "Élodie", duration_ms=200_000)["uri"] for i in range(3)]
    playlist_id = fake_spotify.add_playlist("Abends", [*uris, "spotify:local:A:B:C:100"])
    result = run(runner, "import", "--playlist", playlist_id)
    assert result.exit_code == 0, result.output
    assert f"playlist {playlist_id}: 3 tracks (3 new, 0 already in the library)" in result.output
    assert "skipped 1" in result.output
    assert "playlist-builder classify" in result.output
    again = json.loads(run(runner, "import", "--playlist", playlist_id, "--json").stdout)
    assert again["imports"][0]["new"] == 0 and again["imports"][0]["updated"] == 3


def test_import_needs_something_to_import(runner: CliRunner, signed_in: Settings) -> None:
    result = runner.invoke(cli, ["spotify", "import"])
    assert result.exit_code == 2


def test_a_bad_playlist_reference_is_exit_2(runner: CliRunner, signed_in: Settings) -> None:
    result = runner.invoke(cli, ["spotify", "import", "--playlist", "https://example.com/x"])
    assert result.exit_code == 2
    assert "not a Spotify playlist" in result.output


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (
            403,
            {
                "error": {
                    "status": 403,
                    "message": "Active premium subscription required for the owner of the app.",
                }
            },
            "needs an active Premium",
        ),
        (
            403,
            {"error": {"status": 403, "message": "User not registered in the Developer Dashboard"}},
            "allow-list",
        ),
        (
            429,
            {"error": {"status": 429, "message": "Too many requests", "reason": "QUOTA_EXCEEDED"}},
            "QUOTA_EXCEEDED",
        ),
        (503, None, "try again later"),
        (401, None, "spotify login"),
    ],
)
def test_errors_are_one_line_with_exit_1(
    runner: CliRunner,
    signed_in: Settings,
    fake_spotify: FakeSpotify,
    status: int,
    body: object,
    expected: str,
) -> None:
    fake_spotify.add_track("Still", "X")
    fake_spotify.fail(status, path="/search", body=body, times=100)
    result = runner.invoke(cli, ["spotify", "import", "--search", "still"])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and expected in lines[0], result.output
    assert "Traceback" not in result.output


def test_not_signed_in_import_says_how_to_sign_in(runner: CliRunner, sp_settings: Settings) -> None:
    result = runner.invoke(cli, ["spotify", "import", "--saved"])
    assert result.exit_code == 1
    assert "not signed in to Spotify: run `playlist-builder spotify login`" in result.output


def test_network_down_is_one_line(
    runner: CliRunner, signed_in: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        monkeypatch.setenv(
            "PLAYLIST_BUILDER_SPOTIFY_API_URL", f"http://127.0.0.1:{sock.getsockname()[1]}/v1/"
        )
    result = runner.invoke(cli, ["spotify", "import", "--saved"])
    assert result.exit_code == 1
    assert "check the network connection" in result.output


def test_sync_prints_the_playlist_and_what_was_left_out(
    runner: CliRunner, signed_in: Settings, library: Library, fake_spotify: FakeSpotify
) -> None:
    objs = [fake_spotify.add_track(f"Welle {i}", "Meer", duration_ms=240_000) for i in range(3)]
    ids = library.upsert_tracks([track_from_spotify(o) for o in objs])
    root = library.add_root("/musik")
    [local_id] = library.upsert_tracks(
        [Track(Source.LOCAL, "möwe.flac", "Möwe", artist="Küste")], root_id=root
    )
    items = tuple(
        PlanItem(pos, tid, "onset", 0.0, 240.0, 6.0, 6.0, 0.2, Category.NATURE, "t")
        for pos, tid in enumerate([ids[0], local_id, ids[1], ids[2]], start=1)
    )
    session_id = library.save_session(
        SessionPlan("gentle", 16.0, 1, items, total_s=960.0, patient_code="P-9")
    )
    result = run(runner, "sync", str(session_id))
    assert result.exit_code == 0, result.output
    assert "Created private playlist https://open.spotify.com/playlist/" in result.output
    assert "with 3 tracks (order checked)" in result.output
    assert "Left out 1 of 4 session tracks" in result.output and "#2 Küste - Möwe" in result.output
    again = run(runner, "sync", str(session_id))
    assert "Updated private playlist" in again.output
    strict = runner.invoke(cli, ["spotify", "sync", str(session_id), "--strict"])
    assert strict.exit_code == 1 and "no Spotify match" in strict.output


def test_sync_of_an_unknown_session_is_exit_2(runner: CliRunner, signed_in: Settings) -> None:
    result = runner.invoke(cli, ["spotify", "sync", "999"])
    assert result.exit_code == 2
    assert "no session with id 999" in result.output


def test_import_can_classify_right_after(
    runner: CliRunner, signed_in: Settings, fake_spotify: FakeSpotify
) -> None:
    uris = [fake_spotify.add_track(f"Drone {i}", "Stille", duration_ms=300_000)["uri"] for i in range(2)]
    result = runner.invoke(
        cli, ["spotify", "import", "--playlist", fake_spotify.add_playlist("P", uris), "--classify"]
    )
    assert result.exit_code == 0, result.output
    assert "Classified 2 tracks" in result.output
    assert "playlist-builder review list" in result.output  # metadata alone leaves them for review
