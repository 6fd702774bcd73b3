"""The one-shot HTTP server on 127.0.0.1 that receives the browser's sign-in redirect."""

from __future__ import annotations

import contextlib
import html
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from playlist_builder.errors import SpotifyAuthError, SpotifyError

# Spotify refuses `localhost`; only loopback IP literals may use plain http.
REDIRECT_HOST = "127.0.0.1"
REDIRECT_PATH = "/callback"


@dataclass(frozen=True)
class CallbackReply:
    """What the browser brought back to the loopback redirect."""

    code: str | None
    state: str | None
    error: str | None


class _CallbackHandler(BaseHTTPRequestHandler):
    """Answers the redirect once; every other path (a favicon, say) gets a 404."""

    server: _CallbackServer

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path != REDIRECT_PATH:
            self.send_error(404)
            return
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        reply = CallbackReply(query.get("code"), query.get("state"), query.get("error"))
        self.server.reply = reply
        ok = reply.code is not None and reply.error is None
        text = (
            "Signed in to Spotify. You can close this window and go back to playlist-builder."
            if ok
            else f"Sign-in did not complete ({html.escape(reply.error or 'no code')}). See playlist-builder."
        )
        body = f"<!doctype html><meta charset=utf-8><title>playlist-builder</title><p>{text}</p>".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return  # the query string carries the authorization code: keep it out of logs


class _CallbackServer(HTTPServer):
    reply: CallbackReply | None = None


@contextlib.contextmanager
def loopback_server(port: int) -> Iterator[_CallbackServer]:
    """Listen on 127.0.0.1:port for the redirect; bound before the browser opens."""
    try:
        server = _CallbackServer((REDIRECT_HOST, port), _CallbackHandler)
    except OSError as exc:
        raise SpotifyError(
            f"cannot listen on {REDIRECT_HOST}:{port} for the sign-in reply ({exc.strerror or exc}): "
            "pass --port with a free port and register that redirect URI in the Spotify app"
        ) from exc
    try:
        yield server
    finally:
        server.server_close()


def wait_for_reply(
    server: _CallbackServer, timeout_s: float, clock: Callable[[], float] = time.monotonic
) -> CallbackReply:
    """Serve requests until the redirect arrives or the time is up."""
    deadline = clock() + timeout_s
    while server.reply is None:
        remaining = deadline - clock()
        if remaining <= 0:
            raise SpotifyAuthError(
                f"no answer from the browser within {timeout_s:g} s: run `playlist-builder spotify login` "
                "again"
            )
        server.timeout = min(remaining, 1.0)
        server.handle_request()
    return server.reply


def check_reply(reply: CallbackReply, expected_state: str) -> str:
    """The authorization code, once the reply is known to answer our own request."""
    if reply.state != expected_state:
        raise SpotifyAuthError(
            "the sign-in reply did not match this request (state mismatch): run login again"
        )
    if reply.error:
        hint = (
            "approve the app on Spotify's page"
            if reply.error == "access_denied"
            else "check the app settings"
        )
        raise SpotifyAuthError(f"Spotify sign-in was refused ({reply.error}): {hint} and run login again")
    if not reply.code:
        raise SpotifyAuthError("the sign-in reply carried no authorization code: run login again")
    return reply.code
