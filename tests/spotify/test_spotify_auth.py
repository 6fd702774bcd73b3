"""PKCE sign-in, the 0600 token cache, and token refresh against the fake accounts service."""

from __future__ import annotations

import re
import socket
import stat
import threading
import time
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from fake_spotify_api import FakeSpotify
from spotify_test_support import FAST_POLICY, write_sign_in

from playlist_builder.config import Settings
from playlist_builder.errors import SpotifyAuthError, SpotifyError
from playlist_builder.spotify import auth, loopback
from playlist_builder.spotify.client import make_client


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def browser_that_approves(url: str) -> None:
    """Plays the clinician's browser: follow the accounts redirect to the loopback server."""
    threading.Thread(target=lambda: requests.get(url, timeout=5), daemon=True).start()


# --- PKCE pieces -----------------------------------------------------------------------------------


def test_code_challenge_matches_the_rfc_7636_example() -> None:
    # RFC 7636 appendix B
    assert auth.code_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == (
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )


def test_code_verifiers_are_long_unreserved_and_fresh() -> None:
    verifiers = {auth.make_code_verifier() for _ in range(20)}
    assert len(verifiers) == 20
    for verifier in verifiers:
        assert 43 <= len(verifier) <= 128
        assert re.fullmatch(r"[A-Za-z0-9\-._~]+", verifier)
        assert "=" not in auth.code_challenge(verifier)


def test_authorize_url_asks_for_s256_a_loopback_redirect_and_only_needed_scopes() -> None:
    url = auth.authorize_url("https://accounts.example", "cid", auth.redirect_uri(8765), "CH", "ST")
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert url.startswith("https://accounts.example/authorize?")
    assert query["redirect_uri"] == "http://127.0.0.1:8765/callback"
    assert query["code_challenge_method"] == "S256"
    assert query["code_challenge"] == "CH" and query["state"] == "ST" and query["response_type"] == "code"
    assert set(query["scope"].split()) == {
        "playlist-read-private",
        "playlist-read-collaborative",
        "user-library-read",
        "playlist-modify-private",
        "playlist-modify-public",
    }


def test_a_reply_for_another_request_is_refused() -> None:
    with pytest.raises(SpotifyAuthError, match="state mismatch"):
        loopback.check_reply(loopback.CallbackReply(code="C", state="other", error=None), "mine")
    with pytest.raises(SpotifyAuthError, match="access_denied"):
        loopback.check_reply(loopback.CallbackReply(code=None, state="mine", error="access_denied"), "mine")
    assert loopback.check_reply(loopback.CallbackReply(code="C", state="mine", error=None), "mine") == "C"


# --- the token cache -------------------------------------------------------------------------------


def test_token_cache_is_private_atomic_and_removable(tmp_path) -> None:
    cache = auth.TokenCache(tmp_path / "sub" / "spotify-token.json")
    assert cache.load() is None
    cache.save({"access_token": "A", "refresh_token": "R", "expires_at": 1})
    mode = stat.S_IMODE(cache.path.stat().st_mode)
    assert mode == 0o600
    assert [p.name for p in cache.path.parent.iterdir()] == ["spotify-token.json"]  # no temp file left
    assert cache.load() == {"access_token": "A", "refresh_token": "R", "expires_at": 1}
    cache.save({"access_token": "B"})
    assert cache.load() == {"access_token": "B"}
    assert cache.clear() is True
    assert cache.clear() is False


def test_a_damaged_cache_asks_to_sign_in_again(tmp_path) -> None:
    path = tmp_path / "spotify-token.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(SpotifyAuthError, match="spotify login"):
        auth.TokenCache(path).load()


# --- the whole sign-in against the fake accounts service -------------------------------------------


def test_login_runs_pkce_through_the_loopback_server(
    sp_settings: Settings, fake_spotify: FakeSpotify
) -> None:
    cache = auth.TokenCache(sp_settings.token_cache_path)
    port = free_port()
    token = auth.login(cache, fake_spotify.accounts_url, fake_spotify.client_id, port, browser_that_approves)
    # The fake only issues tokens when SHA256(verifier) equals the challenge sent to /authorize.
    assert token["access_token"] in fake_spotify.access_tokens
    assert token["refresh_token"] in fake_spotify.refresh_tokens
    assert token["client_id"] == fake_spotify.client_id
    assert stat.S_IMODE(cache.path.stat().st_mode) == 0o600
    authorize = next(r for r in fake_spotify.log if r.path == "/authorize")
    assert authorize.query["redirect_uri"] == f"http://127.0.0.1:{port}/callback"
    exchange = next(r for r in fake_spotify.log if r.path == "/api/token")
    assert "client_secret" not in exchange.body and exchange.body["code_verifier"]


