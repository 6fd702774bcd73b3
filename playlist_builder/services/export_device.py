"""The `export device` use-case: a session's files, playlist and sheet on a USB stick or SD card."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from playlist_builder.config import Settings
from playlist_builder.db.library import Library
from playlist_builder.errors import ExportError, InputError
from playlist_builder.export import device as device_copy
from playlist_builder.export.atomic import write_bytes_atomic
from playlist_builder.export.ffmpeg import CODECS
from playlist_builder.export.m3u import clean_tag, encode_playlist, render_playlist
from playlist_builder.export.names import MAX_FOLDER_BYTES, safe_name, track_file_name, unique_name
from playlist_builder.export.sheet import render_html
from playlist_builder.export.timeline import PLAYLIST
from playlist_builder.services.export_files import (
    LeftOut,
    SessionFiles,
    check_back_to_back,
    playlist_entry,
    progress_counter,
    require_playable,
    session_files,
)
from playlist_builder.services.export_sheet import session_sheet
from playlist_builder.services.progress import ProgressCallback

SHEET_NAME_SUFFIX = " - session sheet"  # the sheet beside the playlist: `<session name> - session sheet.html`


@dataclass(frozen=True)
class DeviceExport:
    """Result of `export device` (with `dry_run`, what it would do)."""

    folder: Path
    playlist: Path
    sheet: Path
    files: tuple[device_copy.CopyOutcome, ...]
    needed_bytes: int
    free_bytes: int
    left_out: tuple[LeftOut, ...]
    dry_run: bool
    sync_id: int | None


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
    """Copy a session's files, an M3U8 and the session sheet into a folder on a USB stick/SD card.

    The sheet's times are the device's: every track played whole, one after another.
    """
    if transcode is not None and transcode not in CODECS:
        raise InputError(f"--transcode must be one of {', '.join(CODECS)}, not {transcode!r}")
    if not to_dir.is_dir():
        raise InputError(f"{to_dir} is not a folder (is the card mounted?)")
    files = session_files(library, session_id)
    require_playable(files, "a device copy")
    check_back_to_back(files, settings, "a device")
    title = files.plan.name or f"Session {session_id}"
    folder = Path(os.path.abspath(to_dir)) / safe_name(title, max_bytes=MAX_FOLDER_BYTES)
    jobs = _device_jobs(files, transcode)
    taken = [job.name for job in jobs]
    playlist_name = unique_name(safe_name(files.plan.name or "Session", ".m3u8"), taken)
    sheet_name = unique_name(safe_name(f"{title}{SHEET_NAME_SUFFIX}", ".html"), [*taken, playlist_name])
    entries = [
        playlist_entry(item, track, job.name) for (item, track), job in zip(files.playable, jobs, strict=True)
    ]
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
            folder / sheet_name,
            planned,
            plan.needed_bytes,
            plan.free_bytes,
            files.left_out,
            True,
            None,
        )
    outcomes = device_copy.run_copy(plan, playlist_name, playlist_bytes, progress_counter(progress))
    sync_id = library.record_sync(
        session_id,
        "device",
        str(folder),
        details={
            "playlist": playlist_name,
            "sheet": sheet_name,
            "files": [o.name for o in outcomes],
            "copied": sum(1 for o in outcomes if o.action == "copied"),
            "transcoded": sum(1 for o in outcomes if o.action == "transcoded"),
            "skipped": sum(1 for o in outcomes if o.action == "skipped"),
            "transcode": transcode,
            "left_out": [item.track_id for item in files.left_out],
        },
    )
    # Written last, so it lists this copy among the places the session went.
    sheet = render_html(session_sheet(library, settings, session_id, form=PLAYLIST, plot=True))
    write_bytes_atomic(device_copy.inside(folder, sheet_name), sheet.encode("utf-8"))
    return DeviceExport(
        folder,
        folder / playlist_name,
        folder / sheet_name,
        tuple(outcomes),
        plan.needed_bytes,
        plan.free_bytes,
        files.left_out,
        False,
        sync_id,
    )
