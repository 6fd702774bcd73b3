"""Read tracks from Spotify (a playlist, saved tracks, a search) into frozen `Track` values."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import spotipy

from playlist_builder.errors import InputError
from playlist_builder.model import Source, Track
from playlist_builder.spotify.client import spotipy_errors

# Progress of a long read or write: (done, total if known, what was just done). The services turn
# it into their ProgressEvent; this stage stays free of the layers above it.
OnItem = Callable[[int, "int | None", str], None]

PAGE_LIMIT = 50  # Spotify serves playlist items and saved tracks at most 50 a page
SEARCH_LIMIT = 10  # Development Mode apps get at most 10 search results a request
SEARCH_MAX_RESULTS = (
    50  # one `--search` brings in a handful of pages at most: it is for picking, not crawling
)

_PLAYLIST_URL = re.compile(
    r"^(?:https?://)?open\.spotify\.com/(?:intl-[A-Za-z-]+/)?(?:user/[^/]+/)?playlist/(?P<id>[0-9A-Za-z]+)/?(?:[?#].*)?$"
)
_PLAYLIST_URI = re.compile(r"^spotify:(?:user:[^:]+:)?playlist:(?P<id>[0-9A-Za-z]+)$")
_API_MARKER = "/v1/"  # where the API path starts in a Web API URL
_BASE62_ID = re.compile(r"^[0-9A-Za-z]{16,32}$")  # Spotify IDs are 22 base-62 characters


@dataclass(frozen=True)
class Fetched:
    """Tracks read from Spotify (unique by URI, in order) and what was passed over, with why."""

    tracks: tuple[Track, ...]
    skipped: tuple[str, ...] = ()


def parse_playlist_id(text: str) -> str:
    """The playlist ID in an open.spotify.com URL, a `spotify:playlist:` URI or a bare ID."""
    value = text.strip()
    for pattern in (_PLAYLIST_URL, _PLAYLIST_URI):
        found = pattern.match(value)
        if found:
            return found.group("id")
    if _BASE62_ID.match(value):
        return value
    raise InputError(
        f"not a Spotify playlist: {text!r} (give a link like https://open.spotify.com/playlist/ID, "
        "a spotify:playlist:ID URI, or the ID)"
    )


def entry_object(entry: dict[str, Any] | None) -> dict[str, Any] | None:
    """The track inside a playlist or saved-tracks entry: `item` (current name), else `track` (old)."""
    if not isinstance(entry, dict):
        return None
    obj = entry.get("item")
    if obj is None:
        obj = entry.get("track")
    return obj if isinstance(obj, dict) else None


def _names(people: Any) -> str | None:
    names = [str(p.get("name")) for p in people or [] if isinstance(p, dict) and p.get("name")]
    return ", ".join(names) or None


def track_from_spotify(obj: dict[str, Any]) -> Track:
    """A library Track from a Spotify track object: metadata only, keyed by its URI."""
    album = obj.get("album") or {}
    isrc = str((obj.get("external_ids") or {}).get("isrc") or "").strip().upper()
    duration_ms = obj.get("duration_ms")
    uri = str(obj["uri"])
    return Track(
        source=Source.SPOTIFY,
        source_key=uri,
        title=str(obj.get("name") or "").strip() or "(untitled)",
        artist=_names(obj.get("artists")),
        album_artist=_names(album.get("artists")),
        album=album.get("name") or None,
        track_number=obj.get("track_number"),
        duration_s=duration_ms / 1000.0 if isinstance(duration_ms, int | float) else None,
        isrc=isrc or None,
        explicit=obj.get("explicit") if isinstance(obj.get("explicit"), bool) else None,
        spotify_uri=uri,
    )


def _why_not_importable(obj: dict[str, Any] | None) -> str | None:
    """Why an entry cannot become a library row, or None when it can."""
    if obj is None:
        return "an entry Spotify no longer returns (removed or unavailable)"
    name = obj.get("name") or "?"
    if obj.get("is_local"):
        return f"{name!r}: a local file in the Spotify app, not a Spotify track"
    if obj.get("type", "track") != "track":
        return f"{name!r}: a {obj.get('type')}, not a track"
    if not obj.get("uri"):
        return f"{name!r}: no Spotify URI"
    return None


def _rebased(client: spotipy.Spotify, link: str) -> str:
    """A `next` link moved onto the configured API base (Spotify writes its own host into it)."""
    parts = urlsplit(link)
    if _API_MARKER not in parts.path:
        return link
    relative = parts.path.split(_API_MARKER, 1)[1]
    return client.prefix + relative + (f"?{parts.query}" if parts.query else "")


def pages(client: spotipy.Spotify, first: dict[str, Any] | None) -> Iterator[dict[str, Any]]:
    """A paging object and the ones after it, following `next` links through the configured base URL."""
    page = first
    while page:
        yield page
        link = page.get("next")
        page = client.next({**page, "next": _rebased(client, link)}) if link else None


def _collect(client: spotipy.Spotify, first: dict[str, Any] | None, on_item: OnItem | None) -> Fetched:
    """Walk a paged list of entries into unique Tracks."""
    tracks: dict[str, Track] = {}
    skipped: list[str] = []
    seen = 0
    for page in pages(client, first):
        total = page.get("total")
        for entry in page.get("items") or []:
            seen += 1
            obj = entry_object(entry)
            why = _why_not_importable(obj)
            if why is not None or obj is None:
                skipped.append(why or "unknown entry")
                continue
            track = track_from_spotify(obj)
            tracks.setdefault(track.source_key, track)
            if on_item is not None:
                on_item(seen, total, track.title)
    return Fetched(tuple(tracks.values()), tuple(skipped))


def fetch_playlist(client: spotipy.Spotify, ref: str, on_item: OnItem | None = None) -> Fetched:
    """Every track of a playlist, 50 a page (GET /playlists/{id}/items)."""
    playlist_id = parse_playlist_id(ref)
    with spotipy_errors():
        first = client.playlist_items(playlist_id, limit=PAGE_LIMIT, additional_types=("track",))
        return _collect(client, first, on_item)


def fetch_saved(client: spotipy.Spotify, on_item: OnItem | None = None) -> Fetched:
    """The signed-in user's saved tracks, 50 a page (GET /me/tracks)."""
    with spotipy_errors():
        first = client.current_user_saved_tracks(limit=PAGE_LIMIT)
        return _collect(client, first, on_item)


