"""The fake Spotify's answers: the accounts service (authorize, token) and the Web API routes."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import time
import unicodedata
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

if TYPE_CHECKING:
    from fake_spotify_api import FakeSpotify

PLAYLIST_PAGE_MAX = 50
SAVED_PAGE_MAX = 50
SEARCH_MAX = 10
WRITE_MAX = 100

# Endpoints a Development Mode app gets 403 from since February 2026.
REMOVED = (
    re.compile(r"^/v1/playlists/[^/]+/tracks$"),
    re.compile(r"^/v1/users/[^/]+/playlists$"),
    re.compile(r"^/v1/tracks$"),
    re.compile(r"^/v1/audio-features"),
    re.compile(r"^/v1/audio-analysis"),
    re.compile(r"^/v1/artists$"),
    re.compile(r"^/v1/albums$"),
)


def error_body(status: int, message: str, reason: str | None = None) -> dict[str, Any]:
    """A Web API error body: `{"error": {"status", "message", "reason"?}}`."""
    error: dict[str, Any] = {"status": status, "message": message}
    if reason:
        error["reason"] = reason
    return {"error": error}


DEFAULT_MESSAGES = {
    400: "Bad request",
    401: "The access token expired",
    403: "Forbidden",
    404: "Resource not found",
    429: "API rate limit exceeded",
    500: "Server error",
    502: "Bad gateway",
    503: "Service unavailable",
}


# --- accounts service ------------------------------------------------------------------------------


def accounts_route(h: Any, fake: FakeSpotify, path: str, query: dict[str, str], body: Any) -> None:
    """Answer a request to the accounts service."""
    if h.command == "GET" and path == "/authorize":
        _authorize(h, fake, query)
    elif h.command == "POST" and path == "/api/token":
        _token(h, fake, body if isinstance(body, dict) else {})
    else:
        h._send(404, {"error": "not_found"})


def _authorize(h: Any, fake: FakeSpotify, q: dict[str, str]) -> None:
    redirect = q.get("redirect_uri", "")
    if q.get("client_id") != fake.client_id:
        h._send(400, {"error": "INVALID_CLIENT: Invalid client"})
        return
    if not redirect.startswith("http://127.0.0.1:"):  # Spotify refuses `localhost` and other plain http
        h._send(400, {"error": "INVALID_CLIENT: Insecure redirect URI"})
        return
    if (
        q.get("response_type") != "code"
        or q.get("code_challenge_method") != "S256"
        or not q.get("code_challenge")
    ):
        h._send(400, {"error": "invalid_request"})
        return
    if fake.deny_sign_in:
        target = f"{redirect}?{urlencode({'error': 'access_denied', 'state': q.get('state', '')})}"
    else:
        code = "CODE-" + secrets.token_urlsafe(12)
        with fake.lock:
            fake.codes[code] = {
                "challenge": q["code_challenge"],
                "redirect_uri": redirect,
                "client_id": q["client_id"],
                "scope": q.get("scope", ""),
            }
        target = f"{redirect}?{urlencode({'code': code, 'state': q.get('state', '')})}"
    h._send(302, None, {"Location": target})


def _token(h: Any, fake: FakeSpotify, form: dict[str, str]) -> None:
    grant = form.get("grant_type")
    if form.get("client_id") != fake.client_id:
        h._send(400, {"error": "invalid_client", "error_description": "Invalid client"})
        return
    if grant == "authorization_code":
        with fake.lock:
            pending = fake.codes.pop(form.get("code", ""), None)
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if pending is None or pending["redirect_uri"] != form.get("redirect_uri"):
            h._send(400, {"error": "invalid_grant", "error_description": "Invalid authorization code"})
            return
        if challenge != pending["challenge"]:
            h._send(400, {"error": "invalid_grant", "error_description": "code_verifier was incorrect"})
            return
        h._send(200, _token_reply(fake, pending["scope"], fake.issue_refresh_token()))
    elif grant == "refresh_token":
        with fake.lock:
            info = fake.refresh_tokens.get(form.get("refresh_token", ""))
        if info is None or info["expired"]:
            h._send(400, {"error": "invalid_grant", "error_description": "Refresh token revoked"})
            return
        new_refresh = fake.issue_refresh_token() if fake.rotate_refresh_tokens else None
        h._send(200, _token_reply(fake, "playlist-read-private", new_refresh))
    else:
        h._send(400, {"error": "unsupported_grant_type"})


def _token_reply(fake: FakeSpotify, scope: str, refresh: str | None) -> dict[str, Any]:
    reply: dict[str, Any] = {
        "access_token": fake.issue_token(),
        "token_type": "Bearer",
        "scope": scope,
        "expires_in": 3600,
    }
    if refresh:
        reply["refresh_token"] = refresh
    return reply


# --- Web API ---------------------------------------------------------------------------------------


def _int(query: dict[str, str], name: str, default: int) -> int:
    try:
        return int(query.get(name, default))
    except ValueError:
        return -1


def api_route(h: Any, fake: FakeSpotify, path: str, query: dict[str, str], body: Any) -> None:
    """Answer a Web API request: token check, removed endpoints, then the route."""
    auth = h.headers.get("Authorization", "")
    token = auth.removeprefix("Bearer ").strip()
    with fake.lock:
        expires_at = fake.access_tokens.get(token)
    if expires_at is None:
        h._error(401, "Invalid access token")
        return
    if expires_at < time.time():
        h._error(401, "The access token expired")
        return
    if any(p.match(path) for p in REMOVED):
        h._error(403)
        return
    route = path.removeprefix("/v1/").rstrip("/")
    method = h.command
    if method == "GET" and route == "me":
        h._send(
            200, {**fake.user, "type": "user", "uri": f"spotify:user:{fake.user['id']}", "external_urls": {}}
        )
    elif method == "GET" and route == "me/tracks":
        _saved(h, fake, query)
    elif method == "GET" and route == "search":
        _search(h, fake, query)
    elif method == "GET" and route == "me/playlists":
        _my_playlists(h, fake, query)
    elif method == "POST" and route == "me/playlists":
        _create(h, fake, body if isinstance(body, dict) else {})
    elif (found := re.fullmatch(r"playlists/([^/]+)/items", route)) is not None:
        _items(h, fake, method, found.group(1), query, body)
    elif method == "PUT" and (found := re.fullmatch(r"playlists/([^/]+)", route)) is not None:
        _details(h, fake, found.group(1), body if isinstance(body, dict) else {})
    else:
        h._error(404, "Service not found")


def _saved(h: Any, fake: FakeSpotify, query: dict[str, str]) -> None:
    limit, offset = _int(query, "limit", 20), _int(query, "offset", 0)
    if not 1 <= limit <= SAVED_PAGE_MAX or offset < 0:
        h._error(400, "Invalid limit")
        return
    entries = [{"added_at": "2026-01-02T03:04:05Z", "track": fake.tracks[u]} for u in fake.saved]
    h._send(200, fake.page("me/tracks", entries, offset, limit))


def _fold(text: str) -> str:
    """Spotify's search ignores case and accents."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _matches(track: dict[str, Any], q: str) -> bool:
    q = _fold(q.strip())
    if q.lower().startswith("isrc:"):
        return (track.get("external_ids") or {}).get("isrc", "").upper() == q[5:].strip().upper()
    name = _fold(track["name"])
    artists = _fold(" ".join(a["name"] for a in track["artists"]))
    everything = f"{name} {artists} {_fold(track['album']['name'])}"
    for quoted_key, quoted, bare_key, bare, word in re.findall(r'(\w+):"([^"]*)"|(\w+):(\S+)|(\S+)', q):
        key = quoted_key or bare_key
        value = (quoted or bare or word).casefold()
        if key == "track":
            haystack = name
        elif key == "artist":
            haystack = artists
        else:
            haystack = everything
        if not all(word in haystack for word in value.split()):
            return False
    return True


