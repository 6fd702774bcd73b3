"""Spotify fixtures: the fake Web API and accounts service, settings pointed at them, a signed-in client."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import spotipy

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fake_spotify_api import FakeSpotify
from spotify_test_support import FAST_POLICY, write_sign_in

from playlist_builder.config import Settings, load_settings
from playlist_builder.spotify.client import make_client


@pytest.fixture
def fake_spotify() -> Iterator[FakeSpotify]:
    """A running fake Spotify (Web API + accounts) on 127.0.0.1."""
    fake = FakeSpotify().start()
    yield fake
    fake.stop()


@pytest.fixture
def sp_settings(settings: Settings, fake_spotify: FakeSpotify, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings (and environment, for CLI runs) pointing the real client at the fake."""
    monkeypatch.setenv("PLAYLIST_BUILDER_SPOTIFY_API_URL", fake_spotify.api_url)
    monkeypatch.setenv("PLAYLIST_BUILDER_SPOTIFY_ACCOUNTS_URL", fake_spotify.accounts_url)
    monkeypatch.setenv("SPOTIFY_CLIENT_ID", fake_spotify.client_id)
    return load_settings()


@pytest.fixture
def signed_in(sp_settings: Settings, fake_spotify: FakeSpotify) -> Settings:
    """Settings with a valid cached sign-in."""
    write_sign_in(sp_settings, fake_spotify)
    return sp_settings


@pytest.fixture
def sleeps() -> list[float]:
    """Collects the waits the client would have slept."""
    return []


@pytest.fixture
def client(signed_in: Settings, sleeps: list[float]) -> spotipy.Spotify:
    """A real spotipy client, signed in, talking to the fake, sleeping into `sleeps`."""
    return make_client(signed_in, policy=FAST_POLICY, sleep=sleeps.append)
