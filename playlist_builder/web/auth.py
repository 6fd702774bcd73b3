"""Sign-in for the clinic app: server-side sessions, CSRF tokens and a limit on failed sign-ins.

Sessions live in the server's memory, keyed by a random token in an HttpOnly, SameSite=Strict cookie
(a restart signs everyone out, which is acceptable for a clinic workstation). Every state-changing
request must carry the session's CSRF token (a form field or the `X-CSRF-Token` header htmx sends).
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field

from playlist_builder.services.review import local_author
from playlist_builder.services.users import CLINICIAN, User

SESSION_COOKIE = "pb_session"
LOGIN_CSRF_COOKIE = "pb_login_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
# A clinic shift: a session idle this long must sign in again; none lasts longer than a working day.
IDLE_TIMEOUT_S = 4 * 3600
MAX_SESSION_S = 12 * 3600
# Failed sign-ins: at most this many per account name, or per client address, within the window;
# after that every attempt is refused until the window has moved on. Five is what common account
# lockout guidance allows a person who mistypes; the per-address limit stops guessing many names.
FAILURE_WINDOW_S = 15 * 60
MAX_FAILURES_PER_NAME = 5
MAX_FAILURES_PER_ADDRESS = 20


def local_user() -> User:
    """The single local user on a loopback-only app without accounts (named after the OS account)."""
    return User(local_author(), CLINICIAN)


@dataclass
class WebSession:
    """One signed-in browser."""

    user: User
    csrf_token: str
    created: float
    last_seen: float


@dataclass
class SessionStore:
    """Signed-in browsers by session token (in memory, thread-safe)."""

    clock: object = time.monotonic
    _sessions: dict[str, WebSession] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _now(self) -> float:
        return float(self.clock())  # type: ignore[operator]

    def create(self, user: User) -> tuple[str, WebSession]:
        """A new session for `user`: (cookie token, session)."""
        token = secrets.token_urlsafe(32)
        now = self._now()
        session = WebSession(user, secrets.token_urlsafe(32), now, now)
        with self._lock:
            self._sessions[token] = session
        return token, session

    def get(self, token: str | None) -> WebSession | None:
        """The live session of a cookie token, or None (expired ones are dropped)."""
        if not token:
            return None
        now = self._now()
        with self._lock:
            session = self._sessions.get(token)
            if session is None:
                return None
            if now - session.last_seen > IDLE_TIMEOUT_S or now - session.created > MAX_SESSION_S:
                del self._sessions[token]
                return None
            session.last_seen = now
            return session

    def drop(self, token: str | None) -> None:
        """Sign a browser out."""
        if token:
            with self._lock:
                self._sessions.pop(token, None)


def csrf_ok(expected: str | None, given: str | None) -> bool:
    """Whether a submitted CSRF token matches (constant-time)."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


@dataclass
class LoginLimiter:
    """Counts failed sign-ins per account name and per client address within a sliding window."""

    clock: object = time.monotonic
    _failures: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _now(self) -> float:
        return float(self.clock())  # type: ignore[operator]

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and now - times[0] > FAILURE_WINDOW_S:
            times.popleft()
        return times

    def blocked_for(self, name: str, address: str) -> float:
        """Seconds until another attempt is allowed for this name or address (0 when allowed now)."""
        now = self._now()
        with self._lock:
            waits = []
            for key, limit in (
                (f"name:{name.casefold()}", MAX_FAILURES_PER_NAME),
                (f"addr:{address}", MAX_FAILURES_PER_ADDRESS),
            ):
                times = self._recent(key, now)
                if len(times) >= limit:
                    waits.append(FAILURE_WINDOW_S - (now - times[-limit]))
            return max(waits, default=0.0)

    def failed(self, name: str, address: str) -> None:
        """Count one failed attempt."""
        now = self._now()
        with self._lock:
            self._recent(f"name:{name.casefold()}", now).append(now)
            self._recent(f"addr:{address}", now).append(now)

    def succeeded(self, name: str) -> None:
        """A successful sign-in clears the name's count (the address keeps its count)."""
        with self._lock:
            self._failures.pop(f"name:{name.casefold()}", None)


LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")


def is_loopback(host: str) -> bool:
    """Whether a bind address only accepts connections from this machine."""
    return host in LOOPBACK_HOSTS or host.startswith("127.")