def _search(h: Any, fake: FakeSpotify, query: dict[str, str]) -> None:
    limit, offset = _int(query, "limit", 5), _int(query, "offset", 0)
    if not 1 <= limit <= SEARCH_MAX or offset < 0:
        h._error(400, "Invalid limit")
        return
    if query.get("type") != "track":
        h._error(400, "Unsupported type")
        return
    q = query.get("q", "")
    with fake.lock:
        found = [t for t in fake.tracks.values() if _matches(t, q)]
    extra = "&" + urlencode({"query": q, "type": "track"})
    h._send(200, {"tracks": fake.page("search", found, offset, limit, extra)})


def _my_playlists(h: Any, fake: FakeSpotify, query: dict[str, str]) -> None:
    limit, offset = _int(query, "limit", 20), _int(query, "offset", 0)
    if not 1 <= limit <= PLAYLIST_PAGE_MAX or offset < 0:
        h._error(400, "Invalid limit")
        return
    with fake.lock:
        mine = [_playlist_object(fake, p) for p in fake.playlists.values()]
    h._send(200, fake.page("me/playlists", mine, offset, limit))


def _create(h: Any, fake: FakeSpotify, body: dict[str, Any]) -> None:
    if not body.get("name"):
        h._error(400, "Missing required field: name")
        return
    playlist_id = fake.add_playlist(
        body["name"], [], public=bool(body.get("public", True)), description=body.get("description", "")
    )
    playlist = fake.playlists[playlist_id]
    h._send(201, _playlist_object(fake, playlist))


