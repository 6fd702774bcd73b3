"""The request policy: 429 with Retry-After and a bounded wait, QUOTA_EXCEEDED, 5xx backoff, 4xx messages."""

from __future__ import annotations

import socket
from dataclasses import replace

import pytest
import spotipy
from fake_spotify_api import FakeSpotify
from spotify_test_support import FAST_POLICY

from playlist_builder.config import Settings
from playlist_builder.errors import InputError, SpotifyAuthError, SpotifyError
from playlist_builder.spotify.client import SpotifyNotFoundError, make_client
from playlist_builder.spotify.importer import fetch_playlist


def test_requests_go_to_the_configured_api_url(client: spotipy.Spotify, fake_spotify: FakeSpotify) -> None:
    assert client.prefix == fake_spotify.api_url
    assert client.me()["id"] == "clinic-user"
    assert fake_spotify.calls("GET", "/v1/me")


def test_a_429_waits_as_long_as_retry_after_says(
    client: spotipy.Spotify, fake_spotify: FakeSpotify, sleeps: list[float]
) -> None:
    fake_spotify.fail(429, path="/v1/me", times=2, headers={"Retry-After": "3"})
    assert client.me()["id"] == "clinic-user"
    assert sleeps == [3.0, 3.0]
    assert len(fake_spotify.calls("GET", "/v1/me")) == 3


def test_a_429_asking_for_more_than_the_budget_stops_at_once(
    client: spotipy.Spotify, fake_spotify: FakeSpotify, sleeps: list[float]
) -> None:
    fake_spotify.fail(429, path="/v1/me", headers={"Retry-After": "86400"})
    with pytest.raises(SpotifyError, match=r"rate-limiting.*try again in a few minutes"):
        client.me()
    assert sleeps == []
    assert len(fake_spotify.calls("GET", "/v1/me")) == 1


def test_the_wait_budget_covers_the_whole_command(
    client: spotipy.Spotify, fake_spotify: FakeSpotify, sleeps: list[float]
) -> None:
    fake_spotify.fail(429, path="/v1/me", times=100, headers={"Retry-After": "4"})
    with pytest.raises(SpotifyError, match="rate-limiting"):
        client.me()
    assert sum(sleeps) <= FAST_POLICY.max_total_wait_s
    assert sleeps == [4.0, 4.0]


def test_quota_exceeded_stops_without_retrying(
    client: spotipy.Spotify, fake_spotify: FakeSpotify, sleeps: list[float]
) -> None:
    body = {"error": {"status": 429, "message": "Too many requests", "reason": "QUOTA_EXCEEDED"}}
    fake_spotify.fail(429, path="/v1/me", body=body, headers={"Retry-After": "1"}, times=5)
    with pytest.raises(SpotifyError, match=r"QUOTA_EXCEEDED.*wait for it to reset"):
        client.me()
    assert sleeps == []
    assert len(fake_spotify.calls("GET", "/v1/me")) == 1


def test_server_errors_are_retried_with_growing_backoff(
    client: spotipy.Spotify, fake_spotify: FakeSpotify, sleeps: list[float]
) -> None:
    fake_spotify.fail(503, path="/v1/me", times=2)
    fake_spotify.fail(500, path="/v1/me", times=1)
    assert client.me()["id"] == "clinic-user"
    assert sleeps == [0.5, 1.0, 2.0]


def test_a_server_that_keeps_failing_gets_a_clear_message(
    client: spotipy.Spotify, fake_spotify: FakeSpotify, sleeps: list[float]
) -> None:
    fake_spotify.fail(502, path="/v1/me", times=100)
    with pytest.raises(SpotifyError, match=r"having trouble \(HTTP 502.*try again later"):
        client.me()
    assert len(fake_spotify.calls("GET", "/v1/me")) == FAST_POLICY.max_attempts


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("Active premium subscription required for the owner of the app.", "needs an active Premium"),
        ("User not registered in the Developer Dashboard", "not on the app's allow-list"),
        ("Insufficient client scope", "spotify login"),
    ],
)
def test_403s_say_what_to_do(
    client: spotipy.Spotify, fake_spotify: FakeSpotify, message: str, expected: str
) -> None:
    fake_spotify.fail(403, path="/v1/me", body={"error": {"status": 403, "message": message}})
    with pytest.raises(SpotifyError, match=expected) as caught:
        client.me()
    assert "\n" not in str(caught.value)


def test_reading_someone_elses_playlist_explains_development_mode(
    client: spotipy.Spotify, fake_spotify: FakeSpotify
) -> None:
    playlist_id = fake_spotify.add_playlist("Not mine", [], owner="someone-else")
    with pytest.raises(SpotifyError, match="only playlists you own or collaborate on"):
        fetch_playlist(client, playlist_id)


def test_a_404_is_its_own_error(client: spotipy.Spotify) -> None:
    with pytest.raises(SpotifyNotFoundError, match=r"404.*check the playlist URL or ID"):
        fetch_playlist(client, "0" * 22)


def test_a_401_that_refreshing_cannot_fix_asks_to_sign_in(
    client: spotipy.Spotify, fake_spotify: FakeSpotify
) -> None:
    fake_spotify.fail(401, path="/v1/me", times=5)
    with pytest.raises(SpotifyAuthError, match="spotify login"):
        client.me()


def test_network_down_says_to_check_the_connection(signed_in: Settings, sleeps: list[float]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}/v1/"
    client = make_client(replace(signed_in, spotify_api_url=dead), policy=FAST_POLICY, sleep=sleeps.append)
    with pytest.raises(SpotifyError, match="cannot be reached: check the network connection"):
        client.me()
    assert len(sleeps) == FAST_POLICY.network_attempts - 1


def test_offline_mode_refuses_before_any_request(signed_in: Settings) -> None:
    with pytest.raises(SpotifyError, match="offline"):
        make_client(replace(signed_in, offline=True))


def test_a_malformed_playlist_reference_is_bad_input(client: spotipy.Spotify) -> None:
    with pytest.raises(InputError, match="not a Spotify playlist"):
        fetch_playlist(client, "https://example.com/not-spotify")
