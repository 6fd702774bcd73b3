"""Spotify use-cases: sign in and out, who is signed in, import tracks, link tracks, sync a session."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import requests
import spotipy

from playlist_builder.config import Settings
from playlist_builder.db.library import Library, SyncRecord
from playlist_builder.errors import ConfigError, InputError, SpotifyError
from playlist_builder.model import SessionPlan, Source, Track
from playlist_builder.services.progress import ProgressCallback, ProgressEvent, report
from playlist_builder.spotify import auth, importer, sync
from playlist_builder.spotify.client import SpotifyNotFoundError, make_client, spotipy_errors
from playlist_builder.spotify.match import MatchResult, match_track
from playlist_builder.text import MatchingRules

SYNC_KIND = "spotify"
ENV_TOKEN = "PLAYLIST_BUILDER_SPOTIFY_TOKEN"


# --- sign-in -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignInStatus:
    """Who is signed in, how, and until when the sign-in lasts."""

    signed_in: bool
    via: str = ""  # "sign-in cache" or the env variable name
    user_id: str | None = None
    display_name: str | None = None
    signed_in_at: datetime | None = None
    renew_by: datetime | None = None  # Spotify asks for a fresh sign-in six months after this one


def login(
    settings: Settings,
    *,
    open_url: Callable[[str], None],
    client_id: str | None = None,
    port: int | None = None,
    timeout_s: float = auth.LOGIN_TIMEOUT_S,
    accounts_session: requests.Session | None = None,
) -> SignInStatus:
    """Sign in with PKCE in the browser, cache the token (0600), and say who signed in."""
    client_id = client_id or settings.spotify_client_id
    if not client_id:
        raise ConfigError(
            "no Spotify client id: create an app at developer.spotify.com, then set SPOTIFY_CLIENT_ID "
            "(or PLAYLIST_BUILDER_SPOTIFY_CLIENT_ID) or pass --client-id"
        )
    cache = auth.TokenCache(settings.token_cache_path)
    auth.login(
        cache,
        settings.spotify_accounts_url,
        client_id,
        port or settings.spotify_redirect_port,
        open_url,
        timeout_s=timeout_s,
        session=accounts_session,
    )
    # The new sign-in is what the clinician wants to see, even if a scripted token is also set.
    return status(dataclasses.replace(settings, spotify_token=None))


def logout(settings: Settings) -> bool:
    """Forget the cached sign-in; True when there was one."""
    return auth.TokenCache(settings.token_cache_path).clear()


def status(settings: Settings, client: spotipy.Spotify | None = None) -> SignInStatus:
    """Who is signed in (GET /me); not signed in is an answer, not an error."""
    cached = None if settings.spotify_token else auth.TokenCache(settings.token_cache_path).load()
    if not settings.spotify_token and cached is None:
        return SignInStatus(signed_in=False)
    client = client or make_client(settings)
    with spotipy_errors():
        me = client.me() or {}
    signed_in_at = None
    if cached and cached.get("signed_in_at"):
        signed_in_at = datetime.fromtimestamp(float(cached["signed_in_at"]), UTC)
    return SignInStatus(
        signed_in=True,
        via=ENV_TOKEN if settings.spotify_token else "sign-in cache",
        user_id=me.get("id"),
        display_name=me.get("display_name"),
        signed_in_at=signed_in_at,
        renew_by=signed_in_at + timedelta(days=auth.REFRESH_TOKEN_LIFETIME_DAYS) if signed_in_at else None,
    )


# --- import --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportReport:
    """What one source brought into the library."""

    source: str
    track_ids: tuple[int, ...]
    new: int
    updated: int
    skipped: tuple[str, ...] = ()


def _on_item(progress: ProgressCallback | None) -> importer.OnItem | None:
    """The stage-level progress hook, forwarding to a ProgressEvent callback."""
    if progress is None:
        return None
    return lambda done, total, item: progress(ProgressEvent(done=done, total=total, item=item))


def _store(library: Library, label: str, fetched: importer.Fetched) -> ImportReport:
    """Upsert fetched tracks in one transaction (re-importing changes nothing but metadata)."""
    known = {t.source_key for t in library.list_tracks(source=Source.SPOTIFY)}
    ids = library.upsert_tracks(fetched.tracks)
    new = sum(1 for t in fetched.tracks if t.source_key not in known)
    return ImportReport(label, tuple(ids), new, len(ids) - new, fetched.skipped)


def import_tracks(
    library: Library,
    client: spotipy.Spotify,
    *,
    playlist: str | None = None,
    saved: bool = False,
    search: str | None = None,
    search_limit: int = importer.SEARCH_LIMIT,
    progress: ProgressCallback | None = None,
) -> list[ImportReport]:
    """Bring tracks from a playlist, the saved tracks and/or a search into the library as spotify rows.

    Each source is read completely before anything is written, so a failure halfway leaves the
    library as it was. Classification is a separate step (`playlist-builder classify`).
    """
    if not (playlist or saved or search):
        raise InputError("say what to import: --playlist URL|ID, --saved, or --search QUERY")
    on_item = _on_item(progress)
    reports: list[ImportReport] = []
    if playlist:
        playlist_id = importer.parse_playlist_id(playlist)
        found = importer.fetch_playlist(client, playlist_id, on_item)
        reports.append(_store(library, f"playlist {playlist_id}", found))
    if saved:
        reports.append(_store(library, "saved tracks", importer.fetch_saved(client, on_item)))
    if search:
        found = importer.fetch_search(client, search, search_limit, on_item)
        reports.append(_store(library, f"search {search!r}", found))
    return reports


# --- matching ------------------------------------------------------------------------------------------


def link_tracks(
    library: Library,
    client: spotipy.Spotify,
    tracks: Iterable[Track],
    matching: MatchingRules,
    progress: ProgressCallback | None = None,
) -> list[tuple[Track, MatchResult]]:
    """Match each track to Spotify and store the link of every unambiguous match on its row."""
    todo = list(tracks)
    results: list[tuple[Track, MatchResult]] = []
    for done, track in enumerate(todo, start=1):
        result = match_track(client, track, matching)
        if (
            result.status == "matched"
            and result.uri
            and track.id is not None
            and track.spotify_uri != result.uri
        ):
            library.set_link(track.id, spotify_uri=result.uri)
        results.append((track, result))
        report(progress, ProgressEvent(done=done, total=len(todo), item=track.title))
    return results


# --- sync ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LeftOut:
    """A session item that has no Spotify match and so is not in the playlist."""

    position: int
    track_id: int
    title: str
    artist: str | None
    reason: str


@dataclass(frozen=True)
class SyncReport:
    """Where a session went on Spotify and what was left out."""

    session_id: int
    playlist_id: str
    url: str
    created: bool
    snapshot: str | None
    synced: int
    left_out: tuple[LeftOut, ...] = ()
    linked_now: int = 0
    ambiguous: tuple[str, ...] = field(default=())


def _spotify_uri(library: Library, track: Track) -> str | None:
    """The Spotify URI that plays this track: its own, or that of the row it is linked to."""
    if track.spotify_uri:
        return track.spotify_uri
    if track.source is Source.SPOTIFY:
        return track.source_key
    if track.linked_track_id is not None:
        linked = library.get_track(track.linked_track_id)
        if linked is not None and (linked.spotify_uri or linked.source is Source.SPOTIFY):
            return linked.spotify_uri or linked.source_key
    return None


def session_uris(library: Library, plan: SessionPlan) -> tuple[list[str], list[LeftOut]]:
    """The session's Spotify URIs in play order, and the items that have none."""
    uris: list[str] = []
    left_out: list[LeftOut] = []
    for item in sorted(plan.items, key=lambda i: i.position):
        track = library.get_track(item.track_id)
        uri = _spotify_uri(library, track) if track is not None else None
        if uri:
            uris.append(uri)
        elif track is None:
            left_out.append(
                LeftOut(item.position, item.track_id, "?", None, "track no longer in the library")
            )
        else:
            reason = (
                "a local file with no Spotify match" if track.source is Source.LOCAL else "no Spotify match"
            )
            left_out.append(LeftOut(item.position, item.track_id, track.title, track.artist, reason))
    return uris, left_out


