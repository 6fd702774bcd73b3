"""The beam search: many partial plans walk the session clock together; the cheapest whole plan wins.

The depth-first walk of `search.Search` commits to its first complete plan, and when a late phase
cannot be timed it backs up only the last few choices, so the end of the session gets whatever still
fits. Here every step extends each of a few dozen partial plans (`BeamSearch.width`) by one track —
the options the depth-first walk would try: due pins, then the cheapest tracks that keep the
transition limits and leave the phase fillable (frontier.py computes them for all plans at once) —
and keeps the children with the lowest estimated total:

    cost so far + reservation prices paid + the outlook's best cost of the time still to come

(reserve.py). A child may close its phase first and take the next phase's first track. A partial
plan that closes the last phase is timed with `fit_timing`; the cheapest timed plan (exact cost) is
the result. If every partial plan dead-ends first, the beam backs up to earlier, unexplored children;
when nothing is found within `beam_budget`, the caller relies on the depth-first walk, which also
explains what is short.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from playlist_builder.errors import InfeasibleSessionError
from playlist_builder.model import Arc
from playlist_builder.sequence.cost import EPSILON, PLAY_UNIT_S
from playlist_builder.sequence.evaluate import PlanCost
from playlist_builder.sequence.frontier import Heads, best_options, used_matrix
from playlist_builder.sequence.reserve import Outlook
from playlist_builder.sequence.rules import SequenceRules
from playlist_builder.sequence.search import Search, Solution
from playlist_builder.sequence.setup import Prepared

# A complete plan whose costs before timing exceed the best timed plan's by more than this is not
# timed (timing is the costly step): re-fitted crossfades and an early fade of the last track move a
# total by a fraction of this, so such a plan would almost never win.
FINISH_MARGIN = 1.0


@dataclass(frozen=True)
class _Partial:
    """A partial plan: its tracks, their phases, the clock, and its costs so far."""

    rows: tuple[int, ...]
    phase_of: tuple[int, ...]
    phase: int  # the phase being filled
    clock: float
    cost: float  # the plan's own terms so far
    paid: float  # reservation prices paid so far (counted only when ranking)


def _child(
    parent: _Partial, row: int, phase: int, clock: float, cost: float, paid: float, later: float
) -> tuple[float, _Partial]:
    """A partial plan one track longer, ranked by its estimated total (costs, prices paid, outlook)."""
    child = _Partial(
        (*parent.rows, row), (*parent.phase_of, phase), phase, clock, parent.cost + cost, parent.paid + paid
    )
    return child.cost + child.paid + later, child


class BeamSearch(Search):
    """A beam search over a prepared problem, reusing the depth-first walk's option rules."""

    def __init__(
        self, prepared: Prepared, arc: Arc, rules: SequenceRules, judge: PlanCost, view: Outlook
    ) -> None:
        branching = replace(rules.search, branching=rules.search.beam_branching)
        prices = view.pool_prices(prepared)
        super().__init__(prepared, arc, replace(rules, search=branching), prices)
        self.judge = judge
        self.view = view
        self.best: tuple[float, Solution] | None = None
        self.expansions = 0

    def run(self) -> Solution:
        """The cheapest complete plan the beam finds, or InfeasibleSessionError when none survives.

        When every partial plan of a step dead-ends before any plan is complete, the beam backs up to
        the deepest step with children it has not tried yet and carries on with the next slice of
        them (a beam-stack search), within `beam_budget` expansions.
        """
        width = self.width()
        levels: list[list] = []  # per step: [children ranked best first, how many were tried]
        beam = [_Partial((), (), 0, 0.0, 0.0, 0.0)]
        while self.expansions < self.rules.search.beam_budget:
            children = self._ranked(self._generation(beam))
            if children:
                levels.append([children, width])
                beam = children[:width]
                continue
            if self.best is not None:
                break
            while levels and levels[-1][1] >= len(levels[-1][0]):
                levels.pop()
            if not levels:
                break
            children, tried = levels[-1]
            beam = children[tried : tried + width]
            levels[-1][1] = tried + width
        if self.best is None:
            raise InfeasibleSessionError("the beam search found no plan")
        return self.best[1]

    def width(self) -> int:
        """How many partial plans to keep: `beam_width`, widened for small pools (up to `beam_max_width`)
        so that each step handles about `beam_cells` (plan, track) pairs. A small library is where
        choices are scarce and a wide look pays off, and there a step costs little."""
        search = self.rules.search
        largest = max((setup.pool.size for setup in self.prepared.setups), default=1)
        return max(search.beam_width, min(search.beam_max_width, search.beam_cells // max(largest, 1)))

    def _generation(self, beam: list[_Partial]) -> list[tuple[float, _Partial]]:
        """Every partial plan one track longer: continuing its phase, or closing it first."""
        children: list[tuple[float, _Partial]] = []
        batched: dict[int, list[tuple[_Partial, float]]] = {}
        for partial in beam:
            self._load(partial)
            try:
                for phase, remaining, pending in self._next_steps(partial):
                    if pending:  # rare: pinned tracks waiting; the depth-first walk's rules place them
                        children += self._extend(partial, phase, remaining, pending)
                    else:
                        batched.setdefault(phase, []).append((partial, remaining))
            finally:
                self._unload(partial)
        for phase in sorted(batched):
            children += self._extend_many(phase, batched[phase])
        return children

    def _load(self, partial: _Partial) -> None:
        self.rows, self.phase_of, self.clock = list(partial.rows), list(partial.phase_of), partial.clock
        self.used[list(partial.rows)] = True

    def _unload(self, partial: _Partial) -> None:
        self.used[list(partial.rows)] = False

    def _next_steps(self, partial: _Partial) -> list[tuple[int, float, list[int]]]:
        """(phase, time left to fill in it, pinned rows waiting) for each way to go on: the phase
        continued, or closed first. A plan that may close the last phase is timed and kept when it is
        the cheapest complete plan yet."""
        phase = partial.phase
        setup = self.prepared.setups[phase]
        pending = [row for row in setup.pins if not self.used[row]]
        remaining = setup.end_advance_s - partial.clock
        steps = [(phase, remaining, pending)]
        in_phase = partial.phase_of.count(phase)
        closable = setup.close_low_s <= remaining <= setup.close_high_s
        if not pending and in_phase and closable and self._span_ok(setup, in_phase):
            if phase + 1 < len(self.prepared.setups):
                following = self.prepared.setups[phase + 1]
                waiting = [row for row in following.pins if not self.used[row]]
                steps.append((phase + 1, following.end_advance_s - partial.clock, waiting))
            else:
                self._finish(partial)
        return steps

    def _extend_many(self, phase: int, group: list[tuple[_Partial, float]]) -> list[tuple[float, _Partial]]:
        """Children of many partial plans filling one phase, computed together (frontier.py)."""
        self.expansions += len(group)
        columns = self.columns[phase]
        used = used_matrix(columns, [partial.rows for partial, _ in group])
        clock = np.array([partial.clock for partial, _ in group])
        heads = Heads(
            clock=clock,
            free=np.array([remaining for _, remaining in group]),
            last=np.array([partial.rows[-1] if partial.rows else -1 for partial, _ in group]),
            used=used,
        )
        options = best_options(
            columns, self.prepared.setups[phase], heads, self.prepared, self.rules.search.branching
        )
        clocks = clock[options.plan] + self.prepared.advance[options.rows]
        rest = self.view.rest_cost(clocks)
        children = []
        for plan, row, cost, paid, at, later in zip(
            options.plan.tolist(),
            options.rows.tolist(),
            options.cost.tolist(),
            options.paid.tolist(),
            clocks.tolist(),
            rest.tolist(),
            strict=True,
        ):
            children.append(_child(group[plan][0], row, phase, at, cost, paid, later))
        return children

    def _extend(
        self, partial: _Partial, phase: int, remaining: float, pending: list[int]
    ) -> list[tuple[float, _Partial]]:
        """Children of one partial plan by the depth-first walk's rules (used when pins are waiting)."""
        self.expansions += 1
        options = self._options(self.prepared.setups[phase], remaining, pending)
        if not options:
            return []
        rows = np.array(options)
        cost = self._step_costs(partial, phase, rows)
        prices = self.view.prices[phase]
        clocks = partial.clock + self.prepared.advance[rows]
        rest = self.view.rest_cost(clocks)
        children = []
        for row, step, clock, later in zip(
            rows.tolist(), cost.tolist(), clocks.tolist(), rest.tolist(), strict=True
        ):
            paid = prices.get(row, 0.0) * float(self.prepared.table.duration_s[row]) / PLAY_UNIT_S
            children.append(_child(partial, row, phase, clock, step, paid, later))
        return children

    def _step_costs(self, partial: _Partial, phase: int, rows: np.ndarray) -> np.ndarray:
        """The plan's own terms added by each option: track terms over its length, and the transition."""
        judge, table = self.judge, self.prepared.table
        durations = table.duration_s[rows]
        middle = partial.clock + self.prepared.advance[rows] / 2
        cost = judge.track_rate(rows, phase, middle) * durations / PLAY_UNIT_S
        if partial.rows:
            cost = cost + judge.steps(np.full(rows.size, partial.rows[-1]), rows)
        return cost

    def _finish(self, partial: _Partial) -> None:
        """Time a partial plan that closes the last phase; keep it when it is the cheapest so far."""
        if self.best is not None and partial.cost > self.best[0] + FINISH_MARGIN:
            return  # timing moves the total by crossfade terms and an early fade: never this much
        cost, timing = self.judge.judge(partial.rows, partial.phase_of)
        if timing is None:
            return
        if self.best is None or cost < self.best[0] - EPSILON:
            self.best = (cost, Solution(partial.rows, partial.phase_of, timing))

    def _ranked(self, children: list[tuple[float, _Partial]]) -> list[_Partial]:
        """Children best first, one per set of tracks and phase."""
        children.sort(key=lambda child: (child[0], child[1].rows))
        ranked: list[_Partial] = []
        seen: set[tuple[frozenset[int], int]] = set()
        for _, child in children:
            key = (frozenset(child.rows), child.phase)
            if key not in seen:
                seen.add(key)
                ranked.append(child)
        return ranked
