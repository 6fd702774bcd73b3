"""The `export m3u` use-case: a session as an M3U8 (or Latin-1 M3U) playlist of its local files."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from playlist_builder.config import Settings
from playlist_builder.db.library import Library
from playlist_builder.errors import InputError
from playlist_builder.export.atomic import write_bytes_atomic
from playlist_builder.export.m3u import (
    absolute_location,
    encode_playlist,
    prefixed_location,
    relative_location,
    render_playlist,
)
from playlist_builder.services.export_files import (
    LeftOut,
    check_back_to_back,
    path_under_root,
    playlist_entry,
    require_playable,
    session_files,
)

PLAYLIST_SUFFIXES = {".m3u8": False, ".m3u": True}  # suffix -> Latin-1?


@dataclass(frozen=True)
class PlaylistExport:
    """Result of `export m3u`."""

    path: Path
    entries: int
    duration_s: float
    left_out: tuple[LeftOut, ...]
    sync_id: int


def playlist_latin1(path: Path, format_name: str | None) -> bool:
    """Whether to write Latin-1 `.m3u` (by `format_name`, else by extension); InputError otherwise."""
    if format_name is not None:
        return format_name.lower() == "m3u"
    suffix = path.suffix.lower()
    if suffix not in PLAYLIST_SUFFIXES:
        raise InputError(f"{path.name}: a playlist file must end in .m3u8 (UTF-8) or .m3u (Latin-1)")
    return PLAYLIST_SUFFIXES[suffix]


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
    """Write a session as an M3U8 (or Latin-1 M3U) playlist of its local files, atomically.

    A player plays each file whole, one after another; a session that would not last the asked
    length that way is refused (see services.export_files.check_back_to_back).
    """
    if absolute and prefix:
        raise InputError("--absolute and --prefix exclude each other: choose one")
    latin1 = playlist_latin1(out, format_name)
    files = session_files(library, session_id)
    require_playable(files, "a playlist")
    check_back_to_back(files, settings, "a playlist")
    out = Path(os.path.abspath(out))
    entries = []
    for item, track in files.playable:
        assert track.path is not None
        if prefix:
            location = prefixed_location(prefix, path_under_root(track))
        elif absolute:
            location = absolute_location(os.path.abspath(track.path))
        else:
            location = relative_location(os.path.abspath(track.path), str(out.parent))
        entries.append(playlist_entry(item, track, location))
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
