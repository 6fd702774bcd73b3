"""The printable session sheet as Markdown or self-contained HTML (pure: values in, text out)."""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from playlist_builder.export.m3u import clean_tag
from playlist_builder.model import Arc, SessionPlan
from playlist_builder.text import format_duration as clock


@dataclass(frozen=True)
class PhaseSpan:
    """One phase of the arc on the session clock."""

    name: str
    start_s: float
    end_s: float
    energy_start: float
    energy_end: float
    description: str = ""


@dataclass(frozen=True)
class SheetTrack:
    """One line of the sheet's track table."""

    number: int
    start_s: float
    duration_s: float
    phase: str
    category: str
    energy: float
    label: str
    reason: str
    beat: str = ""  # a binaural beat's rate and the conventional name of its band, e.g. "6.0 Hz theta"


@dataclass(frozen=True)
class HeldBackTrack:
    """A track of the library that is kept out of sessions, and why."""

    label: str
    why: str


@dataclass(frozen=True)
class SheetExport:
    """Where the session went: a playlist, a device, a mix, Spotify."""

    kind: str
    target: str
    when: datetime | None


@dataclass(frozen=True)
class SessionSheet:
    """Everything a sheet shows, already resolved from the library."""

    session_id: int
    name: str
    arc_name: str
    arc_description: str
    target_minutes: float
    total_s: float
    patient_code: str | None
    created_at: datetime | None
    phases: tuple[PhaseSpan, ...]
    tracks: tuple[SheetTrack, ...]
    exports: tuple[SheetExport, ...]
    times_for: str = ""  # which exported form the times are for, in words
    held_back: tuple[HeldBackTrack, ...] = ()
    held_back_more: int = 0  # held-back tracks not listed (the sheet stays printable)
    patient_history: str = ""  # what was held back because this patient heard it recently
    reviewed_by: str = ""  # blank: a line to fill in by hand on the printed sheet
    listened_on: str = ""
    plot_png: bytes | None = None  # the arc picture, embedded in the HTML sheet


ENERGY_SCALE = (
    "Energy runs from 0 (stillest) to 1 (busiest). It is measured from the audio's loudness, density "
    "of events, brightness and pace (audio/energy.py weighs them). Calm session music sits low: "
    "about 0.1-0.2 is near-still (drones, soft rain), 0.3 gentle movement (soft piano, waves), and "
    "above 0.5 busy. Tracks without audio analysis (Spotify) carry an estimate."
)
BLANK = "_" * 24  # a line to write on by hand


def phase_spans(plan: SessionPlan, arc: Arc | None, total_s: float | None = None) -> tuple[PhaseSpan, ...]:
    """The arc's phases at their share of this session (`total_s` long, else as planned); without the
    arc, where the tracks fell."""
    if arc is not None:
        spans, start = [], 0.0
        for phase in arc.phases:
            end = start + phase.share * (plan.total_s if total_s is None else total_s)
            spans.append(
                PhaseSpan(phase.name, start, end, phase.energy_start, phase.energy_end, phase.description)
            )
            start = end
        return tuple(spans)
    spans_by_name: dict[str, list[float]] = {}
    for item in plan.items:
        span = spans_by_name.setdefault(item.phase, [item.start_s, item.start_s + item.duration_s])
        span[1] = max(span[1], item.start_s + item.duration_s)
    return tuple(PhaseSpan(name, a, b, float("nan"), float("nan")) for name, (a, b) in spans_by_name.items())


def _facts(sheet: SessionSheet) -> list[tuple[str, str]]:
    facts = [
        ("Arc", f"{sheet.arc_name}" + (f" — {sheet.arc_description}" if sheet.arc_description else "")),
        ("Length", f"{clock(sheet.total_s)} (asked for {round(sheet.target_minutes, 1):g} min)"),
        ("Tracks", str(len(sheet.tracks))),
    ]
    if sheet.patient_code:
        facts.append(("Patient code", sheet.patient_code))
    if sheet.created_at is not None:
        facts.append(("Built", sheet.created_at.strftime("%Y-%m-%d %H:%M")))
    if sheet.times_for:
        facts.append(("Times", sheet.times_for))
    facts.append(("Reviewed by", sheet.reviewed_by or BLANK))
    facts.append(("Listened on", sheet.listened_on or BLANK))
    return facts


def _held_back_lines(sheet: SessionSheet) -> list[str]:
    lines = [f"{track.label}: {track.why}" for track in sheet.held_back]
    if sheet.held_back_more:
        lines.append(f"and {sheet.held_back_more} more (see `playlist-builder review list`)")
    if not lines:
        lines.append("none: every track in the library may enter a session")
    if sheet.patient_history:
        lines.append(sheet.patient_history)
    return lines


PHASE_HEADERS = ("Phase", "From", "To", "Energy", "About")
TRACK_HEADERS = ("#", "Start", "Length", "Phase", "Category", "Energy", "Beat", "Track", "Why")
Cell = tuple[str, bool]  # text, and whether it is a number (right-aligned)


