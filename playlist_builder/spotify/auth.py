"""Spotify sign-in: PKCE with a loopback redirect, the 0600 token cache, and token refresh."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import secrets
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import requests

from playlist_builder.errors import SpotifyAuthError, SpotifyError
from playlist_builder.spotify.loopback import (
    REDIRECT_HOST,
    REDIRECT_PATH,
    check_reply,
    loopback_server,
    wait_for_reply,
)

# Read playlists and saved tracks for import; write playlists for sync. Nothing else is asked for,
# so a clinician sees a short consent screen and the token cannot touch playback or the profile.
SCOPES: tuple[str, ...] = (
    "playlist-read-private",
    "playlist-read-collaborative",
    "user-library-read",
    "playlist-modify-private",
    "playlist-modify-public",
)
LOGIN_TIMEOUT_S = 300.0  # long enough to type a password and approve, short enough not to hang forever
ACCOUNTS_TIMEOUT_S = 15.0  # one token request; the accounts service answers in well under a second
EXPIRY_MARGIN_S = 60  # refresh this long before the access token runs out, so a request never races it
# RFC 7636 §4.1: 43–128 characters. 64 random bytes give 86 base64url characters (512 bits of entropy).
VERIFIER_BYTES = 64
REFRESH_TOKEN_LIFETIME_DAYS = 182  # Spotify asks users to sign in again six months after sign-in
# A busy (429) or failing (5xx) token endpoint is asked again a couple of times, waiting at most a
# few seconds each: renewing a token must not hold up a command for long, and the sign-in is never
# thrown away over it (the next command simply tries again).
TOKEN_ATTEMPTS = 3
TOKEN_RETRY_MAX_WAIT_S = 5.0

SIGN_IN_AGAIN = "run `playlist-builder spotify login`"
NOT_SIGNED_IN = f"not signed in to Spotify: {SIGN_IN_AGAIN} (or set PLAYLIST_BUILDER_SPOTIFY_TOKEN)"
EXPIRED = f"your Spotify sign-in has expired (Spotify asks again every six months): {SIGN_IN_AGAIN}"


# --- PKCE pieces (RFC 7636) ------------------------------------------------------------------------


def make_code_verifier(n_bytes: int = VERIFIER_BYTES) -> str:
    """A fresh high-entropy code verifier: base64url characters, 43–128 long."""
    verifier = secrets.token_urlsafe(n_bytes)
    if not 43 <= len(verifier) <= 128:
        raise ValueError(f"a code verifier must be 43-128 characters, got {len(verifier)}")
    return verifier


def code_challenge(verifier: str) -> str:
    """The S256 challenge of a verifier: BASE64URL(SHA256(ASCII(verifier))) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def make_state() -> str:
    """An unguessable value tying the browser's reply to this sign-in attempt."""
    return secrets.token_urlsafe(24)


def redirect_uri(port: int) -> str:
    """The loopback redirect to register in the Spotify app's settings."""
    return f"http://{REDIRECT_HOST}:{port}{REDIRECT_PATH}"


def authorize_url(
    accounts_url: str,
    client_id: str,
    redirect: str,
    challenge: str,
    state: str,
    scopes: tuple[str, ...] = SCOPES,
) -> str:
    """The accounts-service page the clinician's browser opens to approve the app."""
    query = urlencode(
        {
            "client_id": client_id,
            "response_type": "code",
            "redirect_uri": redirect,
            "code_challenge_method": "S256",
            "code_challenge": challenge,
            "state": state,
            "scope": " ".join(scopes),
        }
    )
    return f"{accounts_url.rstrip('/')}/authorize?{query}"


# --- the token cache -------------------------------------------------------------------------------


