"""Helpers shared by the Spotify tests (a module with a unique name, so imports are unambiguous)."""

from __future__ import annotations

import time
from pathlib import Path

from fake_spotify_api import FakeSpotify

from playlist_builder.config import Settings
from playlist_builder.spotify.auth import TokenCache
from playlist_builder.spotify.client import RetryPolicy
from playlist_builder.text import load_matching_rules

# Real numbers for budgets (so the logic is exercised as shipped) but no real sleeping: tests
# pass `sleeps.append` as the sleep function and assert what would have been waited.
# The shipped matching rules (rules/matching.toml), as the product loads them.
MATCHING = load_matching_rules(Path(__file__).resolve().parents[2] / "rules")

FAST_POLICY = RetryPolicy(max_total_wait_s=10.0, max_attempts=4, backoff_first_s=0.5, backoff_max_s=2.0)


def write_sign_in(settings: Settings, fake: FakeSpotify, *, expires_in: float = 3600) -> dict[str, object]:
    """A cached sign-in as `spotify login` leaves it, with tokens the fake knows."""
    now = time.time()
    token = {
        "access_token": fake.issue_token(expires_in=max(expires_in, 1)),
        "refresh_token": fake.issue_refresh_token(),
        "token_type": "Bearer",
        "scope": "playlist-read-private",
        "expires_in": 3600,
        "expires_at": int(now + expires_in),
        "client_id": fake.client_id,
        "signed_in_at": int(now) - 86_400,
    }
    TokenCache(settings.token_cache_path).save(token)
    return token
