"""Preparing a solve: phase clocks, candidate pools per phase (numpy prefilter), pins, material checks."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

import numpy as np

from playlist_builder.errors import InfeasibleSessionError, InputError
from playlist_builder.model import Arc, Phase
from playlist_builder.sequence.candidates import CandidateTable, Pin
from playlist_builder.sequence.cost import EPSILON, CostModel, tempo_rate, variety_noise
from playlist_builder.sequence.rules import SequenceRules
from playlist_builder.text import format_duration

# Residuals (time still to fill in a phase) are tracked on a 2-second grid for the look-ahead.
RESIDUAL_STEP_S = 2.0
# A pinned track is placed once the clock is within this of where its energy best fits the arc.
PIN_LEAD_S = 150.0
ADVICE = "approve or add tracks, or choose another arc"


@dataclass
class PhaseSetup:
    """One phase prepared for the search: its clock, its candidate pool and its pinned tracks."""

    index: int
    phase: Phase
    start_s: float  # nominal start on the session clock
    length_s: float  # nominal length
    end_advance_s: float  # where the sum of track advances should be when the phase is done
    pool: np.ndarray  # candidate rows the phase draws from
    static_rate: np.ndarray  # per pool row: category + tempo + variety - familiarity, per play unit
    reach: np.ndarray  # reach[i]: a free residual of close_low_s + i*step can still be filled
    close_low_s: float = 0.0  # the phase may close when its residual is within [close_low_s, close_high_s]
    close_high_s: float = 0.0
    pins: list[int] = field(default_factory=list)
    pin_ideal_mid_s: dict[int, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Prepared:
    """Everything the search needs, computed once per solve."""

    table: CandidateTable
    costs: CostModel  # the cost model of this arc, rules and length
    advance: np.ndarray  # duration minus the preferred crossfade: how far a track moves the clock
    static: np.ndarray  # per row: tempo + variety - familiarity (category is per phase)
    usable: np.ndarray  # rows that pass the track-level filters
    heard: np.ndarray  # rows heard in the patient's recent sessions
    held_back: np.ndarray  # rows usable but for the patient's history (for explaining a shortfall)
    pinned_rows: frozenset[int]
    setups: tuple[PhaseSetup, ...]
    crossfade_s: float
    target_s: float


def prepare(
    arc: Arc,
    minutes: float,
    table: CandidateTable,
    *,
    seed: int,
    rules: SequenceRules,
    crossfade_s: float,
    pinned: Iterable[Pin],
    history: Iterable[int],
    familiarity: bool,
) -> Prepared:
    """Filter, score and pool the candidates for each phase; raise when the material cannot suffice."""
    limits = rules.limits
    target = minutes * 60.0
    costs = CostModel(arc, rules, target)
    advance = table.duration_s - crossfade_s
    heard = np.zeros(len(table), dtype=bool)
    heard[table.indexes_of(history)] = True
    too_fast = table.tempo_bpm > limits.max_tempo_bpm  # NaN (unknown tempo) compares False
    usable = (table.duration_s >= limits.min_track_s) & ~too_fast & np.isfinite(table.energy)
    static = tempo_rate(table.tempo_bpm, rules) + variety_noise(table.track_id, seed, rules)
    held_back = np.zeros(len(table), dtype=bool) if familiarity else usable & heard
    if familiarity:
        static = static - rules.weights.familiarity * heard
    else:
        usable &= ~heard
    pins = resolve_pins(arc, costs, table, pinned)
    pinned_rows = frozenset(row for rows in pins.values() for row in rows)
    usable[list(pinned_rows)] = False  # pins are placed on their own, never drawn from a pool
    setups = []
    for index in range(len(arc.phases)):
        last = index == len(arc.phases) - 1
        setup = _phase_setup(index, costs, crossfade_s, table, usable, static, last)
        setup.close_low_s, setup.close_high_s = _closing_window(last, crossfade_s, rules)
        setups.append(setup)
    prepared = Prepared(
        table,
        costs,
        advance,
        static,
        usable,
        heard,
        held_back,
        pinned_rows,
        tuple(setups),
        crossfade_s,
        target,
    )
    _place_pins(prepared, pins, rules)
    check_material(prepared, arc, rules)
    return prepared


def _phase_setup(
    index: int,
    costs: CostModel,
    crossfade_s: float,
    table: CandidateTable,
    usable: np.ndarray,
    static: np.ndarray,
    last: bool,
) -> PhaseSetup:
    """The phase's pool: its best `pool_size` usable tracks by category, tempo, variety and energy range."""
    phase = costs.arc.phases[index]
    start, length = float(costs.phase_start[index]), float(costs.phase_length[index])
    end_advance = costs.target_s - crossfade_s if last else start + length
    rows = np.flatnonzero(usable & costs.fits_phase(table.category, table.energy, index))
    rate = costs.category_rate(table.category[rows], table.secondary[rows], index) + static[rows]
    low, high = sorted((phase.energy_start, phase.energy_end))
    outside = np.clip(low - table.energy[rows], 0, None) + np.clip(table.energy[rows] - high, 0, None)
    score = rate + costs.energy_rate(outside, 0.0)
    size = costs.rules.search.pool_size
    if rows.size > size:
        keep = np.argpartition(score, size - 1)[:size]
        rows, rate = rows[keep], rate[keep]
    return PhaseSetup(index, phase, start, length, end_advance, rows, rate, np.zeros(0, dtype=bool))