class TokenCache:
    """The signed-in token as JSON in the data dir, readable by the owner only (mode 0600)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> dict[str, Any] | None:
        """The cached token, or None when nobody is signed in."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise SpotifyAuthError(f"cannot read the Spotify sign-in at {self.path}: {exc.strerror}") from exc
        with contextlib.suppress(OSError):
            if os.name == "posix" and self.path.stat().st_mode & 0o077:
                os.chmod(self.path, 0o600)  # tighten a cache someone loosened by hand
        try:
            token = json.loads(text)
        except ValueError:
            token = None
        if not isinstance(token, dict) or not token.get("access_token"):
            raise SpotifyAuthError(f"the Spotify sign-in at {self.path} is damaged: {SIGN_IN_AGAIN}")
        return token

    def save(self, token: dict[str, Any]) -> None:
        """Write atomically (temp file, fsync, rename) with mode 0600 from the first byte."""
        data = json.dumps(token, indent=2, sort_keys=True).encode("utf-8")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
        except OSError as exc:
            raise SpotifyError(
                f"cannot save the Spotify sign-in in {self.path.parent}: {exc.strerror}"
            ) from exc
        try:
            with os.fdopen(fd, "wb") as handle:  # mkstemp creates the file 0600
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def clear(self) -> bool:
        """Forget the sign-in; True when there was one."""
        try:
            self.path.unlink()
        except FileNotFoundError:
            return False
        return True


# --- the accounts service --------------------------------------------------------------------------


