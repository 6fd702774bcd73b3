"""Exports the clinic app offers: the M3U8 as a download (no file written), device folders, mix paths."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from playlist_builder.config import Settings
from playlist_builder.db.library import Library
from playlist_builder.errors import ExportError, InputError
from playlist_builder.export.m3u import (
    absolute_location,
    encode_playlist,
    prefixed_location,
    render_playlist,
)
from playlist_builder.export.names import safe_name
from playlist_builder.services.export_files import (
    check_back_to_back,
    path_under_root,
    playlist_entry,
    session_files,
)

MAX_PREFIX_LENGTH = 500
DEVICE_DEPTH = 2  # /media/USB and /run/media/<user>/USB: mount points sit one or two levels down


@dataclass(frozen=True)
class PlaylistDownload:
    """An M3U8 to hand to the browser: its file name and bytes."""

    file_name: str
    data: bytes
    entries: int
    left_out: int


def playlist_download(
    library: Library, settings: Settings, session_id: int, *, prefix: str | None = None
) -> PlaylistDownload:
    """The session as M3U8 text: absolute paths as this computer sees them, or under `prefix`."""
    if prefix is not None and (len(prefix) > MAX_PREFIX_LENGTH or any(ord(c) < 32 for c in prefix)):
        raise InputError("the path prefix must be one line of at most 500 characters")
    files = session_files(library, session_id)
    if not files.playable:
        raise ExportError(f"session {session_id} has no local files to put in a playlist")
    check_back_to_back(files, settings, "a playlist")
    entries = []
    for item, track in files.playable:
        assert track.path is not None
        location = (
            prefixed_location(prefix, path_under_root(track))
            if prefix
            else absolute_location(os.path.abspath(track.path))
        )
        entries.append(playlist_entry(item, track, location))
    text = render_playlist(files.plan.name, entries)
    library.record_sync(session_id, "m3u", "download", details={"entries": len(entries), "prefix": prefix})
    name = safe_name(files.plan.name or f"Session {session_id}", ".m3u8")
    return PlaylistDownload(name, encode_playlist(text), len(entries), len(files.left_out))


def device_folders(roots: tuple[Path, ...]) -> list[Path]:
    """Folders under the device roots (mounted cards and sticks) the server can write a session to."""
    found: list[Path] = []
    for root in roots:
        level = [root] if root.is_dir() else []
        for _depth in range(DEVICE_DEPTH):
            nxt = []
            for folder in level:
                try:
                    children = sorted(
                        p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")
                    )
                except OSError:
                    continue
                nxt.extend(children)
            found.extend(p for p in nxt if os.path.ismount(p) or os.access(p, os.W_OK))
            level = nxt
    return sorted(set(found))


def check_device_folder(roots: tuple[Path, ...], chosen: str) -> Path:
    """The chosen folder if it is one of `device_folders(roots)`; InputError otherwise."""
    allowed = {os.path.realpath(p): p for p in device_folders(roots)}
    real = os.path.realpath(chosen) if chosen else ""
    if real not in allowed:
        raise InputError("choose one of the listed device folders (is the card mounted?)")
    return allowed[real]


def mix_path(settings: Settings, session_id: int, when: datetime) -> Path:
    """Where the app writes a session's mix: the data folder's exports/, named by session and time."""
    folder = settings.data_dir / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"session-{session_id}-{when.strftime('%Y%m%d-%H%M%S')}.flac"
