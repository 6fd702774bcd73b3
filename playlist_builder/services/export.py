"""Export use-cases: a session as an M3U8 playlist, a device copy, a continuous mix, a sheet and a plot."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from playlist_builder.config import Settings
from playlist_builder.db.library import Library
from playlist_builder.errors import ExportError, InputError
from playlist_builder.export import device as device_copy
from playlist_builder.export.atomic import write_bytes_atomic
from playlist_builder.export.ffmpeg import CODECS
from playlist_builder.export.levels import DEFAULT_TARGET_LUFS, MAX_TARGET_LUFS, MIN_TARGET_LUFS
from playlist_builder.export.m3u import (
    PlaylistEntry,
    absolute_location,
    clean_tag,
    encode_playlist,
    prefixed_location,
    relative_location,
    render_playlist,
)
from playlist_builder.export.mix import FADE_IN_S, FADE_OUT_S, MixOptions, MixResult, MixTrack, mix_to_file
from playlist_builder.export.mix import FORMATS as MIX_FORMATS
from playlist_builder.export.names import MAX_FOLDER_BYTES, safe_name, track_file_name, unique_name
from playlist_builder.model import PlanItem, SessionPlan, Source, Track

# The sheet and plot live in their own module; they are part of this module's public API too.
from playlist_builder.services.export_sheet import (
    session_sheet,
    track_label,
    write_arc_plot,
    write_session_sheet,
)
from playlist_builder.services.progress import ProgressCallback, ProgressEvent

PLAYLIST_SUFFIXES = {".m3u8": False, ".m3u": True}  # suffix -> Latin-1?
SHOWN_LEFT_OUT = 10  # how many left-out tracks an error message names before "and N more"


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


@dataclass(frozen=True)
class PlaylistExport:
    """Result of `export m3u`."""

    path: Path
    entries: int
    duration_s: float
    left_out: tuple[LeftOut, ...]
    sync_id: int


@dataclass(frozen=True)
class DeviceExport:
    """Result of `export device` (with `dry_run`, what it would do)."""

    folder: Path
    playlist: Path
    files: tuple[device_copy.CopyOutcome, ...]
    needed_bytes: int
    free_bytes: int
    left_out: tuple[LeftOut, ...]
    dry_run: bool
    sync_id: int | None


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


def _require_playable(files: SessionFiles, what: str) -> None:
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


def playlist_latin1(path: Path, format_name: str | None) -> bool:
    """Whether to write Latin-1 `.m3u` (by `format_name`, else by extension); InputError otherwise."""
    if format_name is not None:
        return format_name.lower() == "m3u"
    suffix = path.suffix.lower()
    if suffix not in PLAYLIST_SUFFIXES:
        raise InputError(f"{path.name}: a playlist file must end in .m3u8 (UTF-8) or .m3u (Latin-1)")
    return PLAYLIST_SUFFIXES[suffix]


def _entry(item: PlanItem, track: Track, location: str) -> PlaylistEntry:
    duration = track.duration_s if track.duration_s else item.duration_s
    return PlaylistEntry(location, duration, track.artist, track.title)


def export_m3u(
    library: Library,
    settings: Settings,
    session_id: int,
    out: Path,
    *,
    absolute: bool = False,
    prefix: str | None = None,
    format_name: str | None = None,
) -> PlaylistExport:
    """Write a session as an M3U8 (or Latin-1 M3U) playlist of its local files, atomically."""
    del settings  # part of every use-case's signature; nothing here is configurable yet
    if absolute and prefix:
        raise InputError("--absolute and --prefix exclude each other: choose one")
    latin1 = playlist_latin1(out, format_name)
    files = session_files(library, session_id)
    _require_playable(files, "a playlist")
    out = Path(os.path.abspath(out))
    entries = []
    for item, track in files.playable:
        assert track.path is not None
        if prefix:
            # a local key is the resolved absolute path: the device layout is the path under its root
            root = os.path.realpath(track.root_path or os.path.dirname(track.path))
            location = prefixed_location(prefix, os.path.relpath(track.path, root))
        elif absolute:
            location = absolute_location(os.path.abspath(track.path))
        else:
            location = relative_location(os.path.abspath(track.path), str(out.parent))
        entries.append(_entry(item, track, location))
    text = render_playlist(files.plan.name, entries, latin1=latin1)
    write_bytes_atomic(out, encode_playlist(text, latin1=latin1))
    mode = "prefix" if prefix else "absolute" if absolute else "relative"
    sync_id = library.record_sync(
        session_id,
        "m3u",
        str(out),
        details={
            "entries": len(entries),
            "encoding": "latin-1" if latin1 else "utf-8",
            "paths": mode,
            "prefix": prefix,
            "left_out": [item.track_id for item in files.left_out],
        },
    )
    duration = sum(entry.duration_s or 0.0 for entry in entries)
    return PlaylistExport(out, len(entries), duration, files.left_out, sync_id)


def _device_jobs(files: SessionFiles, transcode: str | None) -> list[device_copy.CopyJob]:
    """One copy job per playable file, named `NN Artist - Title.ext`, unique on a FAT card."""
    jobs: list[device_copy.CopyJob] = []
    taken: list[str] = []
    count = len(files.playable)
    for number, (_item, track) in enumerate(files.playable, start=1):
        assert track.path is not None
        source = Path(track.path)
        codec = device_copy.codec_for(source, transcode)
        extension = codec.extension if codec else source.suffix
        name = unique_name(track_file_name(number, count, track.artist, track.title, extension), taken)
        taken.append(name)
        try:
            size = source.stat().st_size
        except OSError as exc:
            raise ExportError(f"cannot read {source}: {exc.strerror or exc}") from exc
        tags = (
            ("title", clean_tag(track.title)),
            ("artist", clean_tag(track.artist)),
            ("album", clean_tag(track.album)),
        )
        jobs.append(device_copy.CopyJob(source, name, size, codec, track.duration_s, tags))
    return jobs


def export_device(
    library: Library,
    settings: Settings,
    session_id: int,
    to_dir: Path,
    *,
    transcode: str | None = None,
    dry_run: bool = False,
    progress: ProgressCallback | None = None,
) -> DeviceExport:
    """Copy a session's files and an M3U8 into a folder on a USB stick/SD card (see export/device.py)."""
    del settings
    if transcode is not None and transcode not in CODECS:
        raise InputError(f"--transcode must be one of {', '.join(CODECS)}, not {transcode!r}")
    if not to_dir.is_dir():
        raise InputError(f"{to_dir} is not a folder (is the card mounted?)")
    files = session_files(library, session_id)
    _require_playable(files, "a device copy")
    folder = Path(os.path.abspath(to_dir)) / safe_name(
        files.plan.name or f"Session {session_id}", max_bytes=MAX_FOLDER_BYTES
    )
    jobs = _device_jobs(files, transcode)
    playlist_name = unique_name(safe_name(files.plan.name or "Session", ".m3u8"), [job.name for job in jobs])
    entries = [_entry(item, track, job.name) for (item, track), job in zip(files.playable, jobs, strict=True)]
    playlist_bytes = encode_playlist(render_playlist(files.plan.name, entries))
    plan = device_copy.plan_copy(folder, jobs)
    device_copy.check_space(plan)
    if dry_run:
        planned = tuple(
            device_copy.CopyOutcome(
                job.name,
                "skip" if job.name in plan.already_there else "transcode" if job.codec else "copy",
                job.expected_bytes,
                "",
            )
            for job in jobs
        )
        return DeviceExport(
            folder,
            folder / playlist_name,
            planned,
            plan.needed_bytes,
            plan.free_bytes,
            files.left_out,
            True,
            None,
        )
    outcomes = device_copy.run_copy(plan, playlist_name, playlist_bytes, _counter(progress))
    sync_id = library.record_sync(
        session_id,
        "device",
        str(folder),
        details={
            "playlist": playlist_name,
            "files": [o.name for o in outcomes],
            "copied": sum(1 for o in outcomes if o.action == "copied"),
            "transcoded": sum(1 for o in outcomes if o.action == "transcoded"),
            "skipped": sum(1 for o in outcomes if o.action == "skipped"),
            "transcode": transcode,
            "left_out": [item.track_id for item in files.left_out],
        },
    )
    return DeviceExport(
        folder,
        folder / playlist_name,
        tuple(outcomes),
        plan.needed_bytes,
        plan.free_bytes,
        files.left_out,
        False,
        sync_id,
    )


