"""The spotipy client factory, and the HTTP session that retries politely and names every failure."""

from __future__ import annotations

import contextlib
import dataclasses
import email.utils
import logging
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
import spotipy

from playlist_builder.config import Settings
from playlist_builder.errors import InputError, SpotifyAuthError, SpotifyError
from playlist_builder.spotify.auth import SIGN_IN_AGAIN, TokenCache, TokenManager

log = logging.getLogger(__name__)

REQUEST_TIMEOUT_S = 20.0  # one Web API call; a playlist page of 50 tracks is a few hundred kB at most


@dataclass(frozen=True)
class RetryPolicy:
    """How long to keep trying before telling the clinician; tests pass tiny numbers."""

    # A rate-limited import of a big playlist should survive a minute of throttling, but a command
    # must never hang for the hours a quota reset can take: past this total (over all of one
    # command's requests), stop and say so.
    max_total_wait_s: float = 60.0
    max_attempts: int = 6  # per request, the first try included
    # A refused or dropped connection is rarely fixed within seconds: try twice more, then say so.
    network_attempts: int = 3
    backoff_first_s: float = 1.0  # 5xx and dropped connections: 1, 2, 4, 8 s … (doubling)
    backoff_max_s: float = 16.0
    default_retry_after_s: float = 1.0  # a 429 without a Retry-After header


DEFAULT_POLICY = RetryPolicy()


class SpotifyNotFoundError(SpotifyError):
    """Spotify answered 404: the playlist or track named does not exist (or is gone)."""


class SpotifyOutcomeUnknown(SpotifyError):
    """A create request failed in a way that leaves open whether Spotify made the object.

    Such requests are not repeated blindly: the caller looks for what may have been made first.
    """


def retry_after(response: requests.Response, default: float) -> float:
    """Seconds a 429 asks us to wait (delta-seconds or an HTTP date); `default` for anything else.

    A header that is neither ("soon", a broken date, NaN) gets the bounded default wait, never an error.
    """
    value = (response.headers.get("Retry-After") or "").strip()
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        try:
            parsed = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return default
        seconds = parsed.timestamp() - time.time()
    return max(0.0, seconds) if math.isfinite(seconds) else default


def _creates_something(method: str, url: str) -> bool:
    """A request that makes a new object: repeating it after an unknown outcome could make two."""
    return method.upper() == "POST" and _endpoint(url).rstrip("/") == "me/playlists"


def _error_fields(response: requests.Response) -> tuple[str, str]:
    """(message, reason) from a Web API error body `{"error": {"status", "message", "reason"}}`."""
    try:
        body = response.json()
    except ValueError:
        return (response.text or "").strip()[:200], ""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return str(error.get("message") or ""), str(error.get("reason") or "")
    if isinstance(error, str):  # the accounts-service style
        return str(body.get("error_description") or error), ""
    return "", ""


def _endpoint(url: str) -> str:
    """The API path of a URL, for messages (`playlists/ID/items`), without the query string."""
    path = urlsplit(url).path
    marker = "/v1/"
    return path.split(marker, 1)[1] if marker in path else path.lstrip("/")