def _phase_cells(phase: PhaseSpan) -> list[Cell]:
    known = phase.energy_start == phase.energy_start  # NaN when the arc could not be loaded
    energy = f"{phase.energy_start:.2f} → {phase.energy_end:.2f}" if known else ""
    return [(phase.name, False), (clock(phase.start_s), True), (clock(phase.end_s), True), (energy, True),
            (phase.description, False)]  # fmt: skip


def _track_cells(track: SheetTrack) -> list[Cell]:
    times = [(str(track.number), True), (clock(track.start_s), True), (clock(track.duration_s), True)]
    return [*times, (track.phase, False), (track.category, False), (f"{track.energy:.2f}", True),
            (track.beat, False), (track.label, False), (track.reason, False)]  # fmt: skip


def _when(export: SheetExport) -> str:
    return f" ({export.when.strftime('%Y-%m-%d %H:%M')})" if export.when else ""


def _md_cell(text: str) -> str:
    """Text safe in one Markdown line or table cell: no line breaks, pipes and markup escaped."""
    cleaned = clean_tag(text)
    for char in "\\|`*_[]<>#":
        cleaned = cleaned.replace(char, "\\" + char)
    return cleaned


def _md_code(text: str) -> str:
    """A path as a Markdown code span: nothing inside needs escaping except the backtick itself."""
    return "`" + clean_tag(text).replace("`", "'") + "`"


def _md_table(headers: Sequence[str], rows: Sequence[list[Cell]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |"]
    lines.append(
        "|" + "|".join("---:" if num else "---" for _text, num in rows[0]) + "|" if rows else "|---|"
    )
    lines += ["| " + " | ".join(_md_cell(text) for text, _num in row) + " |" for row in rows]
    return lines


def render_markdown(sheet: SessionSheet) -> str:
    """The sheet as GitHub-flavoured Markdown."""
    lines = [f"# {_md_cell(sheet.name)} (session {sheet.session_id})", ""]
    lines += [f"- **{label}:** {_md_cell(value)}" for label, value in _facts(sheet)]
    lines += ["", "## Phases", "", *_md_table(PHASE_HEADERS, [_phase_cells(p) for p in sheet.phases])]
    lines += ["", "## Tracks", "", *_md_table(TRACK_HEADERS, [_track_cells(t) for t in sheet.tracks])]
    lines += ["", f"*{_md_cell(ENERGY_SCALE)}*"]
    lines += ["", "## Held back (never in a session)", ""]
    lines += [f"- {_md_cell(line)}" for line in _held_back_lines(sheet)]
    lines += ["", "## Exported to", ""]
    lines += [f"- {_md_cell(e.kind)}: {_md_code(e.target)}{_when(e)}" for e in sheet.exports]
    if not sheet.exports:
        lines.append("- not exported yet")
    return "\n".join(lines) + "\n"


_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.4em; margin-bottom: .2em; } h2 { font-size: 1.1em; margin-top: 1.4em; }
dl { display: grid; grid-template-columns: max-content auto; gap: .2em 1em; }
dt { font-weight: 600; } dd { margin: 0; }
table { border-collapse: collapse; width: 100%; font-size: .9em; }
th, td { border-bottom: 1px solid #ccc; padding: .3em .5em; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
img.arc { width: 100%; max-width: 60em; } p.note { font-size: .85em; color: #444; }
@media print { body { margin: 1cm; } tr { break-inside: avoid; } }
"""


def _html_cell(text: str, number: bool) -> str:
    opening = '<td class="num">' if number else "<td>"
    return f"{opening}{html.escape(clean_tag(text))}</td>"


def _html_table(headers: Sequence[str], rows: Sequence[list[Cell]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(_html_cell(text, num) for text, num in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_html(sheet: SessionSheet) -> str:
    """The sheet as one self-contained, printable HTML page (every value escaped)."""
    title = html.escape(clean_tag(sheet.name))
    facts = "".join(
        f"<dt>{html.escape(k)}</dt><dd>{html.escape(clean_tag(v))}</dd>" for k, v in _facts(sheet)
    )
    exports = "".join(
        f"<li>{html.escape(e.kind)}: <code>{html.escape(clean_tag(e.target))}</code>"
        f"{html.escape(_when(e))}</li>"
        for e in sheet.exports
    )
    held = "".join(f"<li>{html.escape(clean_tag(line))}</li>" for line in _held_back_lines(sheet))
    plot = ""
    if sheet.plot_png:
        data = base64.b64encode(sheet.plot_png).decode("ascii")
        image = f'<img class="arc" alt="The arc and the chosen tracks" src="data:image/png;base64,{data}">'
        plot = f"<h2>Arc</h2>\n{image}"

    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title><style>{_CSS}</style></head>
<body>
<h1>{title} <small>(session {sheet.session_id})</small></h1>
<dl>{facts}</dl>
<h2>Phases</h2>
{_html_table(PHASE_HEADERS, [_phase_cells(p) for p in sheet.phases])}
{plot}
<h2>Tracks</h2>
{_html_table(TRACK_HEADERS, [_track_cells(t) for t in sheet.tracks])}
<p class="note">{html.escape(ENERGY_SCALE)}</p>
<h2>Held back (never in a session)</h2>
<ul>{held}</ul>
<h2>Exported to</h2>
<ul>{exports or "<li>not exported yet</li>"}</ul>
</body></html>
"""
