"""A fake Spotify Web API and accounts service on 127.0.0.1, with the platform's current rules.

It answers with the real response shapes (playlist entries carry `item`, optionally also the old
`track`), pages playlist reads 50 at a time, refuses writes over 100 items and searches over 10
results, refuses the endpoints Development Mode apps lost, checks PKCE at the token endpoint, and
can be told to fail requests (401/403/404/429/5xx) so error handling can be driven end to end.
"""

from __future__ import annotations

import base64
import itertools
import json
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fake_spotify_routes import DEFAULT_MESSAGES, accounts_route, api_route, error_body


@dataclass
class Fault:
    """Answer matching requests with `status` (and `body`/`headers`) `times` times."""

    status: int
    method: str | None = None
    path: str | None = None  # a substring of the request path
    query: dict[str, str] | None = None  # query parameters the request must carry
    times: int = 1
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    # Do the work first, then answer with the fault: a server that fails after it has acted.
    after: bool = False
    # Close the connection without any answer (status is then ignored): a dropped connection.
    drop: bool = False


@dataclass(frozen=True)
class Logged:
    """One request the fake saw."""

    server: str  # "api" or "accounts"
    method: str
    path: str
    query: dict[str, str]
    body: Any


class FakeSpotify:
    """Both services, their shared state, and helpers to seed it."""

    def __init__(self, client_id: str = "test-client-id") -> None:
        self.client_id = client_id
        self.lock = threading.RLock()
        self.user = {"id": "clinic-user", "display_name": "Praxis Müller"}
        self.tracks: dict[str, dict[str, Any]] = {}  # uri -> track object
        self.playlists: dict[str, dict[str, Any]] = {}
        self.saved: list[str] = []
        self.access_tokens: dict[str, float] = {}  # token -> expires_at
        self.refresh_tokens: dict[str, dict[str, Any]] = {}
        self.codes: dict[str, dict[str, str]] = {}
        self.faults: list[Fault] = []
        self.log: list[Logged] = []
        self.entry_keys: tuple[str, ...] = ("item",)  # the current shape; ("track",) is the old one
        self.deny_sign_in = False
        self.rotate_refresh_tokens = False
        self.link_base: str | None = None  # where `next` links point (default: this server)
        self._ids = itertools.count(1)
        self._api = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self, "api"))
        self._accounts = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self, "accounts"))
        self._threads: list[threading.Thread] = []

    # --- lifecycle ---------------------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        """Base URL of the fake Web API (ends with /v1/)."""
        return f"http://127.0.0.1:{self._api.server_address[1]}/v1/"

    @property
    def accounts_url(self) -> str:
        """Base URL of the fake accounts service."""
        return f"http://127.0.0.1:{self._accounts.server_address[1]}"

    def start(self) -> FakeSpotify:
        """Serve both services in background threads."""
        for server in (self._api, self._accounts):
            thread = threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
            )
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        """Stop serving and free the ports."""
        for server in (self._api, self._accounts):
            server.shutdown()
            server.server_close()

    # --- seeding -----------------------------------------------------------------------------------

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):0>21d}"  # 22 base-62 characters, like Spotify's IDs

    def add_track(
        self,
        name: str,
        artists: list[str] | str,
        *,
        album: str = "Album",
        duration_ms: int = 300_000,
        isrc: str | None = None,
        explicit: bool = False,
    ) -> dict[str, Any]:
        """A catalogue track in the shape GET /tracks/{id} returns."""
        track_id = self._new_id("T")
        names = [artists] if isinstance(artists, str) else artists
        artist_objs = [
            {
                "external_urls": {"spotify": f"https://open.spotify.com/artist/A{i}"},
                "href": f"{self.api_url}artists/A{i}",
                "id": f"A{i:0>21d}",
                "name": n,
                "type": "artist",
                "uri": f"spotify:artist:A{i:0>21d}",
            }
            for i, n in enumerate(names)
        ]
        album_id = self._new_id("L")
        obj = {
            "album": {
                "album_type": "album",
                "artists": artist_objs[:1],
                "external_urls": {"spotify": f"https://open.spotify.com/album/{album_id}"},
                "href": f"{self.api_url}albums/{album_id}",
                "id": album_id,
                "images": [],
                "name": album,
                "release_date": "2011-03-01",
                "release_date_precision": "day",
                "total_tracks": 8,
                "type": "album",
                "uri": f"spotify:album:{album_id}",
            },
            "artists": artist_objs,
            "disc_number": 1,
            "duration_ms": duration_ms,
            "explicit": explicit,
            "external_ids": {"isrc": isrc} if isrc else {},
            "external_urls": {"spotify": f"https://open.spotify.com/track/{track_id}"},
            "href": f"{self.api_url}tracks/{track_id}",
            "id": track_id,
            "is_local": False,
            "is_playable": True,
            "name": name,
            "track_number": 3,
            "type": "track",
            "uri": f"spotify:track:{track_id}",
        }
        with self.lock:
            self.tracks[obj["uri"]] = obj
        return obj

    def add_playlist(
        self,
        name: str,
        uris: list[str],
        *,
        owner: str | None = None,
        public: bool = False,
        description: str = "",
    ) -> str:
        """A playlist owned by the signed-in user unless `owner` says otherwise."""
        playlist_id = self._new_id("P")
        with self.lock:
            self.playlists[playlist_id] = {
                "id": playlist_id,
                "name": name,
                "description": description,
                "public": public,
                "collaborative": False,
                "owner": owner or self.user["id"],
                "uris": list(uris),
                "version": 1,
            }
        return playlist_id

    def issue_token(self, expires_in: float = 3600) -> str:
        """A fresh access token the Web API accepts."""
        token = "AT-" + secrets.token_urlsafe(12)
        with self.lock:
            self.access_tokens[token] = time.time() + expires_in
        return token

    def issue_refresh_token(self, client_id: str | None = None) -> str:
        """A fresh refresh token the accounts service accepts."""
        token = "RT-" + secrets.token_urlsafe(12)
        with self.lock:
            self.refresh_tokens[token] = {"client_id": client_id or self.client_id, "expired": False}
        return token

    def expire_refresh_tokens(self) -> None:
        """What Spotify does six months after sign-in."""
        with self.lock:
            for info in self.refresh_tokens.values():
                info["expired"] = True

    def revoke_access_tokens(self) -> None:
        """Make every issued access token invalid (the next request gets 401)."""
        with self.lock:
            self.access_tokens.clear()

    def fail(self, status: int, **kwargs: Any) -> Fault:
        """Queue a fault: matching requests get `status` (see Fault for the filters)."""
        fault = Fault(status, **kwargs)
        with self.lock:
            self.faults.append(fault)
        return fault

    def calls(self, method: str | None = None, path: str | None = None) -> list[Logged]:
        """Logged API calls, filtered by method and a path substring."""
        return [
            r
            for r in self.log
            if r.server == "api"
            and (method is None or r.method == method)
            and (path is None or path in r.path)
        ]

    def playlist_uris(self, playlist_id: str) -> list[str]:
        """What a playlist holds now, in order."""
        return list(self.playlists[playlist_id]["uris"])

    # --- answers -----------------------------------------------------------------------------------

    def snapshot(self, playlist: dict[str, Any]) -> str:
        """An opaque snapshot id that changes with every write."""
        return base64.b64encode(f"{playlist['version']},{playlist['id']}".encode()).decode()

    def entry(self, uri: str, owner: str) -> dict[str, Any]:
        """A playlist entry in the current shape (`item`), or the old one (`track`), or both."""
        if uri.startswith("spotify:local:"):
            _, _, artist, album, title, seconds = uri.split(":", 5)
            obj: dict[str, Any] = {
                "uri": uri,
                "is_local": True,
                "name": title,
                "type": "track",
                "artists": [{"name": artist}],
                "album": {"name": album},
                "duration_ms": int(seconds) * 1000,
                "external_ids": {},
                "id": None,
            }
        elif uri.startswith("spotify:episode:"):
            obj = {"uri": uri, "type": "episode", "name": "A podcast episode", "id": uri.rsplit(":", 1)[1]}
        else:
            obj = self.tracks.get(uri) or {"uri": uri, "type": "track", "name": "gone", "id": None}
        entry: dict[str, Any] = {
            "added_at": "2026-03-10T09:00:00Z",
            "added_by": {"id": owner, "type": "user"},
            "is_local": bool(obj.get("is_local")),
        }
        for key in self.entry_keys:
            entry[key] = obj
        return entry

    def page(self, path: str, items: list[Any], offset: int, limit: int, extra: str = "") -> dict[str, Any]:
        """A paging object with absolute `next`/`previous` links."""
        total = len(items)

        def link(at: int) -> str:
            return f"{self.link_base or self.api_url}{path}?offset={at}&limit={limit}{extra}"

        return {
            "href": link(offset),
            "items": items[offset : offset + limit],
            "limit": limit,
            "next": link(offset + limit) if offset + limit < total else None,
            "offset": offset,
            "previous": link(max(0, offset - limit)) if offset > 0 else None,
            "total": total,
        }