def _token_request(
    session: requests.Session,
    accounts_url: str,
    form: dict[str, str],
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """POST to the token endpoint, retrying a busy or failing service a few times (bounded wait).

    Only a refusal comes back as `_TokenRefused`; rate limits (429), server errors and a lost
    network are `SpotifyError`s that leave the sign-in as it is, to be tried again later.
    """
    url = f"{accounts_url.rstrip('/')}/api/token"
    for attempt in range(1, TOKEN_ATTEMPTS + 1):
        try:
            response = session.post(url, data=form, timeout=ACCOUNTS_TIMEOUT_S)
        except requests.RequestException as exc:
            raise SpotifyError(
                f"cannot reach Spotify's sign-in service at {accounts_url}: check the network connection "
                "(or PLAYLIST_BUILDER_SPOTIFY_ACCOUNTS_URL) and try again; your sign-in is kept"
            ) from exc
        status = response.status_code
        if status == 429 or status >= 500:
            if attempt < TOKEN_ATTEMPTS:
                sleep(_token_retry_wait(response, attempt))
                continue
            busy = "is rate-limiting this app" if status == 429 else "failed"
            raise SpotifyError(
                f"Spotify's sign-in service {busy} (HTTP {status}, {attempt} tries): try again in a few "
                "minutes; your sign-in is kept"
            )
        try:
            body = response.json()
        except ValueError:
            body = {}
        if status != 200 or not isinstance(body, dict) or "access_token" not in body:
            error = body.get("error", "") if isinstance(body, dict) else ""
            raise _TokenRefused(str(error or f"HTTP {status}"))
        return body
    raise AssertionError("unreachable: the last attempt returns or raises")  # pragma: no cover


def _token_retry_wait(response: requests.Response, attempt: int) -> float:
    """Retry-After when it is a small number of seconds, else 1, 2 … s; never over the cap."""
    value = (response.headers.get("Retry-After") or "").strip()
    try:
        asked = float(value)
    except ValueError:
        asked = float("nan")
    backoff = float(2 ** (attempt - 1))
    wait = asked if 0.0 <= asked <= TOKEN_RETRY_MAX_WAIT_S else backoff  # NaN fails the comparison
    return min(wait, TOKEN_RETRY_MAX_WAIT_S)


class SignInExpiredError(SpotifyAuthError):
    """Spotify definitively refused the refresh token (`invalid_grant`): the sign-in is dead."""


class _TokenRefused(Exception):
    """The accounts service said no; `error` is its OAuth error code."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


def _stamp(body: dict[str, Any], now: float, client_id: str, signed_in_at: float) -> dict[str, Any]:
    """A token reply with the facts needed later: expiry time, client id, original sign-in time."""
    token = dict(body)
    token["expires_at"] = int(now) + int(body.get("expires_in", 3600))
    token["client_id"] = client_id
    token["signed_in_at"] = int(signed_in_at)
    return token


def exchange_code(
    session: requests.Session,
    accounts_url: str,
    client_id: str,
    code: str,
    redirect: str,
    verifier: str,
    now: float | None = None,
) -> dict[str, Any]:
    """Trade the authorization code and the verifier for access and refresh tokens."""
    now = time.time() if now is None else now
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect,
        "client_id": client_id,
        "code_verifier": verifier,
    }
    try:
        body = _token_request(session, accounts_url, form)
    except _TokenRefused as exc:
        if exc.error == "invalid_client":
            raise SpotifyAuthError(
                f"Spotify does not know client id {client_id!r} (invalid_client): check SPOTIFY_CLIENT_ID"
            ) from exc
        raise SpotifyAuthError(f"Spotify refused the sign-in code ({exc.error}): run login again") from exc
    return _stamp(body, now, client_id, now)


def refresh_token(
    session: requests.Session,
    accounts_url: str,
    token: dict[str, Any],
    now: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """A new access token from the refresh token; `invalid_grant` means the sign-in has expired."""
    now = time.time() if now is None else now
    refresh = token.get("refresh_token")
    client_id = token.get("client_id")
    if not refresh or not client_id:
        raise SpotifyAuthError(EXPIRED)
    form = {"grant_type": "refresh_token", "refresh_token": str(refresh), "client_id": str(client_id)}
    try:
        body = _token_request(session, accounts_url, form, sleep)
    except _TokenRefused as exc:
        if exc.error == "invalid_grant":
            raise SignInExpiredError(EXPIRED) from exc
        raise SpotifyAuthError(
            f"Spotify refused to renew the sign-in ({exc.error}): {SIGN_IN_AGAIN}"
        ) from exc
    renewed = _stamp(body, now, str(client_id), float(token.get("signed_in_at", now)))
    # Spotify may or may not rotate the refresh token; keep the old one when none comes back.
    renewed.setdefault("refresh_token", refresh)
    return renewed


class TokenManager:
    """Hands spotipy a valid access token, refreshing from the cache as needed (thread-safe)."""

    def __init__(
        self,
        cache: TokenCache,
        accounts_url: str,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.cache = cache
        self.accounts_url = accounts_url
        self.session = session or requests.Session()
        self.clock = clock
        self.sleep = sleep
        self._token: dict[str, Any] | None = None
        self._lock = threading.Lock()

    def _current(self) -> dict[str, Any]:
        if self._token is None:
            self._token = self.cache.load()
        if self._token is None:
            raise SpotifyAuthError(NOT_SIGNED_IN)
        return self._token

    def _refresh(self, token: dict[str, Any]) -> dict[str, Any]:
        try:
            renewed = refresh_token(
                self.session, self.accounts_url, token, now=self.clock(), sleep=self.sleep
            )
        except SignInExpiredError:
            # Only Spotify's definitive refusal forgets the sign-in (it says to discard a dead
            # refresh token; `status` then says so). Busy, failing or other refusals keep it.
            self._token = None
            self.cache.clear()
            raise
        self.cache.save(renewed)
        self._token = renewed
        return renewed

    def get_access_token(self, as_dict: bool = False) -> Any:
        """spotipy's auth-manager hook: the access token (or the whole token dict)."""
        with self._lock:
            token = self._current()
            if float(token.get("expires_at", 0)) - self.clock() < EXPIRY_MARGIN_S:
                token = self._refresh(token)
            return dict(token) if as_dict else token["access_token"]

    def force_refresh(self) -> str | None:
        """After a 401: renew once and return the new access token (None when there is no refresh token)."""
        with self._lock:
            token = self._current()
            if not token.get("refresh_token"):
                return None
            return str(self._refresh(token)["access_token"])


def login(
    cache: TokenCache,
    accounts_url: str,
    client_id: str,
    port: int,
    open_url: Callable[[str], None],
    *,
    timeout_s: float = LOGIN_TIMEOUT_S,
    session: requests.Session | None = None,
) -> dict[str, Any]:
    """The whole PKCE sign-in: listen, open the browser, wait, check state, exchange, cache (0600)."""
    verifier = make_code_verifier()
    state = make_state()
    redirect = redirect_uri(port)
    url = authorize_url(accounts_url, client_id, redirect, code_challenge(verifier), state)
    with loopback_server(port) as server:
        open_url(url)
        reply = wait_for_reply(server, timeout_s)
    code = check_reply(reply, state)
    token = exchange_code(session or requests.Session(), accounts_url, client_id, code, redirect, verifier)
    cache.save(token)
    return token