def _previous_playlist(library: Library, session_id: int) -> SyncRecord | None:
    """The newest Spotify sync of this session that knows its playlist id (even an unfinished one)."""
    return next((r for r in library.syncs(session_id, kind=SYNC_KIND) if r.external_id), None)


def _session_marker(library: Library, plan: SessionPlan, session_id: int) -> str:
    """The marker this session's playlist carries, the same on every run.

    A run killed between Spotify making the playlist and the library storing its id thus finds
    that playlist next time instead of making a second one. Only a session without a creation
    time gets a random marker, recorded before any playlist exists.
    """
    if plan.created_at is not None:
        return sync.session_marker(session_id, plan.created_at)
    for record in library.syncs(session_id, kind=SYNC_KIND):
        marker = record.details.get("marker")
        if isinstance(marker, str) and marker.startswith(sync.MARKER_PREFIX):
            return marker
    marker = sync.session_marker(session_id, None)
    library.record_sync(session_id, SYNC_KIND, "", details={"status": "creating", "marker": marker})
    return marker


def _link_missing(
    library: Library,
    client: spotipy.Spotify,
    plan: SessionPlan,
    matching: MatchingRules,
    progress: ProgressCallback | None,
) -> tuple[int, list[str]]:
    """Try to match the session's unmatched tracks; (how many got linked, the ambiguous ones)."""
    tracks = [library.get_track(item.track_id) for item in plan.items]
    todo = [t for t in tracks if t is not None and _spotify_uri(library, t) is None]
    results = link_tracks(library, client, todo, matching, progress)
    linked = sum(1 for _, r in results if r.status == "matched")
    ambiguous = [f"{t.artist or '?'} - {t.title}: {r.reason}" for t, r in results if r.status == "ambiguous"]
    return linked, ambiguous