def resolve_pins(
    arc: Arc, costs: CostModel, table: CandidateTable, pinned: Iterable[Pin]
) -> dict[int, list[int]]:
    """Candidate rows of the pinned tracks, by phase index (a pin without a phase goes where it fits best)."""
    names = [phase.name for phase in arc.phases]
    by_phase: dict[int, list[int]] = {}
    seen: set[int] = set()
    for pin in pinned:
        if pin.track_id in seen:
            continue
        seen.add(pin.track_id)
        row = table.index_of(pin.track_id)
        if row is None:
            raise InfeasibleSessionError(
                f"track {pin.track_id} cannot be pinned: it is not an eligible track (instrumental, not "
                "banned, "
                "not missing, with a known length, from the chosen source)"
            )
        title, energy = table.rows[row].title, float(table.energy[row])
        if pin.phase is not None:
            if pin.phase not in names:
                raise InputError(f"no phase {pin.phase!r} in the {arc.name} arc (phases: {', '.join(names)})")
            index = names.index(pin.phase)
            limit = arc.phases[index].max_energy
            if not costs.within_energy(energy, index):
                raise InfeasibleSessionError(
                    f"pinned track {title!r} has energy {energy:.2f}, above the {pin.phase} phase's limit of "
                    f"{limit:.2f}; pin it to another phase or choose another track"
                )
        else:
            index = _best_phase_for(arc, costs, table, row)
        by_phase.setdefault(index, []).append(row)
    return by_phase


def _best_phase_for(arc: Arc, costs: CostModel, table: CandidateTable, row: int) -> int:
    """The phase whose energy range is nearest the track's energy (preferring phases allowing its kind)."""
    energy = float(table.energy[row])
    category = table.rows[row].category
    ranked = []
    for index, phase in enumerate(arc.phases):
        if not costs.within_energy(energy, index):
            continue
        low, high = sorted((phase.energy_start, phase.energy_end))
        distance = max(low - energy, 0.0, energy - high)
        ranked.append((category not in phase.allowed, distance, index))
    if not ranked:
        raise InfeasibleSessionError(
            f"pinned track {table.rows[row].title!r} has energy {energy:.2f}, above every phase's limit in "
            "the "
            f"{arc.name} arc; choose another track"
        )
    return min(ranked)[2]


def _place_pins(prepared: Prepared, pins: dict[int, list[int]], rules: SequenceRules) -> None:
    """Attach pins to their phases at the moment their energy fits best; refuse pins overfilling a phase."""
    for index, rows in pins.items():
        setup = prepared.setups[index]
        pinned_s = float(prepared.advance[rows].sum())
        if pinned_s > setup.length_s + rules.limits.phase_aim_s:
            raise InfeasibleSessionError(
                f"the {len(rows)} track(s) pinned to the {setup.phase.name} phase last "
                f"{pinned_s / 60:.0f} minutes; "
                f"the phase is {setup.length_s / 60:.0f} minutes long at this session length"
            )
        phase = setup.phase
        for row in rows:
            energy = float(prepared.table.energy[row])
            slope = phase.energy_end - phase.energy_start
            fraction = (
                0.5 if abs(slope) < EPSILON else float(np.clip((energy - phase.energy_start) / slope, 0, 1))
            )
            setup.pin_ideal_mid_s[row] = setup.start_s + fraction * setup.length_s
        setup.pins = sorted(rows, key=lambda r: setup.pin_ideal_mid_s[r])
        free_s = setup.length_s - pinned_s
        setup.reach = _reachable(prepared.advance[setup.pool], free_s, setup.close_low_s, setup.close_high_s)
    for setup in prepared.setups:
        if setup.reach.size == 0:
            setup.reach = _reachable(
                prepared.advance[setup.pool], setup.length_s, setup.close_low_s, setup.close_high_s
            )