def test_login_refused_in_the_browser_says_so(sp_settings: Settings, fake_spotify: FakeSpotify) -> None:
    fake_spotify.deny_sign_in = True
    cache = auth.TokenCache(sp_settings.token_cache_path)
    with pytest.raises(SpotifyAuthError, match="access_denied"):
        auth.login(
            cache, fake_spotify.accounts_url, fake_spotify.client_id, free_port(), browser_that_approves
        )
    assert cache.load() is None


def test_login_rejects_a_forged_callback(sp_settings: Settings, fake_spotify: FakeSpotify) -> None:
    port = free_port()

    def forger(_url: str) -> None:
        target = f"http://127.0.0.1:{port}/callback?code=STOLEN&state=guess"
        threading.Thread(target=lambda: requests.get(target, timeout=5), daemon=True).start()

    cache = auth.TokenCache(sp_settings.token_cache_path)
    with pytest.raises(SpotifyAuthError, match="state mismatch"):
        auth.login(cache, fake_spotify.accounts_url, fake_spotify.client_id, port, forger)
    assert not any(r.path == "/api/token" for r in fake_spotify.log)


def test_login_gives_up_when_the_browser_never_answers(
    sp_settings: Settings, fake_spotify: FakeSpotify
) -> None:
    cache = auth.TokenCache(sp_settings.token_cache_path)
    started = time.monotonic()
    with pytest.raises(SpotifyAuthError, match="no answer from the browser"):
        auth.login(cache, fake_spotify.accounts_url, "cid", free_port(), lambda _url: None, timeout_s=0.3)
    assert time.monotonic() - started < 3


def test_login_on_a_busy_port_says_which_option_to_change(sp_settings: Settings) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(SpotifyError, match="--port"):
            auth.login(auth.TokenCache(sp_settings.token_cache_path), "http://127.0.0.1:9", "c", port, print)


# --- refresh ---------------------------------------------------------------------------------------


def test_an_expired_access_token_is_refreshed_and_the_refresh_token_kept(
    sp_settings: Settings, fake_spotify: FakeSpotify
) -> None:
    old = write_sign_in(sp_settings, fake_spotify, expires_in=-10)
    client = make_client(sp_settings, policy=FAST_POLICY)
    assert client.me()["id"] == "clinic-user"
    cached = auth.TokenCache(sp_settings.token_cache_path).load()
    assert cached is not None
    assert cached["access_token"] != old["access_token"]
    assert cached["refresh_token"] == old["refresh_token"]  # Spotify did not rotate it
    assert cached["signed_in_at"] == old["signed_in_at"]  # refreshing does not extend the six months
    assert stat.S_IMODE(sp_settings.token_cache_path.stat().st_mode) == 0o600


def test_a_rotated_refresh_token_replaces_the_old_one(
    sp_settings: Settings, fake_spotify: FakeSpotify
) -> None:
    fake_spotify.rotate_refresh_tokens = True
    old = write_sign_in(sp_settings, fake_spotify, expires_in=-10)
    make_client(sp_settings, policy=FAST_POLICY).me()
    cached = auth.TokenCache(sp_settings.token_cache_path).load()
    assert cached is not None and cached["refresh_token"] != old["refresh_token"]


def test_an_expired_refresh_token_asks_to_sign_in_again(
    sp_settings: Settings, fake_spotify: FakeSpotify
) -> None:
    write_sign_in(sp_settings, fake_spotify, expires_in=-10)
    fake_spotify.expire_refresh_tokens()
    client = make_client(sp_settings, policy=FAST_POLICY)
    with pytest.raises(SpotifyAuthError, match=r"expired .*six months.*spotify login"):
        client.me()
    assert auth.TokenCache(sp_settings.token_cache_path).load() is None  # Spotify says: discard it


def test_a_401_with_a_cached_sign_in_refreshes_once_and_retries(
    sp_settings: Settings, fake_spotify: FakeSpotify
) -> None:
    write_sign_in(sp_settings, fake_spotify)
    fake_spotify.revoke_access_tokens()  # the cached access token is no longer accepted
    assert make_client(sp_settings, policy=FAST_POLICY).me()["id"] == "clinic-user"
    assert [r.path for r in fake_spotify.log if r.server == "accounts"] == ["/api/token"]


def test_a_rejected_env_token_names_the_variable(sp_settings: Settings, fake_spotify: FakeSpotify) -> None:
    settings = replace(sp_settings, spotify_token="not-a-token")
    with pytest.raises(SpotifyAuthError, match="PLAYLIST_BUILDER_SPOTIFY_TOKEN"):
        make_client(settings, policy=FAST_POLICY).me()


def test_an_env_token_needs_no_cache(sp_settings: Settings, fake_spotify: FakeSpotify) -> None:
    settings = replace(sp_settings, spotify_token=fake_spotify.issue_token())
    assert make_client(settings, policy=FAST_POLICY).me()["display_name"] == "Praxis Müller"
    assert not settings.token_cache_path.exists()


def test_without_a_sign_in_the_client_says_how_to_sign_in(sp_settings: Settings) -> None:
    with pytest.raises(SpotifyAuthError, match="spotify login"):
        make_client(sp_settings)