def _playlist_object(fake: FakeSpotify, p: dict[str, Any]) -> dict[str, Any]:
    return {
        "collaborative": p["collaborative"],
        "description": p["description"],
        "external_urls": {"spotify": f"https://open.spotify.com/playlist/{p['id']}"},
        "href": f"{fake.api_url}playlists/{p['id']}",
        "id": p["id"],
        "images": [],
        "name": p["name"],
        "owner": {"id": p["owner"], "type": "user", "display_name": p["owner"]},
        "public": p["public"],
        "snapshot_id": fake.snapshot(p),
        "items": {"href": f"{fake.api_url}playlists/{p['id']}/items", "total": len(p["uris"])},
        "type": "playlist",
        "uri": f"spotify:playlist:{p['id']}",
    }


def _details(h: Any, fake: FakeSpotify, playlist_id: str, body: dict[str, Any]) -> None:
    with fake.lock:
        playlist = fake.playlists.get(playlist_id)
        if playlist is None:
            h._error(404)
            return
        if playlist["owner"] != fake.user["id"]:
            h._error(403)
            return
        for key in ("name", "description", "public", "collaborative"):
            if key in body:
                playlist[key] = body[key]
    h._send(200, None)


def _uris_of(body: Any) -> list[str] | None:
    if isinstance(body, list):
        return [str(u) for u in body]
    if isinstance(body, dict) and isinstance(body.get("uris"), list):
        return [str(u) for u in body["uris"]]
    return None


def _items(
    h: Any, fake: FakeSpotify, method: str, playlist_id: str, query: dict[str, str], body: Any
) -> None:
    with fake.lock:
        playlist = fake.playlists.get(playlist_id)
        if playlist is None:
            h._error(404)
            return
        if playlist["owner"] != fake.user["id"] and not playlist["collaborative"]:
            h._error(403)  # Development Mode: only playlists you own or collaborate on
            return
        if method == "GET":
            limit, offset = _int(query, "limit", 20), _int(query, "offset", 0)
            if not 1 <= limit <= PLAYLIST_PAGE_MAX or offset < 0:
                h._error(400, "Invalid limit")
                return
            entries = [fake.entry(u, playlist["owner"]) for u in playlist["uris"]]
            h._send(200, fake.page(f"playlists/{playlist_id}/items", entries, offset, limit))
            return
        uris = _uris_of(body)
        if uris is None:
            h._error(400, "Missing uris")
            return
        if len(uris) > WRITE_MAX:
            h._error(400, "You can add a maximum of 100 tracks per request.")
            return
        unknown = [u for u in uris if u not in fake.tracks]
        if unknown:
            h._error(400, f"Invalid track uri: {unknown[0]}")
            return
        if method == "PUT":
            playlist["uris"] = uris
            status = 200
        elif method == "POST":
            position = _int(query, "position", len(playlist["uris"]))
            playlist["uris"][position:position] = uris
            status = 201
        else:
            h._error(405, "Method not allowed")
            return
        playlist["version"] += 1
        h._send(status, {"snapshot_id": fake.snapshot(playlist)})