class ApiSession(requests.Session):
    """A requests session for spotipy: bounded retries, and one clear SpotifyError per failure.

    spotipy only ever sees successful responses: 429, 5xx, 4xx and network failures are turned
    into `SpotifyError`/`SpotifyAuthError` here, where the status, headers and body are at hand.
    """

    def __init__(
        self,
        policy: RetryPolicy = DEFAULT_POLICY,
        *,
        sleep: Callable[[float], None] = time.sleep,
        on_unauthorized: Callable[[], str | None] | None = None,
        auth_hint: str = SIGN_IN_AGAIN,
    ) -> None:
        super().__init__()
        self.policy = policy
        self.sleep = sleep
        self.on_unauthorized = on_unauthorized
        self.auth_hint = auth_hint
        # Total time slept in retries over this session's life (one command): the wait budget is
        # shared by all its requests, so a throttled import cannot add up to hours page by page.
        self.waited_s = 0.0

    def request(  # type: ignore[override]
        self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        """Send, retrying 429 (within the wait budget), 5xx and dropped connections with backoff."""
        method_s = method.decode() if isinstance(method, bytes) else method
        url_s = url.decode() if isinstance(url, bytes) else url
        kwargs.setdefault("timeout", REQUEST_TIMEOUT_S)
        reauthenticated = False
        for attempt in range(1, self.policy.max_attempts + 1):
            try:
                response = super().request(method_s, url_s, *args, **kwargs)
            except (requests.ConnectionError, requests.Timeout) as exc:
                if _creates_something(method_s, url_s):
                    raise SpotifyOutcomeUnknown(
                        f"the connection to Spotify broke during {method_s} {_endpoint(url_s)}"
                    ) from exc
                delay = self._backoff(attempt)
                tries = min(self.policy.network_attempts, self.policy.max_attempts)
                if attempt >= tries or self._over(delay):
                    raise self._network_error(url_s, exc) from exc
                self._pause(delay)
                continue
            if response.status_code < 400:
                return response
            if response.status_code == 401 and not reauthenticated:
                reauthenticated = True
                if self._reauthenticate(kwargs):
                    continue
            self._pause(self._retry_delay(response, attempt, method_s, url_s))
        raise AssertionError("unreachable: the last attempt returns or raises")  # pragma: no cover

    def _reauthenticate(self, kwargs: dict[str, Any]) -> bool:
        """After a 401, renew the access token once (cached sign-ins only); True when there is a new one."""
        new_token = self.on_unauthorized() if self.on_unauthorized is not None else None
        if not new_token:
            return False
        kwargs["headers"] = {**(kwargs.get("headers") or {}), "Authorization": f"Bearer {new_token}"}
        return True

    def _retry_delay(self, response: requests.Response, attempt: int, method: str, url: str) -> float:
        """How long to wait before trying a failed request again; raises when it should not be retried."""
        status = response.status_code
        last = attempt >= self.policy.max_attempts
        if status == 429:
            message, reason = _error_fields(response)
            if reason == "QUOTA_EXCEEDED" or "quota" in message.lower():
                raise SpotifyError(
                    "Spotify's request quota for this app is used up (QUOTA_EXCEEDED): wait for it to "
                    "reset (usually a day) and run the command again; nothing in the library was lost"
                )
            delay = retry_after(response, self.policy.default_retry_after_s)
            if last or self._over(delay):
                raise SpotifyError(
                    f"Spotify is rate-limiting this app (it asks for {delay:.0f} s more; waited "
                    f"{self.waited_s:.0f} of at most {self.policy.max_total_wait_s:.0f} s): try again in "
                    "a few minutes; nothing in the library was lost"
                )
            return delay
        if status >= 500:
            if _creates_something(method, url):
                raise SpotifyOutcomeUnknown(
                    f"Spotify failed (HTTP {status}) during {method} {_endpoint(url)}"
                )
            delay = self._backoff(attempt)
            if last or self._over(delay):
                raise SpotifyError(
                    f"Spotify is having trouble (HTTP {status} on {_endpoint(url)}, {attempt} tries): "
                    "try again later; nothing in the library was lost"
                )
            return delay
        raise self._client_error(method, url, response)

    def _over(self, delay: float) -> bool:
        """Whether waiting `delay` more would exceed the command's total wait budget."""
        return self.waited_s + delay > self.policy.max_total_wait_s

    def _backoff(self, attempt: int) -> float:
        return min(self.policy.backoff_max_s, self.policy.backoff_first_s * 2 ** (attempt - 1))

    def _pause(self, seconds: float) -> None:
        log.info("Spotify: waiting %.1f s before retrying", seconds)
        self.sleep(seconds)
        self.waited_s += seconds

    @staticmethod
    def _network_error(url: str, exc: Exception) -> SpotifyError:
        parts = urlsplit(url)
        base = f"{parts.scheme}://{parts.netloc}"
        kind = "timed out" if isinstance(exc, requests.Timeout) else "cannot be reached"
        return SpotifyError(
            f"Spotify ({base}) {kind}: check the network connection (or PLAYLIST_BUILDER_SPOTIFY_API_URL) "
            "and run the command again"
        )

    def _client_error(self, method: str, url: str, response: requests.Response) -> SpotifyError:
        """One line for a 4xx: what Spotify said, and what to do about it."""
        status = response.status_code
        message, _reason = _error_fields(response)
        endpoint = _endpoint(url)
        said = f": {message}" if message else ""
        lowered = message.lower()
        if status == 401:
            return SpotifyAuthError(f"Spotify did not accept the sign-in (401{said}): {self.auth_hint}")
        if status == 403:
            if "premium" in lowered:
                return SpotifyError(
                    "Spotify refused (403): the owner of the Spotify app needs an active Premium "
                    "subscription; renew it on the account that created the client id"
                )
            if "not registered" in lowered or "allowlist" in lowered or "allow-list" in lowered:
                return SpotifyError(
                    "Spotify refused (403): this Spotify account is not on the app's allow-list (at most 5 "
                    "users in Development Mode); add it under User Management in the developer dashboard"
                )
            if "scope" in lowered:
                return SpotifyAuthError(
                    f"Spotify refused (403{said}): the sign-in lacks a permission; {SIGN_IN_AGAIN}"
                )
            if endpoint.startswith("playlists/") and method == "GET":
                return SpotifyError(
                    f"Spotify refused to read {endpoint} (403{said}): in Development Mode only playlists you "
                    "own or collaborate on can be read; copy it into a playlist of your own, then import that"
                )
            return SpotifyError(
                f"Spotify refused {method} {endpoint} (403{said}): check the account is on the app's "
                "allow-list and the app owner has Premium"
            )
        if status == 404:
            return SpotifyNotFoundError(
                f"Spotify has nothing at {endpoint} (404{said}): check the playlist URL or ID"
            )
        return SpotifyError(f"Spotify rejected {method} {endpoint} (HTTP {status}{said})")


def _api_prefix(settings: Settings) -> str:
    """spotipy joins paths onto `prefix` by concatenation: it must end with a slash."""
    url = settings.spotify_api_url
    return url if url.endswith("/") else url + "/"


def make_client(
    settings: Settings,
    *,
    policy: RetryPolicy = DEFAULT_POLICY,
    sleep: Callable[[float], None] = time.sleep,
    accounts_session: requests.Session | None = None,
    clock: Callable[[], float] = time.time,
) -> spotipy.Spotify:
    """A real spotipy client on `settings.spotify_api_url`, signed in by env token or the token cache."""
    if settings.spotify_max_wait_s is not None:
        policy = dataclasses.replace(policy, max_total_wait_s=settings.spotify_max_wait_s)
    if settings.offline:
        raise SpotifyError(
            "offline mode is on (PLAYLIST_BUILDER_OFFLINE) and Spotify needs the network: unset it"
        )
    if settings.spotify_token:
        session = ApiSession(
            policy,
            sleep=sleep,
            auth_hint="PLAYLIST_BUILDER_SPOTIFY_TOKEN is expired or wrong; set a fresh one or unset it and "
            + SIGN_IN_AGAIN,
        )
        client = spotipy.Spotify(auth=settings.spotify_token, requests_session=session)
    else:
        cache = TokenCache(settings.token_cache_path)
        if cache.load() is None:
            raise SpotifyAuthError(
                f"not signed in to Spotify: {SIGN_IN_AGAIN} (or set PLAYLIST_BUILDER_SPOTIFY_TOKEN)"
            )
        manager = TokenManager(
            cache, settings.spotify_accounts_url, session=accounts_session, clock=clock, sleep=sleep
        )
        session = ApiSession(policy, sleep=sleep, on_unauthorized=manager.force_refresh)
        client = spotipy.Spotify(auth_manager=manager, requests_session=session)
    client.prefix = _api_prefix(settings)
    client.requests_timeout = REQUEST_TIMEOUT_S
    return client


@contextlib.contextmanager
def spotipy_errors() -> Iterator[None]:
    """Turn the few errors spotipy raises by itself (a malformed ID or URL) into InputError."""
    try:
        yield
    except spotipy.SpotifyException as exc:
        if exc.http_status == 400 and exc.code == -1:
            raise InputError(f"not a Spotify ID, URI or URL ({exc.msg})") from exc
        raise SpotifyError(f"Spotify failed (HTTP {exc.http_status}): {exc.msg}") from exc
