"""SVG drawn in the page: the session arc (the same picture as the exported PNG) and a track's strip."""

from __future__ import annotations

import math
from collections.abc import Sequence

from markupsafe import Markup, escape

from playlist_builder.export.arc_style import BAND_COLOURS, CATEGORY_COLOURS, TARGET_COLOUR, energy_ceiling
from playlist_builder.export.sheet import SessionSheet, clock
from playlist_builder.services.listening import SILENCE_DB, Strip

ARC_WIDTH, ARC_HEIGHT = 1100, 520  # the PNG's 11 x 5.2 inch proportions
ARC_MARGIN = {"left": 80, "right": 20, "top": 52, "bottom": 64}
STRIP_WIDTH, STRIP_HEIGHT = 1000, 90
TICK_MINUTES = (1, 2, 5, 10, 15, 30)  # tick spacing candidates; the first giving at most 14 ticks wins


def arc_svg(sheet: SessionSheet) -> Markup:
    """The arc: phase bands, the dashed target energy, and each track as a numbered bar at its energy."""
    top = energy_ceiling(sheet)
    left, right = ARC_MARGIN["left"], ARC_WIDTH - ARC_MARGIN["right"]
    upper, lower = ARC_MARGIN["top"], ARC_HEIGHT - ARC_MARGIN["bottom"]
    total_min = max(sheet.total_s, 1.0) / 60.0

    def x(seconds: float) -> float:
        return round(left + (right - left) * (seconds / 60.0) / total_min, 1)

    def y(energy: float) -> float:
        return round(lower - (lower - upper) * energy / top, 1)

    parts = [
        f'<svg class="arc" viewBox="0 0 {ARC_WIDTH} {ARC_HEIGHT}" role="img" '
        f'aria-label="arc of the session" xmlns="http://www.w3.org/2000/svg">'
    ]
    patient = f" · patient {sheet.patient_code}" if sheet.patient_code else ""
    title = f"{sheet.name} — arc {sheet.arc_name}, {clock(sheet.total_s)}{patient}"
    parts.append(f'<text x="{left}" y="30" class="arc-title">{escape(title)}</text>')
    for index, phase in enumerate(sheet.phases):
        x0, x1 = x(phase.start_s), x(phase.end_s)
        parts.append(
            f'<rect x="{x0}" y="{upper}" width="{max(0.0, x1 - x0):.1f}" height="{lower - upper}" '
            f'fill="{BAND_COLOURS[index % 2]}"/>'
        )
        parts.append(
            f'<text x="{(x0 + x1) / 2:.1f}" y="{upper + 22}" text-anchor="middle" class="arc-phase">'
            f"{escape(phase.name)}</text>"
        )
    for tenth in range(0, int(top * 10) + 1):
        energy = tenth / 10
        parts.append(f'<line x1="{left}" x2="{right}" y1="{y(energy)}" y2="{y(energy)}" class="arc-grid"/>')
        parts.append(
            f'<text x="{left - 8}" y="{y(energy) + 4}" text-anchor="end" class="arc-tick">{energy:.1f}</text>'
        )
    step = next((m for m in TICK_MINUTES if total_min / m <= 14), 60)
    for minute in range(0, int(total_min) + 1, step):
        at = x(minute * 60)
        parts.append(f'<text x="{at}" y="{lower + 22}" text-anchor="middle" class="arc-tick">{minute}</text>')
    parts.append(
        f'<text x="{(left + right) / 2}" y="{ARC_HEIGHT - 12}" text-anchor="middle" class="arc-axis">'
        "minutes into the session</text>"
    )
    parts.append(
        f'<text x="22" y="{(upper + lower) / 2}" text-anchor="middle" class="arc-axis" '
        f'transform="rotate(-90 22 {(upper + lower) / 2})">energy (0 = stillest, 1 = busiest)</text>'
    )
    target = [
        (x(p.start_s), y(p.energy_start), x(p.end_s), y(p.energy_end))
        for p in sheet.phases
        if not math.isnan(p.energy_start)
    ]
    if target and len(target) == len(sheet.phases):
        points = " ".join(f"{a},{b} {c},{d}" for a, b, c, d in target)
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{TARGET_COLOUR}" stroke-width="2" '
            'stroke-dasharray="7 5" class="arc-target"/>'
        )
    for before, after in zip(sheet.tracks, sheet.tracks[1:], strict=False):
        parts.append(
            f'<line x1="{x(after.start_s)}" x2="{x(after.start_s)}" y1="{y(before.energy)}" '
            f'y2="{y(after.energy)}" stroke="#9aa5b1" stroke-width="1"/>'
        )
    for track in sheet.tracks:
        colour = CATEGORY_COLOURS.get(track.category, CATEGORY_COLOURS["unclassified"])
        x0, x1 = x(track.start_s), x(track.start_s + track.duration_s)
        parts.append(
            f'<line x1="{x0}" x2="{x1}" y1="{y(track.energy)}" y2="{y(track.energy)}" stroke="{colour}" '
            f'stroke-width="7" class="arc-track" data-number="{track.number}">'
            f"<title>{track.number}. {escape(track.label)} ({escape(track.category)}, energy "
            f"{track.energy:.2f})</title></line>"
        )
        parts.append(
            f'<text x="{(x0 + x1) / 2:.1f}" y="{y(track.energy) - 8}" text-anchor="middle" '
            f'class="arc-number">{track.number}</text>'
        )
    legend_x = right - 10
    for category in sorted({t.category for t in sheet.tracks}, reverse=True):
        colour = CATEGORY_COLOURS.get(category, CATEGORY_COLOURS["unclassified"])
        legend_x -= 22 + 10 * len(category)
        parts.append(f'<rect x="{legend_x}" y="{lower - 26}" width="13" height="13" fill="{colour}"/>')
        parts.append(f'<text x="{legend_x + 17}" y="{lower - 14}" class="arc-tick">{escape(category)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def strip_svg(
    strip: Strip, voice: Sequence[tuple[float, float, str]], heard: Sequence[tuple[float, float]]
) -> Markup:
    """Loudness over time, analysed stretches underlined, voice windows marked; clicks seek the player."""
    duration = max(strip.duration_s, 0.001)

    def x(seconds: float) -> float:
        return round(STRIP_WIDTH * min(max(seconds, 0.0), duration) / duration, 1)

    parts = [
        f'<svg class="strip" viewBox="0 0 {STRIP_WIDTH} {STRIP_HEIGHT}" preserveAspectRatio="none" '
        f'xmlns="http://www.w3.org/2000/svg" data-duration="{duration:.3f}">'
    ]
    count = len(strip.levels_db) or 1
    width = STRIP_WIDTH / count
    floor = SILENCE_DB
    for index, level in enumerate(strip.levels_db):
        height = round((STRIP_HEIGHT - 14) * (level - floor) / -floor, 1)
        parts.append(
            f'<rect x="{index * width:.1f}" y="{STRIP_HEIGHT - 10 - height:.1f}" width="{width + 0.3:.1f}" '
            f'height="{max(0.0, height)}" class="strip-level"/>'
        )
    for start, length in heard:
        parts.append(
            f'<rect x="{x(start)}" y="{STRIP_HEIGHT - 6}" width="{max(1.0, x(start + length) - x(start))}" '
            'height="5" class="strip-heard"><title>sampled for tags and spectra</title></rect>'
        )
    for start, end, label in voice:
        parts.append(
            f'<rect x="{x(start)}" y="0" width="{max(2.0, x(end) - x(start))}" height="{STRIP_HEIGHT - 8}" '
            f'class="strip-voice seek" data-start="{start:.2f}" tabindex="0" role="button">'
            f"<title>{escape(label)} — click to listen from {clock(start)}</title></rect>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
