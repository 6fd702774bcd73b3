"""Spotify faults that once cost a clinic: an orphan playlist, a lost sign-in, a traceback on a header."""

from __future__ import annotations

from datetime import date

import pytest
import spotipy
from click.testing import CliRunner
from fake_spotify_api import FakeSpotify
from spotify_test_support import FAST_POLICY, write_sign_in
from test_spotify_sync import make_session

from playlist_builder.cli import cli
from playlist_builder.config import Settings
from playlist_builder.db.library import Library
from playlist_builder.errors import SpotifyAuthError, SpotifyError
from playlist_builder.services.spotify import sync_session
from playlist_builder.spotify import auth
from playlist_builder.spotify.client import make_client

TODAY = date(2026, 11, 23)


# --- a create that fails after Spotify acted (issue 13 item 9) ---------------------------------------


@pytest.mark.parametrize("fault", [{"status": 500}, {"status": 502}, {"status": 0, "drop": True}])
def test_a_create_that_fails_after_spotify_made_the_playlist_makes_no_second_one(
    library: Library, client: spotipy.Spotify, fake_spotify: FakeSpotify, fault: dict[str, object]
) -> None:
    session_id, expected = make_session(library, fake_spotify, 5)
    fake_spotify.fail(method="POST", path="/v1/me/playlists", after=True, **fault)  # type: ignore[arg-type]
    report = sync_session(library, client, session_id, today=TODAY)
    assert len(fake_spotify.playlists) == 1, "an orphan playlist was made"
    assert len(fake_spotify.calls("POST", "/v1/me/playlists")) == 1  # never sent blindly again
    [playlist_id] = fake_spotify.playlists
    assert report.playlist_id == playlist_id and report.created
    assert fake_spotify.playlist_uris(playlist_id) == expected
    record = library.syncs(session_id, kind="spotify")[-1]
    assert record.external_id == playlist_id and record.details["status"] == "created"
    again = sync_session(library, client, session_id, today=TODAY)
    assert again.playlist_id == playlist_id and len(fake_spotify.playlists) == 1


def test_a_create_that_failed_before_acting_is_tried_again(
    library: Library, client: spotipy.Spotify, fake_spotify: FakeSpotify
) -> None:
    session_id, expected = make_session(library, fake_spotify, 3)
    fake_spotify.fail(500, method="POST", path="/v1/me/playlists")  # refused, nothing made
    report = sync_session(library, client, session_id, today=TODAY)
    assert len(fake_spotify.playlists) == 1
    assert len(fake_spotify.calls("POST", "/v1/me/playlists")) == 2
    assert fake_spotify.playlist_uris(report.playlist_id) == expected


def test_a_run_killed_before_recording_the_id_finds_its_playlist(
    library: Library, client: spotipy.Spotify, fake_spotify: FakeSpotify
) -> None:
    session_id, expected = make_session(library, fake_spotify, 3)
    first = sync_session(library, client, session_id, today=TODAY)
    with library.engine.begin() as conn:  # as if killed right after Spotify made the playlist
        conn.exec_driver_sql("DELETE FROM syncs")
    second = sync_session(library, client, session_id, today=TODAY)
    assert second.playlist_id == first.playlist_id and len(fake_spotify.playlists) == 1
    assert len(fake_spotify.calls("POST", "/v1/me/playlists")) == 1
    assert fake_spotify.playlist_uris(first.playlist_id) == expected


def test_another_sessions_playlist_is_not_taken(
    library: Library, client: spotipy.Spotify, fake_spotify: FakeSpotify
) -> None:
    one, _ = make_session(library, fake_spotify, 2)
    two, _ = make_session(library, fake_spotify, 2)
    first = sync_session(library, client, one, today=TODAY)
    second = sync_session(library, client, two, today=TODAY)
    assert first.playlist_id != second.playlist_id and len(fake_spotify.playlists) == 2


def test_a_create_that_keeps_failing_says_so(
    library: Library, client: spotipy.Spotify, fake_spotify: FakeSpotify
) -> None:
    session_id, _ = make_session(library, fake_spotify, 2)
    fake_spotify.fail(503, method="POST", path="/v1/me/playlists", times=10)
    with pytest.raises(SpotifyError, match=r"HTTP 503.*no playlist was made"):
        sync_session(library, client, session_id, today=TODAY)
    assert fake_spotify.playlists == {}


# --- the token endpoint busy or failing (issue 13 item 10) -------------------------------------------