class _Discard:
    """Stands in for a request handler so a route can act while its answer is thrown away."""

    def __init__(self, handler: BaseHTTPRequestHandler) -> None:
        self.headers = handler.headers
        self.command = handler.command

    def _send(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        return None

    def _error(self, status: int, message: str | None = None, reason: str | None = None) -> None:
        return None


def _handler(fake: FakeSpotify, server_name: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        # --- plumbing ------------------------------------------------------------------------------

        def _body(self) -> Any:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if not raw:
                return None
            kind = self.headers.get("Content-Type", "")
            if "x-www-form-urlencoded" in kind:
                return {k: v[0] for k, v in parse_qs(raw.decode()).items()}
            try:
                return json.loads(raw)
            except ValueError:
                return raw.decode(errors="replace")

        def _send(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
            data = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            if body is not None:
                self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _error(self, status: int, message: str | None = None, reason: str | None = None) -> None:
            self._send(status, error_body(status, message or DEFAULT_MESSAGES.get(status, "Error"), reason))

        def _handle(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            body = self._body()
            with fake.lock:
                fake.log.append(Logged(server_name, self.command, parts.path, query, body))
                fault = next(
                    (
                        f
                        for f in fake.faults
                        if f.times > 0
                        and (f.method is None or f.method == self.command)
                        and (f.path is None or f.path in parts.path)
                        and all(query.get(k) == v for k, v in (f.query or {}).items())
                    ),
                    None,
                )
                if fault is not None:
                    fault.times -= 1
            if fault is not None and fault.after:
                if server_name == "accounts":
                    accounts_route(_Discard(self), fake, parts.path, query, body)
                else:
                    api_route(_Discard(self), fake, parts.path, query, body)
            if fault is not None and fault.drop:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if fault is not None:
                payload = fault.body
                if payload is None:
                    payload = error_body(fault.status, DEFAULT_MESSAGES.get(fault.status, "Error"))
                self._send(fault.status, payload, fault.headers)
                return
            if server_name == "accounts":
                accounts_route(self, fake, parts.path, query, body)
            else:
                api_route(self, fake, parts.path, query, body)

        def do_GET(self) -> None:
            self._handle()

        def do_POST(self) -> None:
            self._handle()

        def do_PUT(self) -> None:
            self._handle()

        def do_DELETE(self) -> None:
            self._handle()

    return Handler