def _counter(progress: ProgressCallback | None) -> Callable[[int, int, str], None] | None:
    """Adapt a ProgressEvent callback to the export modules' plain (done, total, item) callback."""
    if progress is None:
        return None
    callback = progress

    def on_progress(done: int, total: int, item: str) -> None:
        callback(ProgressEvent(done=done, total=total, item=item))

    return on_progress


@dataclass(frozen=True)
class MixExport:
    """Result of `export mix`: the file, its measured loudness and peak, and each track's gain."""

    mix: MixResult
    target_lufs: float
    left_out: tuple[LeftOut, ...]
    sync_id: int


def _mix_tracks(files: SessionFiles) -> list[MixTrack]:
    """The playable items in order, each overlapping the previous one by the plan's crossfade."""
    tracks = []
    for index, (item, track) in enumerate(files.playable):
        assert track.path is not None
        crossfade = item.crossfade_in_s if index else 0.0
        tracks.append(MixTrack(Path(track.path), track_label(track), item.duration_s or None, crossfade))
    return tracks


def _end_fades(files: SessionFiles, fade_in_s: float | None, fade_out_s: float | None) -> tuple[float, float]:
    """The session's opening and closing fades: as asked, else as planned (the first item's fade-in and
    the last item's fade-out), else the mix defaults."""
    first, last = files.playable[0][0], files.playable[-1][0]
    if fade_in_s is None:
        fade_in_s = first.crossfade_in_s if first.position == 0 and first.crossfade_in_s > 0 else FADE_IN_S
    if fade_out_s is None:
        is_last = last.position == len(files.plan.items) - 1
        fade_out_s = last.crossfade_out_s if is_last and last.crossfade_out_s > 0 else FADE_OUT_S
    if fade_in_s < 0 or fade_out_s < 0:
        raise InputError("fade lengths cannot be negative")
    return fade_in_s, fade_out_s


