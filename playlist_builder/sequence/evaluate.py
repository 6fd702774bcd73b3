"""The exact cost of a whole plan (tracks, phases and fitted timing), vectorised: the improver's judge.

It adds up, with the cost model (cost.py), the same terms `solver.compose` writes into the plan
(energy fit at each track's middle, category, tempo, variety, familiarity, energy and loudness steps,
crossfade lengths), so a plan the improver prefers is a plan whose printed total is lower. Rows are
positions in the prepared candidate table.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from playlist_builder.sequence.cost import PLAY_UNIT_S, CostModel
from playlist_builder.sequence.rules import SequenceRules
from playlist_builder.sequence.setup import Prepared
from playlist_builder.sequence.timing import Timing, fit_timing


class PlanCost:
    """Fits timing to, and costs, candidate plans of one prepared problem."""

    def __init__(self, prepared: Prepared) -> None:
        self.prepared = prepared
        self.costs: CostModel = prepared.costs
        self.rules: SequenceRules = prepared.costs.rules
        self.shares = [setup.phase.share for setup in prepared.setups]
        self.evaluations = 0

    def timing(self, rows: Sequence[int], phase_of: Sequence[int]) -> Timing | None:
        """Crossfades and end trim landing every phase and the total on time, or None."""
        prepared = self.prepared
        durations = prepared.table.duration_s[np.asarray(rows)].tolist()
        return fit_timing(
            durations, phase_of, self.shares, prepared.target_s, prepared.crossfade_s, self.rules.limits
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
        table = self.prepared.table
        rows_a = np.asarray(rows)
        phases = np.asarray(phase_of)
        played = table.duration_s[rows_a].copy()
        played[-1] -= timing.trim_s
        middle = np.asarray(timing.starts_s) + played / 2
        cost = float(np.sum(self.track_rate(rows_a, phases, middle) * played)) / PLAY_UNIT_S
        if rows_a.size > 1:
            cost += float(np.sum(self.steps(rows_a[:-1], rows_a[1:])))
            cost += float(np.sum(self.costs.crossfade_cost(np.asarray(timing.overlaps_s))))
        return cost

    def track_rate(
        self, rows: np.ndarray, phases: np.ndarray | int, middle_s: np.ndarray | float
    ) -> np.ndarray:
        """Cost per play unit of rows placed in phases with their middles at `middle_s` on the clock:
        energy fit there, category, and the static terms (tempo, variety, familiarity)."""
        table = self.prepared.table
        return (
            self.costs.energy_rate(table.energy[rows], self.costs.target(phases, middle_s))
            + self.category_rate(rows, phases)
            + self.prepared.static[rows]
        )

    def category_rate(self, rows: np.ndarray, phases: np.ndarray | int) -> np.ndarray:
        """Category cost per play unit of rows placed in phases."""
        table = self.prepared.table
        return self.costs.category_rate(table.category[rows], table.secondary[rows], phases)

    def fits_phase(self, rows: np.ndarray, phases: np.ndarray | int) -> np.ndarray:
        """Rows a phase may hold: category allowed there and energy within its limit."""
        table = self.prepared.table
        return self.costs.fits_phase(table.category[rows], table.energy[rows], phases)

    def steps(self, before: np.ndarray, after: np.ndarray) -> np.ndarray:
        """Energy-step plus loudness-step cost of each transition before[i] -> after[i]."""
        table = self.prepared.table
        return self.costs.step_cost(
            table.energy[before], table.energy[after], table.loudness_lufs[before], table.loudness_lufs[after]
        )

    def steps_ok(self, before: np.ndarray, after: np.ndarray) -> np.ndarray:
        """The hard limits of each transition before[i] -> after[i]."""
        return self.transitions(before, after)[1]

    def transitions(self, before: np.ndarray, after: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(cost, allowed) of each transition before[i] -> after[i]."""
        table = self.prepared.table
        return self.costs.transition(
            table.energy[before],
            table.energy[after],
            table.loudness_lufs[before],
            table.loudness_lufs[after],
            table.artist[before],
            table.artist[after],
        )
