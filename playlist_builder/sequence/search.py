"""The search: a depth-first, best-first walk along the session clock that finds a first complete plan.

At each step the solver looks at the current phase's pool (a few hundred rows chosen with numpy from
the whole library) and keeps only tracks that are unused, keep the gentle-transition limits with the
previous track, and leave a remainder of the phase that can still be filled (a subset-sum look-ahead,
see `setup._reachable`). It tries the cheapest few in order and backs up when a branch dead-ends,
within a node budget. A phase closes once its end is within its closing window (+-`phase_aim_s` of
its nominal time; for the last phase, what the crossfade fit can absorb); the last phase closes only
when `timing.fit_timing` lands the whole session on time. The beam search (beam.py) reuses these
option rules, with reservation prices (reserve.py) added to the scores; `improve.Improver` then
polishes whichever first plan is cheapest.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from playlist_builder.errors import InfeasibleSessionError
from playlist_builder.model import Arc
from playlist_builder.sequence.frontier import Heads, best_options, fillable, pool_columns
from playlist_builder.sequence.rules import SequenceRules
from playlist_builder.sequence.setup import (
    ADVICE,
    PIN_LEAD_S,
    PhaseSetup,
    Prepared,
)
from playlist_builder.sequence.timing import Timing, fit_timing
from playlist_builder.text import format_duration as _clock


@dataclass(frozen=True)
class Solution:
    """Chosen rows in play order, the phase of each, and the fitted timing."""

    rows: tuple[int, ...]
    phase_of: tuple[int, ...]
    timing: Timing


class _BudgetSpent(Exception):
    pass


class Search:
    """One depth-first search over a prepared problem."""

    def __init__(
        self,
        prepared: Prepared,
        arc: Arc,
        rules: SequenceRules,
        reserve: Sequence[np.ndarray] | None = None,
    ) -> None:
        self.prepared = prepared
        self.costs = prepared.costs
        # Each phase's pool as columns, with the reservation price per pool row: extra cost for tracks
        # a later phase needs more (see reserve.py).
        prices = reserve if reserve is not None else [np.zeros(setup.pool.size) for setup in prepared.setups]
        self.columns = [
            pool_columns(prepared, setup, price) for setup, price in zip(prepared.setups, prices, strict=True)
        ]
        self.arc = arc
        self.rules = rules
        self.used = np.zeros(len(prepared.table), dtype=bool)
        self.rows: list[int] = []
        self.phase_of: list[int] = []
        self.clock = 0.0  # sum of advances so far: where the next track starts
        self.nodes = 0
        self.failure: tuple[int, int, str] = (-1, -1, "")
        self.solution: Solution | None = None

    def run(self) -> Solution:
        """The first complete plan found (best-first), or InfeasibleSessionError saying what was short."""
        # Recursion depth is the number of tracks (a few dozen), far below Python's limit.
        with contextlib.suppress(_BudgetSpent):
            self._step(0)
        if self.solution is None:
            raise InfeasibleSessionError(self._failure_message())
        return self.solution

    # --- the walk ------------------------------------------------------------------------------------

    def _step(self, phase: int) -> bool:
        self.nodes += 1
        if self.nodes > self.rules.search.node_budget:
            raise _BudgetSpent
        setup = self.prepared.setups[phase]
        pending = [row for row in setup.pins if not self.used[row]]
        remaining = setup.end_advance_s - self.clock
        in_phase = len(self.phase_of) - self.phase_of.index(phase) if phase in self.phase_of else 0
        closable = setup.close_low_s <= remaining <= setup.close_high_s
        if not pending and in_phase and closable and self._span_ok(setup, in_phase):
            return self._close(phase)
        for row in self._options(setup, remaining, pending):
            self._push(row, phase)
            if self._step(phase):
                return True
            self._pop()
        return False

    def _span_ok(self, setup: PhaseSetup, in_phase: int) -> bool:
        """The phase's own length (not just its end) stays within tolerance, with room for the fit."""
        if setup.index == len(self.prepared.setups) - 1:
            return True  # the last phase's length is settled by `fit_timing` against the total
        start = float(self.prepared.advance[self.rows[: len(self.rows) - in_phase]].sum())
        slack = self.rules.limits.phase_tolerance_s - self.rules.limits.total_tolerance_s
        return abs(self.clock - start - setup.length_s) <= slack

    def _close(self, phase: int) -> bool:
        if phase + 1 < len(self.prepared.setups):
            return self._step(phase + 1)
        durations = [float(self.prepared.table.duration_s[row]) for row in self.rows]
        shares = [setup.phase.share for setup in self.prepared.setups]
        timing = fit_timing(
            durations,
            self.phase_of,
            shares,
            self.prepared.target_s,
            self.prepared.crossfade_s,
            self.rules.limits,
        )
        if timing is None:
            self._note_failure(phase, "length")
            return False
        self.solution = Solution(tuple(self.rows), tuple(self.phase_of), timing)
        return True

    def _push(self, row: int, phase: int) -> None:
        self.rows.append(row)
        self.phase_of.append(phase)
        self.used[row] = True
        self.clock += float(self.prepared.advance[row])

    def _pop(self) -> None:
        row = self.rows.pop()
        self.phase_of.pop()
        self.used[row] = False
        self.clock -= float(self.prepared.advance[row])

    def _options(self, setup: PhaseSetup, remaining: float, pending: list[int]) -> list[int]:
        """Rows to try next, best first: due pins, then the cheapest free tracks, then pins not yet due."""
        pinned_s = float(self.prepared.advance[pending].sum()) if pending else 0.0
        free = remaining - pinned_s
        due = [row for row in pending if self._pin_due(setup, row, free)]
        options = [row for row in due if self._fits_after_previous(row)]
        options += self._free_options(setup, free)
        options += [row for row in pending if row not in due and self._fits_after_previous(row)]
        if not options:
            self._note_failure(setup.index, self._why_stuck(setup, free, pending))
        return options

    def _pin_due(self, setup: PhaseSetup, row: int, free: float) -> bool:
        mid = self.clock + float(self.prepared.advance[row]) / 2
        return free <= setup.close_high_s or mid >= setup.pin_ideal_mid_s[row] - PIN_LEAD_S

    def _fits_after_previous(self, row: int) -> bool:
        if not self.rows:
            return True
        rows = np.array([row])
        return bool(self._neighbour_ok(self.rows[-1], rows)[0])

    def _neighbour_ok(self, previous: int, rows: np.ndarray) -> np.ndarray:
        table = self.prepared.table
        return self.costs.step_allowed(
            float(table.energy[previous]),
            table.energy[rows],
            float(table.loudness_lufs[previous]),
            table.loudness_lufs[rows],
            int(table.artist[previous]),
            table.artist[rows],
        )

    def _heads(self, setup: PhaseSetup, free: float) -> Heads:
        """This walk's partial plan as the one head the vectorised step takes."""
        columns = self.columns[setup.index]
        return Heads(
            clock=np.array([self.clock]),
            free=np.array([free]),
            last=np.array([self.rows[-1] if self.rows else -1]),
            used=self.used[columns.rows][None, :],
        )

    def _free_options(self, setup: PhaseSetup, free: float) -> list[int]:
        """The cheapest unused pool tracks that keep the limits and leave the phase fillable (frontier.py)."""
        if free <= setup.close_high_s:
            return []
        columns = self.columns[setup.index]
        heads = self._heads(setup, free)
        return best_options(columns, setup, heads, self.prepared, self.rules.search.branching).rows.tolist()

    # --- explaining a failure ------------------------------------------------------------------------

    def _why_stuck(self, setup: PhaseSetup, free: float, pending: list[int]) -> str:
        if pending:
            return "pins"
        heads = self._heads(setup, free)
        if (
            free <= setup.close_high_s
            or not (fillable(self.columns[setup.index], setup, heads) & ~heads.used).any()
        ):
            return "length"
        return "transitions"

    def _note_failure(self, phase: int, reason: str) -> None:
        where = (phase, len(self.rows), reason)
        if where[:2] > self.failure[:2]:
            self.failure = where

    def _failure_message(self) -> str:
        phase_index, _, reason = self.failure
        if phase_index < 0:
            return f"the search gave up before finding a plan; {ADVICE}"
        setup = self.prepared.setups[phase_index]
        name, minutes = setup.phase.name, setup.length_s / 60
        limits, arc = self.rules.limits, self.arc
        if reason == "length" and phase_index == len(self.prepared.setups) - 1:
            return (
                f"could not fit the session to {_clock(self.prepared.target_s)} within "
                f"{limits.total_tolerance_s:g} s: the lengths of the tracks that fit the {name} phase leave "
                f"a gap crossfades of {limits.crossfade_min_s:g}-{limits.crossfade_max_s:g} s cannot close; "
                f"{ADVICE}"
            )
        if reason == "length":
            lengths = self.prepared.table.duration_s[setup.pool]
            span = f"{_clock(lengths.min())} to {_clock(lengths.max())}" if lengths.size else "nothing"
            window = setup.close_high_s
            return (
                f"could not fill the {name} phase ({minutes:.0f} minutes) to within {window:g} s: "
                f"the tracks that fit it last {span} and no unused combination adds up; {ADVICE}"
            )
        if reason == "pins":
            return (
                f"the tracks pinned to the {name} phase cannot follow their neighbours within the gentle-"
                f"transition limits (energy step at most {arc.max_energy_step:g}, loudness step at most "
                f"{arc.max_loudness_step_lu:g} LU, no artist twice in a row); pin fewer tracks or other ones"
            )
        return (
            f"could not fill the {name} phase ({minutes:.0f} minutes): every unused track that fits it "
            f"would break the gentle-transition limits (energy step at most {arc.max_energy_step:g}, "
            "loudness step at most "
            f"{arc.max_loudness_step_lu:g} LU, no artist twice in a row); {ADVICE}"
        )