def _describe_left_out(left_out: list[LeftOut], limit: int = 5) -> str:
    shown = ", ".join(f"#{i.position} {i.title}" for i in left_out[:limit])
    more = f" and {len(left_out) - limit} more" if len(left_out) > limit else ""
    return shown + more


def sync_session(
    library: Library,
    client: spotipy.Spotify,
    session_id: int,
    *,
    name: str | None = None,
    public: bool = False,
    strict: bool = False,
    match: MatchingRules | None = None,
    today: date | None = None,
    progress: ProgressCallback | None = None,
) -> SyncReport:
    """Push a session to the user's Spotify playlist for it: created the first time, replaced after.

    With `match` (the matching rules), session tracks with no Spotify link are first looked up.

    The playlist id is recorded as soon as the playlist exists, and every write starts with a
    replace, so a run that is cut off is completed by running it again (no second playlist).
    """
    plan = library.get_session(session_id)
    linked_now, ambiguous = (
        _link_missing(library, client, plan, match, progress) if match is not None else (0, [])
    )
    uris, left_out = session_uris(library, plan)
    if strict and left_out:
        raise SpotifyError(
            f"{len(left_out)} of {len(plan.items)} session tracks have no Spotify match "
            f"({_describe_left_out(left_out)}): link them (try --match) or sync without --strict"
        )
    if not uris:
        raise SpotifyError(
            "none of the session's tracks has a Spotify match, so there is nothing to sync: try --match, "
            "or build the session from Spotify or curated tracks"
        )
    when = today or date.today()
    minutes = plan.total_s / 60 if plan.total_s > 0 else plan.target_minutes
    marker = _session_marker(library, plan, session_id)
    description = sync.playlist_description(plan.arc_name, minutes, when, marker)
    previous = _previous_playlist(library, session_id)
    playlist_id, url, created = "", "", False
    if previous is not None:
        try:
            sync.update_details(
                client, previous.external_id or "", name=name, public=public, description=description
            )
            playlist_id, url = previous.external_id or "", previous.target
        except SpotifyNotFoundError:
            report(
                progress, ProgressEvent(message="the earlier playlist is gone on Spotify; making a new one")
            )
    if not playlist_id:
        made, _made_now = sync.create_marked_playlist(
            client,
            name or sync.default_playlist_name(plan.arc_name, minutes, when),
            public=public,
            description=description,
            marker=marker,
        )
        playlist_id, url, created = made.id, made.url, True
        details = {"status": "created", "public": public, "marker": marker}
        library.record_sync(
            session_id, SYNC_KIND, url, external_id=playlist_id, snapshot=made.snapshot, details=details
        )
    snapshot = sync.write_items(client, playlist_id, uris, _on_item(progress))
    sync.verify_order(uris, sync.read_items(client, playlist_id))
    details = {
        "status": "complete",
        "marker": marker,
        "public": public,
        "tracks": len(uris),
        "left_out": [i.track_id for i in left_out],
        "created": created,
    }
    library.record_sync(
        session_id, SYNC_KIND, url, external_id=playlist_id, snapshot=snapshot, details=details
    )
    return SyncReport(
        session_id,
        playlist_id,
        url,
        created,
        snapshot,
        len(uris),
        tuple(left_out),
        linked_now,
        tuple(ambiguous),
    )
