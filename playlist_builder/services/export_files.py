"""What every file export starts from: a session's items resolved to playable local files."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from playlist_builder.config import Settings
from playlist_builder.db.library import Library
from playlist_builder.errors import ExportError
from playlist_builder.export.m3u import PlaylistEntry, clean_tag
from playlist_builder.export.sheet import clock
from playlist_builder.export.timeline import total_length
from playlist_builder.model import PlanItem, SessionPlan, Source, Track
from playlist_builder.sequence.rules import load_sequence_rules
from playlist_builder.services.progress import ProgressCallback, ProgressEvent

SHOWN_LEFT_OUT = 10  # how many left-out tracks an error message names before "and N more"


def track_label(track: Track) -> str:
    """`Artist - Title` for messages and sheets (tags cleaned of control characters)."""
    artist, title = clean_tag(track.artist), clean_tag(track.title)
    return f"{artist} - {title}" if artist and title else title or artist or f"track {track.id}"


@dataclass(frozen=True)
class LeftOut:
    """A session item that cannot go into a file export, and why."""

    position: int
    track_id: int
    label: str
    reason: str  # "spotify-only" or "no local file"


@dataclass(frozen=True)
class SessionFiles:
    """A session with its playable local files resolved, and what had to be left out."""

    plan: SessionPlan
    playable: tuple[tuple[PlanItem, Track], ...]
    left_out: tuple[LeftOut, ...]

    @property
    def spotify_only(self) -> int:
        """How many items exist only on Spotify."""
        return sum(1 for item in self.left_out if item.reason == "spotify-only")


def _local_file(library: Library, track: Track) -> Track | None:
    """The local-file track that plays `track`: itself, or the local file a Spotify/curated row links to."""
    if track.source is Source.LOCAL:
        return track
    if track.linked_track_id is not None:
        linked = library.get_track(track.linked_track_id)
        if linked is not None and linked.source is Source.LOCAL:
            return linked
    return None


def session_files(library: Library, session_id: int) -> SessionFiles:
    """Resolve every item of a session to a local file; Spotify-only items are listed as left out.

    Raises ExportError when local files are missing on disk (the export would silently change the arc).
    """
    plan = library.get_session(session_id)
    tracks = {t.id: t for t in library.list_tracks(ids=[item.track_id for item in plan.items])}
    playable: list[tuple[PlanItem, Track]] = []
    left_out: list[LeftOut] = []
    missing: list[str] = []
    for item in plan.items:
        track = tracks.get(item.track_id)
        if track is None:
            raise ExportError(f"session {session_id} refers to track {item.track_id}, which no longer exists")
        local = _local_file(library, track)
        if local is None or local.path is None:
            reason = "spotify-only" if track.source is Source.SPOTIFY else "no local file"
            left_out.append(LeftOut(item.position, item.track_id, track_label(track), reason))
        elif local.missing or not os.path.isfile(local.path):
            missing.append(local.path)
        else:
            playable.append((item, local))
    if missing:
        raise ExportError(
            f"{len(missing)} file(s) of session {session_id} are missing: {_some(missing)}; "
            "reconnect the drive or run `playlist-builder library scan`, or build a new session"
        )
    return SessionFiles(plan, tuple(playable), tuple(left_out))


def _some(names: list[str]) -> str:
    shown = ", ".join(names[:SHOWN_LEFT_OUT])
    return shown + (f" and {len(names) - SHOWN_LEFT_OUT} more" if len(names) > SHOWN_LEFT_OUT else "")


def require_playable(files: SessionFiles, what: str) -> None:
    """ExportError for a session with nothing to put in a file export."""
    if files.playable:
        return
    if not files.plan.items:
        raise ExportError(f"session {files.plan.id} is empty: nothing to put in {what}")
    raise ExportError(
        f"none of the {len(files.plan.items)} tracks of session {files.plan.id} is a local file "
        f"({files.spotify_only} are Spotify-only), so there is nothing to put in {what}; "
        "use `playlist-builder spotify sync` for Spotify sessions"
    )


def path_under_root(track: Track) -> str:
    """A local file's path below the folder it was scanned from: its place in a device's layout
    (`export m3u --prefix`). The key of a local track is its resolved absolute path."""
    assert track.path is not None
    root = os.path.realpath(track.root_path or os.path.dirname(track.path))
    return os.path.relpath(track.path, root)


def playlist_entry(item: PlanItem, track: Track, location: str) -> PlaylistEntry:
    """One playlist line: a player plays the whole file, so its whole length is what counts."""
    duration = track.duration_s if track.duration_s else item.duration_s
    return PlaylistEntry(location, duration, track.artist, track.title)


def progress_counter(progress: ProgressCallback | None) -> Callable[[int, int, str], None] | None:
    """Adapt a ProgressEvent callback to the export modules' plain (done, total, item) callback."""
    if progress is None:
        return None
    callback = progress

    def on_progress(done: int, total: int, item: str) -> None:
        callback(ProgressEvent(done=done, total=total, item=item))

    return on_progress


def whole_lengths(files: SessionFiles) -> list[float]:
    """Each playable file's whole length: what a playlist, a device or Spotify plays of it."""
    return [float(track.duration_s or item.duration_s) for item, track in files.playable]


def length_tolerance_s(settings: Settings) -> float:
    """How far from the asked length any exported form may play (rules/sequence.toml)."""
    return load_sequence_rules(settings.rules_dir).limits.total_tolerance_s


def check_back_to_back(files: SessionFiles, settings: Settings, what: str) -> float:
    """The length of the files played whole, one after another; ExportError when that is not the
    length the clinician asked for (a session planned for crossfades by an earlier version)."""
    total = total_length(whole_lengths(files))
    if files.left_out:
        return total  # shorter by the left-out tracks, which the command lists
    plan = files.plan
    target = plan.target_minutes * 60
    if abs(total - target) <= length_tolerance_s(settings):
        return total
    raise ExportError(
        f"session {plan.id} lasts {clock(total)} when its tracks play whole, one after another, as "
        f"{what} plays them, not the {clock(target)} asked for: it was planned with crossfades by an "
        f"earlier version. Build it again (`playlist-builder session build --arc {plan.arc_name} "
        f"--minutes {plan.target_minutes:g} --seed {plan.seed}`) and export the new session, or "
        "export this one as a continuous mix (`playlist-builder export mix`), which plays it on time"
    )
