"""Write a session into a Spotify playlist: create it, replace its items in order, read it back."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import spotipy

from playlist_builder.errors import SpotifyError
from playlist_builder.spotify.client import SpotifyOutcomeUnknown, spotipy_errors
from playlist_builder.spotify.importer import PAGE_LIMIT, OnItem, entry_object, pages

WRITE_LIMIT = 100  # Spotify takes at most 100 items per add or replace request
DESCRIPTION_MAX = 300  # Spotify's limit on a playlist description
PLAYLIST_URL = "https://open.spotify.com/playlist/{id}"
MARKER_PREFIX = "pb-sync-"  # starts the tag in a playlist's description that names its session
# A create whose outcome is unknown is checked, then tried again, at most this often in one run.
CREATE_ATTEMPTS = 3


@dataclass(frozen=True)
class CreatedPlaylist:
    """A playlist just made for the signed-in user."""

    id: str
    url: str
    snapshot: str | None


def session_marker(session_id: int, created_at: datetime | None) -> str:
    """The tag a session's playlist carries, so it is found again after a lost reply or a crash.

    Derived from the session's id and creation time (to the microsecond), so it is the same on every
    run without being stored, differs between two clinics' databases on one Spotify account, and
    says nothing about the patient. Random when the creation time is unknown. Letters, digits and
    hyphens only, so Spotify's escaping of descriptions leaves it intact.
    """
    if created_at is None:
        return f"{MARKER_PREFIX}{secrets.token_hex(6)}"
    seed = f"{session_id}|{created_at.isoformat()}".encode()
    return f"{MARKER_PREFIX}{hashlib.sha256(seed).hexdigest()[:12]}"


def playlist_description(arc_name: str, minutes: float, when: date, marker: str = "") -> str:
    """What the playlist says about itself: arc, length, date and its marker (never patient data)."""
    text = f"Lyric-free session: {arc_name} arc, {minutes:.0f} min, synced {when.isoformat()}."
    if not marker:
        return text[:DESCRIPTION_MAX]
    return f"{text[: DESCRIPTION_MAX - len(marker) - 1]} {marker}"


def find_marked_playlist(client: spotipy.Spotify, marker: str) -> CreatedPlaylist | None:
    """The signed-in user's playlist whose description carries `marker`, if there is one."""
    with spotipy_errors():
        first = client.current_user_playlists(limit=PAGE_LIMIT)
        for page in pages(client, first):
            for playlist in page.get("items") or []:
                if playlist and marker in str(playlist.get("description") or ""):
                    return _created(playlist)
    return None


def default_playlist_name(arc_name: str, minutes: float, when: date) -> str:
    """A neutral name (no session name, no patient code): the clinician may pass --name instead."""
    return f"Session {when.isoformat()} · {arc_name} · {minutes:.0f} min"


def create_playlist(client: spotipy.Spotify, name: str, *, public: bool, description: str) -> CreatedPlaylist:
    """Make a new playlist for the signed-in user (POST /me/playlists); private unless asked."""
    with spotipy_errors():
        made: dict[str, Any] = client.current_user_playlist_create(
            name, public=public, collaborative=False, description=description
        )
    return _created(made)


def _created(playlist: dict[str, Any]) -> CreatedPlaylist:
    playlist_id = str(playlist["id"])
    url = (playlist.get("external_urls") or {}).get("spotify") or PLAYLIST_URL.format(id=playlist_id)
    return CreatedPlaylist(playlist_id, url, playlist.get("snapshot_id"))


def create_marked_playlist(
    client: spotipy.Spotify, name: str, *, public: bool, description: str, marker: str
) -> tuple[CreatedPlaylist, bool]:
    """The session's playlist, made at most once: (playlist, whether this call made it).

    A create that fails without saying whether it worked (a 5xx, a dropped connection) is not
    simply sent again: the user's playlists are searched for the marker first, and only when none
    carries it is the create tried again.
    """
    found = find_marked_playlist(client, marker)
    if found is not None:
        return found, False
    for attempt in range(1, CREATE_ATTEMPTS + 1):
        try:
            return create_playlist(client, name, public=public, description=description), True
        except SpotifyOutcomeUnknown as exc:
            found = find_marked_playlist(client, marker)
            if found is not None:
                return found, True
            if attempt == CREATE_ATTEMPTS:
                raise SpotifyError(
                    f"{exc}, {attempt} tries, and no playlist was made: try again later; "
                    "nothing in the library was lost"
                ) from exc
    raise AssertionError("unreachable: the last attempt returns or raises")  # pragma: no cover


def update_details(
    client: spotipy.Spotify, playlist_id: str, *, name: str | None, public: bool, description: str
) -> None:
    """Refresh description and visibility (and the name when one is given) of an existing playlist."""
    with spotipy_errors():
        client.playlist_change_details(playlist_id, name=name, public=public, description=description)


def write_items(
    client: spotipy.Spotify, playlist_id: str, uris: Sequence[str], on_item: OnItem | None = None
) -> str | None:
    """Make the playlist hold exactly `uris`, in order: replace with the first 100, add the rest.

    Starting with a replace makes the whole write idempotent: a run cut off halfway is set right
    by the next one. Returns the last snapshot id.
    """
    chunks = [list(uris[i : i + WRITE_LIMIT]) for i in range(0, len(uris), WRITE_LIMIT)] or [[]]
    snapshot: str | None = None
    done = 0
    with spotipy_errors():
        for index, chunk in enumerate(chunks):
            if index == 0:
                reply = client.playlist_replace_items(playlist_id, chunk)
            else:
                reply = client.playlist_add_items(playlist_id, chunk)
            snapshot = (reply or {}).get("snapshot_id", snapshot)
            done += len(chunk)
            if on_item is not None:
                on_item(done, len(uris), f"{done} of {len(uris)} written")
    return snapshot


def read_items(client: spotipy.Spotify, playlist_id: str) -> list[str]:
    """The URIs in a playlist, in order, 50 a page ("" for an entry Spotify no longer returns)."""
    uris: list[str] = []
    with spotipy_errors():
        first = client.playlist_items(playlist_id, limit=PAGE_LIMIT, additional_types=("track",))
        for page in pages(client, first):
            for entry in page.get("items") or []:
                obj = entry_object(entry)
                uris.append(str(obj.get("uri") or "") if obj else "")
    return uris


def verify_order(expected: Sequence[str], actual: Sequence[str]) -> None:
    """Raise unless the playlist read back holds exactly the session's tracks in the session's order."""
    if list(expected) == list(actual):
        return
    for position, (want, got) in enumerate(zip(expected, actual, strict=False), start=1):
        if want != got:
            raise SpotifyError(
                f"the Spotify playlist differs from the session at position {position} "
                f"(expected {want}, found {got or 'nothing'}): run `spotify sync` again"
            )
    raise SpotifyError(
        f"the Spotify playlist holds {len(actual)} tracks, the session {len(expected)}: sync again"
    )
