"""The session sheet and arc plot use-cases (re-exported by services.export, which the CLI calls)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from playlist_builder.config import Settings
from playlist_builder.db.library import Library
from playlist_builder.errors import InputError
from playlist_builder.export.atomic import write_bytes_atomic
from playlist_builder.export.m3u import clean_tag
from playlist_builder.export.sheet import (
    SessionSheet,
    SheetExport,
    SheetTrack,
    phase_spans,
    render_html,
    render_markdown,
)
from playlist_builder.model import Arc, Track


def track_label(track: Track) -> str:
    """`Artist - Title` for messages and sheets (tags cleaned of control characters)."""
    artist, title = clean_tag(track.artist), clean_tag(track.title)
    return f"{artist} - {title}" if artist and title else title or artist or f"track {track.id}"


SHEET_FORMATS = (".html", ".htm", ".md")
PLOT_FORMATS = (".png",)
NOT_EXPORTS = ("sheet", "plot")  # the sheet lists where the music went, not earlier sheets


def _local(when: datetime | None) -> datetime | None:
    """A stored (UTC) time in the clinic computer's own time zone, as people read a printed sheet."""
    if when is None:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone()


def _load_arc(settings: Settings, name: str) -> Arc | None:
    """The session's arc template, or None when it was renamed or removed since (the sheet still works)."""
    from playlist_builder.sequence.arcs import load_arc

    try:
        return load_arc(settings.arcs_dir, name)
    except InputError:
        return None


def session_sheet(library: Library, settings: Settings, session_id: int) -> SessionSheet:
    """Everything the sheet and plot show, gathered from the library and the arc template."""
    plan = library.get_session(session_id)
    arc = _load_arc(settings, plan.arc_name)
    tracks = {t.id: t for t in library.list_tracks(ids=[item.track_id for item in plan.items])}
    rows = tuple(
        SheetTrack(
            number=index,
            start_s=item.start_s,
            duration_s=item.duration_s,
            phase=item.phase,
            category=item.category.value,
            energy=item.energy,
            label=track_label(tracks[item.track_id]) if item.track_id in tracks else f"track {item.track_id}",
            reason=item.reason,
        )
        for index, item in enumerate(plan.items, start=1)
    )
    exports = tuple(
        SheetExport(sync.kind, sync.target, _local(sync.created_at))
        for sync in reversed(library.syncs(session_id))
        if sync.kind not in NOT_EXPORTS
    )
    return SessionSheet(
        session_id=session_id,
        name=plan.name or f"Session {session_id}",
        arc_name=plan.arc_name,
        arc_description=arc.description if arc else "",
        target_minutes=plan.target_minutes,
        total_s=plan.total_s,
        patient_code=plan.patient_code,
        created_at=_local(plan.created_at),
        phases=phase_spans(plan, arc),
        tracks=rows,
        exports=exports,
    )


def write_session_sheet(library: Library, settings: Settings, session_id: int, path: Path) -> Path:
    """Write the printable session sheet (.html or .md by extension) atomically; returns the path."""
    suffix = path.suffix.lower()
    if suffix not in SHEET_FORMATS:
        raise InputError(f"{path.name}: a session sheet must end in .html or .md")
    sheet = session_sheet(library, settings, session_id)
    text = render_markdown(sheet) if suffix == ".md" else render_html(sheet)
    path = Path(os.path.abspath(path))
    write_bytes_atomic(path, text.encode("utf-8"))
    library.record_sync(session_id, "sheet", str(path), details={"format": suffix.lstrip(".")})
    return path


def write_arc_plot(library: Library, settings: Settings, session_id: int, path: Path) -> Path:
    """Write the PNG picture of the session's arc and tracks atomically; returns the path."""
    from playlist_builder.export.plot import render_arc_png  # matplotlib loads only when a plot is asked for

    if path.suffix.lower() not in PLOT_FORMATS:
        raise InputError(f"{path.name}: the arc plot must be a .png file")
    sheet = session_sheet(library, settings, session_id)
    path = Path(os.path.abspath(path))
    write_bytes_atomic(path, render_arc_png(sheet))
    library.record_sync(session_id, "plot", str(path))
    return path