@pytest.mark.parametrize("status", [429, 500, 503])
def test_a_busy_token_endpoint_keeps_the_sign_in(
    sp_settings: Settings, fake_spotify: FakeSpotify, sleeps: list[float], status: int
) -> None:
    old = write_sign_in(sp_settings, fake_spotify, expires_in=-10)
    fake_spotify.fail(status, path="/api/token", times=10, headers={"Retry-After": "2"})
    client = make_client(sp_settings, policy=FAST_POLICY, sleep=sleeps.append)
    with pytest.raises(SpotifyError, match="sign-in is kept") as info:
        client.me()
    assert not isinstance(info.value, SpotifyAuthError)
    cached = auth.TokenCache(sp_settings.token_cache_path).load()
    assert cached is not None and cached["refresh_token"] == old["refresh_token"]
    assert sleeps and max(sleeps) <= auth.TOKEN_RETRY_MAX_WAIT_S
    fake_spotify.faults.clear()  # later, the service answers again: the same sign-in still works
    assert make_client(sp_settings, policy=FAST_POLICY).me()["id"] == "clinic-user"


def test_one_429_at_the_token_endpoint_is_waited_out(
    sp_settings: Settings, fake_spotify: FakeSpotify, sleeps: list[float]
) -> None:
    write_sign_in(sp_settings, fake_spotify, expires_in=-10)
    fake_spotify.fail(429, path="/api/token", headers={"Retry-After": "soon"})
    client = make_client(sp_settings, policy=FAST_POLICY, sleep=sleeps.append)
    assert client.me()["id"] == "clinic-user"
    assert sleeps == [1.0]


def test_only_invalid_grant_forgets_the_sign_in(sp_settings: Settings, fake_spotify: FakeSpotify) -> None:
    write_sign_in(sp_settings, fake_spotify, expires_in=-10)
    fake_spotify.fail(400, path="/api/token", body={"error": "invalid_request"})
    with pytest.raises(SpotifyAuthError):
        make_client(sp_settings, policy=FAST_POLICY).me()
    assert auth.TokenCache(sp_settings.token_cache_path).load() is not None
    fake_spotify.expire_refresh_tokens()
    with pytest.raises(SpotifyAuthError, match="expired"):
        make_client(sp_settings, policy=FAST_POLICY).me()
    assert auth.TokenCache(sp_settings.token_cache_path).load() is None


# --- Retry-After that is not a number (issue 13 item 11) ---------------------------------------------


@pytest.mark.parametrize("header", ["soon", "Tue, 99 Foo 2026 25:61:00 GMT", "nan", "-5"])
def test_a_retry_after_that_is_not_a_number_waits_a_bounded_time(
    client: spotipy.Spotify, fake_spotify: FakeSpotify, sleeps: list[float], header: str
) -> None:
    fake_spotify.fail(429, path="/v1/me", headers={"Retry-After": header})
    assert client.me()["id"] == "clinic-user"
    assert len(sleeps) == 1 and 0.0 <= sleeps[0] <= FAST_POLICY.default_retry_after_s


def test_retry_after_soon_through_the_cli_is_no_traceback(
    runner: CliRunner, signed_in: Settings, fake_spotify: FakeSpotify
) -> None:
    fake_spotify.add_track("Still", "X")
    fake_spotify.fail(429, path="/search", headers={"Retry-After": "soon"}, times=1)
    result = runner.invoke(cli, ["spotify", "import", "--search", "still"])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output


# --- the wait budget from the environment (optional tuning) ------------------------------------------


def test_the_wait_budget_can_be_set_in_the_environment(
    runner: CliRunner, signed_in: Settings, fake_spotify: FakeSpotify, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLAYLIST_BUILDER_SPOTIFY_MAX_WAIT_S", "0")
    fake_spotify.fail(429, path="/search", headers={"Retry-After": "1"}, times=1)
    result = runner.invoke(cli, ["spotify", "import", "--search", "still"])
    assert result.exit_code == 1 and "rate-limiting" in result.output
    assert len(fake_spotify.calls("GET", "/search")) == 1  # no wait allowed, so no second try
    monkeypatch.setenv("PLAYLIST_BUILDER_SPOTIFY_MAX_WAIT_S", "soon")
    result = runner.invoke(cli, ["spotify", "import", "--search", "still"])
    assert result.exit_code == 2 and "PLAYLIST_BUILDER_SPOTIFY_MAX_WAIT_S" in result.output
