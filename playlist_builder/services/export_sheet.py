"""The session sheet and arc plot use-cases: what travels with a session, printed or beside its files."""

from __future__ import annotations

import os
import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from playlist_builder.config import Settings
from playlist_builder.db.library import Library
from playlist_builder.errors import InputError
from playlist_builder.export.atomic import write_bytes_atomic
from playlist_builder.export.sheet import (
    HeldBackTrack,
    SessionSheet,
    SheetExport,
    SheetTrack,
    phase_spans,
    render_html,
    render_markdown,
)
from playlist_builder.export.timeline import FORM_NAMES, FORMS, MIX, mix_overlaps, start_times, total_length
from playlist_builder.model import Arc, Features, PlanItem, SessionPlan, Track
from playlist_builder.services.export_files import track_label
from playlist_builder.services.views import held_back

SHEET_FORMATS = (".html", ".htm", ".md")
PLOT_FORMATS = (".png",)
NOT_EXPORTS = ("sheet", "plot")  # the sheet lists where the music went, not earlier sheets
SHOWN_HELD_BACK = 40  # a printed sheet lists this many held-back tracks, then "and N more"
# Reasons written by earlier versions in the sequencer's own terms, said plainly.
_OLD_REASONS = (
    (re.compile(r"(\w+)/(\w+): its second kind is preferred in (\w+)"), r"\1 with some \2, which \3 favours"),
)


def plain_reason(reason: str) -> str:
    """A plan item's reason in plain words (sessions saved by earlier versions used jargon)."""
    for pattern, plain in _OLD_REASONS:
        reason = pattern.sub(plain, reason)
    return reason


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


def form_times(
    plan: SessionPlan, tracks: dict[int, Track], form: str
) -> tuple[list[float], list[float], float]:
    """Each item's start and length, and the total, as `form` plays the session (export.timeline)."""
    if form not in FORMS:
        raise InputError(f"the sheet's times are for one of {', '.join(FORMS)}, not {form!r}")
    if form == MIX:
        plays = [item.duration_s for item in plan.items]
        overlaps = mix_overlaps(plays, plan.target_minutes * 60)
    else:
        plays = [_whole(item, tracks.get(item.track_id)) for item in plan.items]
        overlaps = []
    return start_times(plays, overlaps), plays, total_length(plays, overlaps)


def _whole(item: PlanItem, track: Track | None) -> float:
    return float(track.duration_s) if track is not None and track.duration_s else item.duration_s


def _beat(features: Features | None) -> str:
    """A binaural beat's rate and band name (descriptive only), or nothing."""
    if features is None or features.binaural is None:
        return ""
    return f"{features.binaural.beat_hz:.1f} Hz {features.binaural.band.value}"


def _held_back(library: Library) -> tuple[tuple[HeldBackTrack, ...], int]:
    """The library's tracks kept out of sessions and why (the demo's list), the first few of them."""
    held = held_back(library)
    shown = tuple(HeldBackTrack(f"{h.title} [{h.lyrics}]", h.reason) for h in held[:SHOWN_HELD_BACK])
    return shown, max(0, len(held) - SHOWN_HELD_BACK)


def _history_note(library: Library, plan: SessionPlan) -> str:
    """What this patient's recent sessions kept out of this one."""
    if plan.id is None or not plan.patient_code:
        return ""
    params = library.session_params(plan.id)
    heard = int(params.get("history_tracks") or 0)
    if not heard:
        return ""
    if params.get("familiarity"):
        return (
            f"{heard} tracks this patient heard in recent sessions were allowed (familiarity was asked for)"
        )
    return f"{heard} tracks this patient heard in recent sessions were held back from this one"


def session_sheet(
    library: Library, settings: Settings, session_id: int, *, form: str = "playlist", plot: bool = False
) -> SessionSheet:
    """Everything the sheet and plot show, with times as `form` plays the session (export.timeline)."""
    plan = library.get_session(session_id)
    arc = _load_arc(settings, plan.arc_name)
    ids = [item.track_id for item in plan.items]
    tracks = {t.id: t for t in library.list_tracks(ids=ids) if t.id is not None}
    features = library.features_for(ids) if ids else {}
    starts, plays, total = form_times(plan, tracks, form)
    rows = tuple(
        SheetTrack(
            number=index + 1,
            start_s=starts[index],
            duration_s=plays[index],
            phase=item.phase,
            category=item.category.value,
            energy=item.energy,
            label=track_label(tracks[item.track_id]) if item.track_id in tracks else f"track {item.track_id}",
            reason=plain_reason(item.reason),
            beat=_beat(features.get(item.track_id)),
        )
        for index, item in enumerate(plan.items)
    )
    exports = tuple(
        SheetExport(sync.kind, sync.target, _local(sync.created_at))
        for sync in reversed(library.syncs(session_id))
        if sync.kind not in NOT_EXPORTS
    )
    held, more = _held_back(library)
    sheet = SessionSheet(
        session_id=session_id,
        name=plan.name or f"Session {session_id}",
        arc_name=plan.arc_name,
        arc_description=arc.description if arc else "",
        target_minutes=plan.target_minutes,
        total_s=total,
        patient_code=plan.patient_code,
        created_at=_local(plan.created_at),
        phases=phase_spans(plan, arc, total),
        tracks=rows,
        exports=exports,
        times_for=FORM_NAMES[form],
        held_back=held,
        held_back_more=more,
        patient_history=_history_note(library, plan),
    )
    if plot:
        from playlist_builder.export.plot import render_arc_png  # matplotlib loads only when asked for

        sheet = replace(sheet, plot_png=render_arc_png(sheet))
    return sheet


def write_session_sheet(
    library: Library, settings: Settings, session_id: int, path: Path, *, form: str = "playlist"
) -> Path:
    """Write the printable session sheet (.html with the arc plot, or .md) atomically; returns the path."""
    suffix = path.suffix.lower()
    if suffix not in SHEET_FORMATS:
        raise InputError(f"{path.name}: a session sheet must end in .html or .md")
    markdown = suffix == ".md"
    sheet = session_sheet(library, settings, session_id, form=form, plot=not markdown)
    text = render_markdown(sheet) if markdown else render_html(sheet)
    path = Path(os.path.abspath(path))
    write_bytes_atomic(path, text.encode("utf-8"))
    library.record_sync(session_id, "sheet", str(path), details={"format": suffix.lstrip("."), "times": form})
    return path


def write_arc_plot(
    library: Library, settings: Settings, session_id: int, path: Path, *, form: str = "playlist"
) -> Path:
    """Write the PNG picture of the session's arc and tracks atomically; returns the path."""
    from playlist_builder.export.plot import render_arc_png  # matplotlib loads only when a plot is asked for

    if path.suffix.lower() not in PLOT_FORMATS:
        raise InputError(f"{path.name}: the arc plot must be a .png file")
    sheet = session_sheet(library, settings, session_id, form=form)
    path = Path(os.path.abspath(path))
    write_bytes_atomic(path, render_arc_png(sheet))
    library.record_sync(session_id, "plot", str(path))
    return path
