"""The improvement pass: a local search over a complete plan, each move judged by the plan's exact cost.

Moves, tried position by position in a seeded order (after the first pass only around what changed),
then at each phase boundary:
- replace a track by an unused one allowed in its phase, of any length up to `swap_window_s` apart;
- swap two placed tracks (in one phase, or across two phases that both allow them);
- move a phase boundary by one track.
A move must keep the hard transition limits (energy step, loudness step, no artist twice in a row);
its plan is then re-timed with `fit_timing` (crossfades and the end trim re-fitted, every length
bound checked) and costed exactly (`evaluate.PlanCost`), and kept only when the total falls. Cheap
vectorised estimates choose the few moves worth judging exactly, and `improve_budget` caps the number
of exact judgements, so the pass stays fast on any library. Pinned tracks never move.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from playlist_builder.sequence.cost import EPSILON, PLAY_UNIT_S
from playlist_builder.sequence.evaluate import PlanCost
from playlist_builder.sequence.search import Solution
from playlist_builder.sequence.timing import Timing


@dataclass
class _Plan:
    """The plan being improved (mutable while the pass runs)."""

    rows: list[int]
    phase_of: list[int]
    timing: Timing
    cost: float
    used: np.ndarray


class Improver:
    """Local search over one prepared problem's plans."""

    def __init__(self, judge: PlanCost) -> None:
        self.judge = judge
        self.prepared = judge.prepared
        self.search = judge.rules.search
        self.limit = judge.evaluations + self.search.improve_budget

    def run(self, solution: Solution, order: Sequence[int]) -> tuple[Solution, float]:
        """A plan at least as cheap as `solution`, and its total cost."""
        rows, phase_of = list(solution.rows), list(solution.phase_of)
        used = np.zeros(len(self.prepared.table), dtype=bool)
        used[rows] = True
        plan = _Plan(rows, phase_of, solution.timing, self.judge.total(rows, phase_of, solution.timing), used)
        visit = list(order)
        for _ in range(self.search.improvement_passes):
            changed: set[int] = set()
            for position in visit:
                if self._spent():
                    break
                if plan.rows[position] in self.prepared.pinned_rows:
                    continue
                changed |= self._replace(plan, position)
                changed |= self._swap(plan, position)
            changed |= self._boundaries(plan)
            if not changed or self._spent():
                break
            # Next pass: only around what changed (elsewhere the estimates barely moved).
            near = {spot for position in changed for spot in (position - 1, position, position + 1)}
            visit = [position for position in order if position in near]
        return Solution(tuple(plan.rows), tuple(plan.phase_of), plan.timing), plan.cost

    def _spent(self) -> bool:
        return self.judge.evaluations >= self.limit

    # --- moves ---------------------------------------------------------------------------------------

    def _replace(self, plan: _Plan, position: int) -> set[int]:
        """Replace the track at `position` by the unused pool track that lowers the total most."""
        setup = self.prepared.setups[plan.phase_of[position]]
        current = plan.rows[position]
        durations = self.prepared.table.duration_s
        pool = setup.pool
        mask = ~plan.used[pool] & (np.abs(durations[pool] - durations[current]) <= self.search.swap_window_s)
        if not mask.any():
            return set()
        options = pool[mask]
        estimate = self._place_cost(plan, position, options)
        now = self._place_cost(plan, position, np.array([current]))[0]
        trials = []
        for row in self._cheapest(options, estimate, now):
            rows = plan.rows.copy()
            rows[position] = int(row)
            trials.append(rows)
        return {position} if self._take_best(plan, trials, [plan.phase_of] * len(trials)) else set()

    def _swap(self, plan: _Plan, position: int) -> set[int]:
        """Swap the track at `position` with another placed track when that lowers the total."""
        judge, rows = self.judge, np.asarray(plan.rows)
        phases = np.asarray(plan.phase_of)
        here, phase_here = rows[position], phases[position]
        durations = self.prepared.table.duration_s
        others = np.flatnonzero(
            (np.arange(rows.size) != position)
            & ~np.isin(rows, list(self.prepared.pinned_rows))
            & (np.abs(durations[rows] - durations[here]) <= self.search.swap_window_s)
        )
        others = others[judge.fits_phase(rows[others], phase_here)]
        others = others[judge.fits_phase(np.full(others.size, here), phases[others])]
        if others.size == 0:
            return set()
        starts = np.asarray(plan.timing.starts_s)
        gain = (
            self._fit_at(np.full(others.size, here), phases[others], starts[others])
            + self._fit_at(
                rows[others], np.full(others.size, phase_here), np.full(others.size, starts[position])
            )
            - self._fit_at(rows[others], phases[others], starts[others])
            - self._fit_at(np.array([here]), np.array([phase_here]), starts[position : position + 1])
        )
        swapped = np.tile(rows, (others.size, 1))
        swapped[np.arange(others.size), position] = rows[others]
        swapped[np.arange(others.size), others] = here
        step_costs, step_fine = judge.transitions(swapped[:, :-1], swapped[:, 1:])
        fine = step_fine.all(axis=1)
        steps = step_costs.sum(axis=1)
        gain = gain + steps - float(judge.steps(rows[:-1], rows[1:]).sum())
        better = np.flatnonzero(fine & (gain < -EPSILON))
        better = better[np.argsort(gain[better], kind="stable")][: self.search.improve_candidates]
        trials = [swapped[index].tolist() for index in better]
        before = plan.rows.copy()
        if not self._take_best(plan, trials, [plan.phase_of] * len(trials)):
            return set()
        return {index for index, (old, new) in enumerate(zip(before, plan.rows, strict=True)) if old != new}

    def _boundaries(self, plan: _Plan) -> set[int]:
        """Move each phase boundary one track earlier or later when that lowers the total."""
        changed: set[int] = set()
        for phase in range(len(self.prepared.setups) - 1):
            first_next = plan.phase_of.index(phase + 1)
            trials = []
            for moved, new_phase in ((first_next - 1, phase + 1), (first_next, phase)):
                if (
                    plan.phase_of.count(plan.phase_of[moved]) < 2
                    or plan.rows[moved] in self.prepared.pinned_rows
                ):
                    continue
                if not self.judge.fits_phase(np.array([plan.rows[moved]]), new_phase)[0]:
                    continue
                phase_of = plan.phase_of.copy()
                phase_of[moved] = new_phase
                trials.append(phase_of)
            if self._take_best(plan, [plan.rows] * len(trials), trials):
                changed |= {first_next - 1, first_next}
        return changed

    # --- estimates and judgement ---------------------------------------------------------------------

    def _fit_at(self, rows: np.ndarray, phases: np.ndarray, starts_s: np.ndarray) -> np.ndarray:
        """Estimated track cost (energy fit, category, tempo, variety) of rows starting at given times."""
        durations = self.prepared.table.duration_s[rows]
        return self.judge.track_rate(rows, phases, starts_s + durations / 2) * durations / PLAY_UNIT_S

    def _place_cost(self, plan: _Plan, position: int, options: np.ndarray) -> np.ndarray:
        """Estimated cost of putting each option at `position`: track terms plus both transitions
        (infinite where a transition would break a hard limit)."""
        judge = self.judge
        phase = plan.phase_of[position]
        cost = self._fit_at(
            options, np.full(options.size, phase), np.full(options.size, plan.timing.starts_s[position])
        )
        for before, after in ((position - 1, None), (None, position + 1)):
            index = before if before is not None else after
            if index is None or not 0 <= index < len(plan.rows):
                continue
            other = np.full(options.size, plan.rows[index])
            pair = (other, options) if before is not None else (options, other)
            step_cost, fine = judge.transitions(*pair)
            cost = np.where(fine, cost + step_cost, np.inf)
        return cost

    def _cheapest(self, options: np.ndarray, estimate: np.ndarray, now: float) -> np.ndarray:
        """The options whose estimate beats the current track, best first, at most improve_candidates."""
        better = np.flatnonzero(estimate < now - EPSILON)
        count = min(self.search.improve_candidates, better.size)
        if count == 0:
            return better
        best = better[np.argpartition(estimate[better], count - 1)[:count]]
        return options[best[np.argsort(estimate[best], kind="stable")]]

    def _take_best(self, plan: _Plan, trials: list[list[int]], phase_ofs: list[list[int]]) -> bool:
        """Judge each trial plan exactly; adopt the cheapest if it beats the current plan."""
        best: tuple[float, list[int], list[int], Timing] | None = None
        for rows, phase_of in zip(trials, phase_ofs, strict=True):
            if self._spent():
                break
            cost, timing = self.judge.judge(rows, phase_of)
            if timing is not None and cost < plan.cost - EPSILON and (best is None or cost < best[0]):
                best = (cost, rows, phase_of, timing)
        if best is None:
            return False
        plan.cost, rows, plan.phase_of, plan.timing = best[0], best[1], best[2].copy(), best[3]
        plan.used[plan.rows] = False
        plan.used[rows] = True
        plan.rows = rows.copy()
        return True
