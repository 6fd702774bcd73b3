"""What every picture of the session arc shares (the PNG and the web page's SVG): its colours and the
top of its energy axis. No drawing library here, so the web app draws its arc without matplotlib."""

from __future__ import annotations

import math

from playlist_builder.export.sheet import SessionSheet

# Calm, print-friendly colours; one per category so the tracks read at a glance.
CATEGORY_COLOURS = {
    "ambient": "#3b7dd8",
    "binaural": "#8e5cc9",
    "minimal": "#d9822b",
    "nature": "#2f9e62",
    "unclassified": "#7a7a7a",
}
BAND_COLOURS = ("#eef3fa", "#f7f7f7")  # alternate so neighbouring phases are told apart in greyscale too
TARGET_COLOUR = "#222222"


def energy_ceiling(sheet: SessionSheet) -> float:
    """Top of the energy axis: room above the highest track or target, within 0..1."""
    values = [t.energy for t in sheet.tracks] + [0.5]
    for phase in sheet.phases:
        if not math.isnan(phase.energy_start):
            values += [phase.energy_start, phase.energy_end]
    return min(1.0, max(values) + 0.15)
