"""A picture of the session arc (matplotlib, Agg): phase bands, target energy, and the chosen tracks."""

from __future__ import annotations

import io
import math

# The object API with the Agg canvas: no pyplot global state, no display needed on a clinic server.
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from playlist_builder.export.arc_style import BAND_COLOURS, CATEGORY_COLOURS, TARGET_COLOUR, energy_ceiling
from playlist_builder.export.sheet import PhaseSpan, SessionSheet, clock

FIGURE_INCHES = (11.0, 5.2)  # fits an A4/Letter page in landscape next to the sheet
DPI = 150
NUMBER_BOX = {"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.8}


def _minutes(seconds: float) -> float:
    return seconds / 60.0


def _draw_phases(axes: Axes, phases: tuple[PhaseSpan, ...], top: float) -> None:
    for index, phase in enumerate(phases):
        axes.axvspan(_minutes(phase.start_s), _minutes(phase.end_s), color=BAND_COLOURS[index % 2], zorder=0)
        if index:
            axes.axvline(_minutes(phase.start_s), color="#b8c2d0", linewidth=0.8, zorder=1)
        middle = _minutes((phase.start_s + phase.end_s) / 2)
        axes.text(middle, top * 0.97, phase.name, ha="center", va="top", fontsize=10, color="#44546a",
                  fontweight="bold", zorder=5)  # fmt: skip


def _draw_target(axes: Axes, phases: tuple[PhaseSpan, ...]) -> bool:
    """The arc's target energy as one line through every phase; False when the arc is unknown."""
    xs, ys = [], []
    for phase in phases:
        if math.isnan(phase.energy_start):
            return False
        xs += [_minutes(phase.start_s), _minutes(phase.end_s)]
        ys += [phase.energy_start, phase.energy_end]
    axes.plot(xs, ys, color=TARGET_COLOUR, linestyle="--", linewidth=1.6, zorder=3)
    return bool(xs)


def _draw_tracks(axes: Axes, sheet: SessionSheet) -> set[str]:
    """Each track as a flat bar at its energy from its start to its end, numbered above."""
    seen = set()
    for track in sheet.tracks:
        colour = CATEGORY_COLOURS.get(track.category, CATEGORY_COLOURS["unclassified"])
        start, end = _minutes(track.start_s), _minutes(track.start_s + track.duration_s)
        axes.hlines(track.energy, start, end, colors=colour, linewidth=5, zorder=4, capstyle="butt")
        axes.text((start + end) / 2, track.energy + 0.012, str(track.number), ha="center", va="bottom",
                  fontsize=8, color="#333333", zorder=6, bbox=NUMBER_BOX)  # fmt: skip
        seen.add(track.category)
    # thin risers join neighbours so the sequence reads as one stepped line
    for before, after in zip(sheet.tracks, sheet.tracks[1:], strict=False):
        x = _minutes(after.start_s)
        axes.vlines(x, before.energy, after.energy, colors="#9aa5b1", linewidth=0.8, zorder=3)
    return seen


def render_arc_png(sheet: SessionSheet) -> bytes:
    """The arc picture as PNG bytes."""
    top = energy_ceiling(sheet)
    figure = Figure(figsize=FIGURE_INCHES, dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    _draw_phases(axes, sheet.phases, top)
    has_target = _draw_target(axes, sheet.phases)
    categories = _draw_tracks(axes, sheet)
    axes.set_xlim(0, _minutes(max(sheet.total_s, 1.0)))
    axes.xaxis.set_major_locator(
        MaxNLocator(nbins=14, steps=[1, 2, 5, 10])
    )  # 5-minute ticks for a 50-min arc
    axes.set_ylim(0, top)
    axes.set_xlabel("minutes into the session")
    axes.set_ylabel("energy (0 = stillest, 1 = busiest)")
    patient = f" · patient {sheet.patient_code}" if sheet.patient_code else ""
    axes.set_title(
        f"{sheet.name} — arc {sheet.arc_name}, {clock(sheet.total_s)}{patient}", fontsize=12, loc="left"
    )
    handles = [Line2D([], [], color=TARGET_COLOUR, linestyle="--", label="arc target")] if has_target else []
    handles += [Patch(color=CATEGORY_COLOURS.get(c, "#7a7a7a"), label=c) for c in sorted(categories)]
    if handles:
        axes.legend(handles=handles, loc="lower right", fontsize=9, framealpha=0.9, ncols=len(handles))
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis="y", color="#dddddd", linewidth=0.6, zorder=0)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
