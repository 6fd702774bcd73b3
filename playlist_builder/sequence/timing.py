"""Fitting a chosen track order to the clock: crossfade lengths and the last track's early fade-out.

How the length is made exact: the solver picks tracks so that, with every crossfade at the arc's
preferred length, each phase ends within `phase_aim_s` of its nominal time. Then, phase by phase,
the crossfades of that phase (including the one into the next phase) are lengthened or shortened,
evenly and within [crossfade_min_s, crossfade_max_s], to move the next phase's start onto its
nominal time. For the last phase the same is done against the session's end; what is still too long
is taken off by fading the last track out early (at most `max_final_trim_s`); what is still off after
that is spread over the earlier crossfades. The result is accepted only when the total is within
`total_tolerance_s` of the target and every phase within `phase_tolerance_s` of its share.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from playlist_builder.sequence.rules import SequenceLimits
from playlist_builder.sequence.tolerance import EPSILON


@dataclass(frozen=True)
class Timing:
    """Where each track starts, how long each crossfade overlaps, and how the session ends."""

    overlaps_s: tuple[float, ...]  # overlap between track i and i+1
    starts_s: tuple[float, ...]
    trim_s: float  # seconds of the last track not played (faded out early)
    total_s: float
    phase_spans_s: tuple[float, ...]


def preferred_crossfade(arc_crossfade_s: float, limits: SequenceLimits) -> float:
    """The arc's crossfade, kept within the limits of rules/sequence.toml."""
    return min(max(arc_crossfade_s, limits.crossfade_min_s), limits.crossfade_max_s)


def fit_timing(
    durations: Sequence[float],
    phase_of: Sequence[int],
    shares: Sequence[float],
    target_s: float,
    crossfade_s: float,
    limits: SequenceLimits,
) -> Timing | None:
    """Crossfades and end trim that land every phase and the total on time, or None when impossible."""
    count = len(durations)
    phases = len(shares)
    firsts = _first_positions(phase_of, phases)
    if count == 0 or firsts is None:
        return None
    overlaps = [crossfade_s] * (count - 1)
    nominal_starts = _nominal_starts(shares, target_s)
    for phase in range(phases - 1):
        late = _start_of(firsts[phase + 1], durations, overlaps) - nominal_starts[phase + 1]
        _spread(overlaps, range(firsts[phase], firsts[phase + 1]), late, limits)
    trim = 0.0
    excess = sum(durations) - sum(overlaps) - target_s
    excess = _spread(overlaps, range(firsts[-1], count - 1), excess, limits)
    if excess > 0:
        trim = min(excess, limits.max_final_trim_s, durations[-1] / 2)
        excess -= trim
    if abs(excess) > EPSILON:
        _spread(overlaps, range(0, firsts[-1]), excess, limits)
    return _checked(durations, overlaps, trim, firsts, shares, target_s, limits)


def _checked(
    durations: Sequence[float],
    overlaps: list[float],
    trim: float,
    firsts: list[int],
    shares: Sequence[float],
    target_s: float,
    limits: SequenceLimits,
) -> Timing | None:
    starts = [0.0]
    for index in range(1, len(durations)):
        starts.append(starts[-1] + durations[index - 1] - overlaps[index - 1])
    total = starts[-1] + durations[-1] - trim
    if abs(total - target_s) > limits.total_tolerance_s:
        return None
    bounds = [starts[first] for first in firsts] + [total]
    spans = tuple(bounds[p + 1] - bounds[p] for p in range(len(firsts)))
    for span, share in zip(spans, shares, strict=True):
        if abs(span - share * target_s) > limits.phase_tolerance_s:
            return None
    return Timing(tuple(overlaps), tuple(starts), trim, total, spans)


def _first_positions(phase_of: Sequence[int], phases: int) -> list[int] | None:
    """Index of each phase's first track; None unless phases run in order and none is empty."""
    firsts: list[int] = []
    for index, phase in enumerate(phase_of):
        if phase == len(firsts):
            firsts.append(index)
        elif phase != len(firsts) - 1:
            return None
    return firsts if len(firsts) == phases else None


def _nominal_starts(shares: Sequence[float], target_s: float) -> list[float]:
    starts = [0.0]
    for share in shares[:-1]:
        starts.append(starts[-1] + share * target_s)
    return starts


def _start_of(position: int, durations: Sequence[float], overlaps: Sequence[float]) -> float:
    return sum(durations[:position]) - sum(overlaps[:position])


def _spread(overlaps: list[float], positions: range, change: float, limits: SequenceLimits) -> float:
    """Lengthen (change > 0) or shorten the given overlaps evenly within limits; returns what is left."""
    free = list(positions)
    while free and abs(change) > EPSILON:
        share = change / len(free)
        still_free = []
        for position in free:
            wanted = overlaps[position] + share
            new = min(max(wanted, limits.crossfade_min_s), limits.crossfade_max_s)
            change -= new - overlaps[position]
            overlaps[position] = new
            if new == wanted:
                still_free.append(position)
        if len(still_free) == len(free):
            break
        free = still_free
    return change