def export_mix(
    library: Library,
    settings: Settings,
    session_id: int,
    out: Path,
    *,
    target_lufs: float = DEFAULT_TARGET_LUFS,
    fade_in_s: float | None = None,
    fade_out_s: float | None = None,
    progress: ProgressCallback | None = None,
) -> MixExport:
    """Render a session into one loudness-matched file with crossfades (FLAC, WAV or MP3).

    Crossfades come from the plan; the opening fade and the long closing fade too, unless given.
    """
    del settings
    if not MIN_TARGET_LUFS <= target_lufs <= MAX_TARGET_LUFS:
        raise InputError(
            f"loudness target {target_lufs:g} LUFS is outside {MIN_TARGET_LUFS:g}…{MAX_TARGET_LUFS:g} LUFS"
        )
    if out.suffix.lower() not in MIX_FORMATS:
        raise InputError(f"{out.name}: a mix file must end in {', '.join(MIX_FORMATS)}")
    files = session_files(library, session_id)
    _require_playable(files, "a mix")
    out = Path(os.path.abspath(out))
    fade_in_s, fade_out_s = _end_fades(files, fade_in_s, fade_out_s)
    options = MixOptions(target_lufs=target_lufs, fade_in_s=fade_in_s, fade_out_s=fade_out_s)

    def on_progress(done_s: float, total_s: float, label: str) -> None:
        if progress is not None:
            progress(ProgressEvent(done=round(done_s), total=max(round(total_s), round(done_s)), item=label))

    result = mix_to_file(_mix_tracks(files), out, options, on_progress)
    sync_id = library.record_sync(
        session_id,
        "mix",
        str(out),
        details={
            "target_lufs": target_lufs,
            "integrated_lufs": round(result.integrated_lufs, 2),
            "true_peak_dbtp": round(result.true_peak_dbtp, 2),
            "duration_s": round(result.duration_s, 2),
            "rate": result.rate,
            "gains_db": [round(level.gain_db, 2) for level in result.levels],
            "left_out": [item.track_id for item in files.left_out],
        },
    )
    return MixExport(result, target_lufs, files.left_out, sync_id)


__all__ = [
    "DeviceExport",
    "LeftOut",
    "MixExport",
    "PlaylistExport",
    "export_device",
    "export_m3u",
    "export_mix",
    "session_files",
    "session_sheet",
    "track_label",
    "write_arc_plot",
    "write_session_sheet",
]