def search_tracks(client: spotipy.Spotify, query: str, limit: int = SEARCH_LIMIT) -> list[dict[str, Any]]:
    """Up to `limit` track objects for a query, 10 a request."""
    wanted = max(1, min(limit, SEARCH_MAX_RESULTS))
    found: list[dict[str, Any]] = []
    offset = 0
    with spotipy_errors():
        while len(found) < wanted:
            page_size = min(SEARCH_LIMIT, wanted - len(found))
            result = client.search(q=query, limit=page_size, offset=offset, type="track") or {}
            page = result.get("tracks") or {}
            items = [t for t in page.get("items") or [] if isinstance(t, dict)]
            found.extend(items)
            offset += page_size
            if len(items) < page_size or not page.get("next"):
                break
    return found[:wanted]


def fetch_search(
    client: spotipy.Spotify, query: str, limit: int = SEARCH_LIMIT, on_item: OnItem | None = None
) -> Fetched:
    """The first `limit` search results for a query, as Tracks."""
    if not query.strip():
        raise InputError("the search query is empty: give some words, e.g. --search 'brian eno ambient'")
    tracks: dict[str, Track] = {}
    skipped: list[str] = []
    results = search_tracks(client, query, limit)
    for index, obj in enumerate(results, start=1):
        why = _why_not_importable(obj)
        if why is not None:
            skipped.append(why)
            continue
        track = track_from_spotify(obj)
        tracks.setdefault(track.source_key, track)
        if on_item is not None:
            on_item(index, len(results), track.title)
    return Fetched(tuple(tracks.values()), tuple(skipped))