def reaimed(prepared: Prepared, rules: SequenceRules) -> Prepared:
    """The same problem with phase ends aimed as `rules` say (other closing windows and look-ahead)."""
    setups = []
    last = len(prepared.setups) - 1
    for setup in prepared.setups:
        low, high = _closing_window(setup.index == last, prepared.crossfade_s, rules)
        free_s = setup.length_s - float(prepared.advance[setup.pins].sum())
        reach = _reachable(prepared.advance[setup.pool], free_s, low, high)
        setups.append(replace(setup, close_low_s=low, close_high_s=high, reach=reach))
    return replace(prepared, setups=tuple(setups))


def _closing_window(last: bool, crossfade_s: float, rules: SequenceRules) -> tuple[float, float]:
    """How far from its nominal end a phase may close: +-phase_aim_s, and for the last phase what the
    crossfade fit can absorb (an overshoot is faded out early; a shortfall only stretched a little)."""
    limits = rules.limits
    if not last:
        return -limits.phase_aim_s, limits.phase_aim_s
    stretch = max(crossfade_s - limits.crossfade_min_s, 0.0)
    low = -min(limits.max_final_trim_s + limits.total_tolerance_s, limits.phase_aim_s * 2)
    return low, min(limits.total_tolerance_s + stretch, limits.phase_aim_s)


def _reachable(advances: np.ndarray, length_s: float, low_s: float, high_s: float) -> np.ndarray:
    """reach[i]: a free residual of (low_s + i * step) seconds can be brought into [low_s, high_s].

    Unbounded subset-sum over the pool's track lengths on a coarse grid (track reuse is ignored: this
    is a look-ahead that steers the search away from dead ends, and the search itself checks exactly).
    """
    size = int(np.ceil((length_s + 2 * (high_s - low_s)) / RESIDUAL_STEP_S)) + 2
    reach = np.zeros(size, dtype=bool)
    closed = int(np.floor((high_s - low_s) / RESIDUAL_STEP_S))
    reach[: closed + 1] = True
    lengths = np.unique(np.round(advances / RESIDUAL_STEP_S).astype(np.int64))
    lengths = lengths[(lengths > 0) & (lengths < size)]
    if lengths.size == 0:
        return reach
    block = int(lengths[0])
    position = closed + 1
    while position < size:
        end = min(size, position + block)
        sources = np.arange(position, end)[None, :] - lengths[:, None]
        valid = sources >= 0
        hits = np.zeros(sources.shape, dtype=bool)
        hits[valid] = reach[sources[valid]]
        reach[position:end] = hits.any(axis=0)
        position = end
    return reach


def residual_index(residual_s: np.ndarray | float, low_s: float) -> np.ndarray:
    """Grid index of a free residual for `PhaseSetup.reach` (negative means overshot beyond the window)."""
    return np.round((np.asarray(residual_s) - low_s) / RESIDUAL_STEP_S).astype(np.int64)


def check_material(prepared: Prepared, arc: Arc, rules: SequenceRules) -> None:
    """Refuse early, saying what is short, when a phase or the arc cannot be filled from the material."""
    table, aim = prepared.table, rules.limits.phase_aim_s
    fitting_any = np.zeros(len(table), dtype=bool)
    for setup in prepared.setups:
        fits = prepared.usable & prepared.costs.fits_phase(table.category, table.energy, setup.index)
        fitting_any |= fits
        have = float(prepared.advance[fits].sum() + prepared.advance[setup.pins].sum())
        if have < setup.length_s - aim:
            raise InfeasibleSessionError(_short_phase_message(prepared, setup, have))
    have = float(prepared.advance[fitting_any].sum() + prepared.advance[list(prepared.pinned_rows)].sum())
    if have < prepared.target_s - prepared.crossfade_s - aim:
        raise InfeasibleSessionError(
            f"only {format_duration(have)} of instrumental material fits the {arc.name} arc; "
            f"{format_duration(prepared.target_s)} needed; {ADVICE}"
        )


def _short_phase_message(prepared: Prepared, setup: PhaseSetup, have_s: float) -> str:
    phase = setup.phase
    kinds = " or ".join(c.value for c in phase.allowed)
    message = (
        f"only {format_duration(have_s)} of instrumental material fits the {phase.name} phase "
        f"({kinds}, energy at most {phase.max_energy:.2f}); {format_duration(setup.length_s)} needed; "
        f"{ADVICE}"
    )
    table = prepared.table
    fits = prepared.costs.fits_phase(table.category, table.energy, setup.index)
    held_s = float(prepared.advance[prepared.held_back & fits].sum())
    if held_s >= 60:
        message += (
            f" ({format_duration(held_s)} more are held back because this patient heard them in recent "
            "sessions; ask for familiarity to allow them)"
        )
    return message
