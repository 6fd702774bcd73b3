"""The exact cost of a whole plan (tracks, phases and fitted timing), vectorised: the improver's judge.

It adds up the same terms `solver.compose` writes into the plan (energy fit at each track's middle,
category, tempo, variety, familiarity, energy and loudness steps, crossfade lengths), so a plan the
improver prefers is a plan whose printed total is lower.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from playlist_builder.model import Arc
from playlist_builder.sequence.candidates import CATEGORY_CODES
from playlist_builder.sequence.cost import (
    PLAY_UNIT_S,
    UNKNOWN_LOUDNESS_STEP_FRACTION,
    energy_rate,
    known_or,
)
from playlist_builder.sequence.rules import SequenceRules
from playlist_builder.sequence.setup import Prepared
from playlist_builder.sequence.timing import Timing, fit_timing


class PlanCost:
    """Fits timing to, and costs, candidate plans of one prepared problem."""

    def __init__(self, prepared: Prepared, arc: Arc, rules: SequenceRules) -> None:
        self.p = prepared
        self.arc = arc
        self.rules = rules
        setups = prepared.setups
        self.shares = [setup.phase.share for setup in setups]
        self.phase_start = np.array([setup.start_s for setup in setups])
        self.phase_length = np.maximum(np.array([setup.length_s for setup in setups]), 1e-9)
        self.energy_start = np.array([setup.phase.energy_start for setup in setups])
        self.energy_end = np.array([setup.phase.energy_end for setup in setups])
        self.max_energy = np.array([setup.phase.max_energy for setup in setups])
        # Lookup tables [phase, category code]; the extra last column answers NO_CATEGORY (-1).
        width = len(CATEGORY_CODES) + 1
        self.preferred = np.zeros((len(setups), width), dtype=bool)
        self.allowed = np.zeros((len(setups), width), dtype=bool)
        for index, setup in enumerate(setups):
            self.preferred[index, [CATEGORY_CODES[c] for c in setup.phase.preferred]] = True
            self.allowed[index, [CATEGORY_CODES[c] for c in setup.phase.allowed]] = True
        self.evaluations = 0

    def timing(self, rows: Sequence[int], phase_of: Sequence[int]) -> Timing | None:
        """Crossfades and end trim landing every phase and the total on time, or None."""
        durations = self.p.table.duration_s[np.asarray(rows)].tolist()
        return fit_timing(
            durations, phase_of, self.shares, self.p.target_s, self.p.crossfade_s, self.rules.limits
        )

    def judge(self, rows: Sequence[int], phase_of: Sequence[int]) -> tuple[float, Timing | None]:
        """(total cost, timing) of a plan; an infinite cost when no timing keeps the length bounds."""
        self.evaluations += 1
        timing = self.timing(rows, phase_of)
        if timing is None:
            return float("inf"), None
        return self.total(rows, phase_of, timing), timing

    def total(self, rows: Sequence[int], phase_of: Sequence[int], timing: Timing) -> float:
        """The plan's total cost, the sum of every term `compose` reports."""
        table = self.p.table
        rows_a = np.asarray(rows)
        phases = np.asarray(phase_of)
        played = table.duration_s[rows_a].copy()
        played[-1] -= timing.trim_s
        middle = np.asarray(timing.starts_s) + played / 2
        target = self.target(phases, middle)
        rate = (
            energy_rate(table.energy[rows_a], target, self.rules)
            + self.category_rate(rows_a, phases)
            + self.p.static[rows_a]
        )
        cost = float(np.sum(rate * played)) / PLAY_UNIT_S
        if rows_a.size > 1:
            cost += float(np.sum(self.steps(rows_a[:-1], rows_a[1:])))
            cost += self.crossfades(np.asarray(timing.overlaps_s))
        return cost

    def target(self, phases: np.ndarray, middle_s: np.ndarray | float) -> np.ndarray:
        """The arc's energy at moments on the session clock, each inside the given phase."""
        fraction = np.clip((middle_s - self.phase_start[phases]) / self.phase_length[phases], 0.0, 1.0)
        start = self.energy_start[phases]
        return start + (self.energy_end[phases] - start) * fraction

    def category_rate(self, rows: np.ndarray, phases: np.ndarray | int) -> np.ndarray:
        """Category cost per play unit of rows in phases (0 preferred, a fraction for a preferred second)."""
        table = self.p.table
        primary = self.preferred[phases, table.category[rows]]
        secondary = self.preferred[phases, table.secondary[rows]]
        weight = self.rules.weights.category
        return np.where(primary, 0.0, np.where(secondary, weight * self.rules.secondary_preferred, weight))

    def fits_phase(self, rows: np.ndarray, phases: np.ndarray | int) -> np.ndarray:
        """Rows a phase may hold: category allowed there and energy within its limit."""
        table = self.p.table
        return self.allowed[phases, table.category[rows]] & (
            table.energy[rows] <= self.max_energy[phases] + 1e-9
        )

    def steps(self, before: np.ndarray, after: np.ndarray) -> np.ndarray:
        """Energy-step plus loudness-step cost of each transition before[i] -> after[i]."""
        table, arc, weights = self.p.table, self.arc, self.rules.weights
        energy = (
            weights.energy_step * ((table.energy[after] - table.energy[before]) / arc.max_energy_step) ** 2
        )
        unknown = arc.max_loudness_step_lu * UNKNOWN_LOUDNESS_STEP_FRACTION
        loud = known_or(np.abs(table.loudness_lufs[after] - table.loudness_lufs[before]), unknown)
        return energy + weights.loudness_step * (loud / arc.max_loudness_step_lu) ** 2

    def steps_ok(self, before: np.ndarray, after: np.ndarray) -> np.ndarray:
        """The hard limits of each transition: energy step, loudness step (when known), artist change."""
        table, arc = self.p.table, self.arc
        energy_fine = np.abs(table.energy[after] - table.energy[before]) <= arc.max_energy_step + 1e-9
        loud_step = np.abs(table.loudness_lufs[after] - table.loudness_lufs[before])
        loud_fine = ~(loud_step > arc.max_loudness_step_lu + 1e-9)  # NaN (unknown) passes
        return energy_fine & loud_fine & (table.artist[after] != table.artist[before])

    def crossfades(self, overlaps_s: np.ndarray) -> float:
        """Cost of crossfades longer or shorter than the arc's preferred one (see cost.crossfade_cost)."""
        limits = self.rules.limits
        span = max(limits.crossfade_max_s - limits.crossfade_min_s, 1e-6)
        return self.rules.weights.crossfade * float(np.sum(((overlaps_s - self.arc.crossfade_s) / span) ** 2))
