"""Checking a finished plan: every hard rule (the solver's last guard, and tests), and how well it follows
the arc's energy."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping

import numpy as np

from playlist_builder.model import Arc, SessionPlan
from playlist_builder.sequence.candidates import Candidate, CandidateTable
from playlist_builder.sequence.cost import ArcClock, CostModel
from playlist_builder.sequence.rules import SequenceRules

# Seconds of difference allowed when a plan's timings are compared: plans store them rounded to 0.01 s.
ROUNDING_SLACK_S = 0.05


def plan_violations(
    plan: SessionPlan,
    arc: Arc,
    candidates: Mapping[int, Candidate],
    rules: SequenceRules,
    *,
    forbidden: Iterable[int] = (),
) -> list[str]:
    """Every broken hard rule of a plan, as sentences (an empty list means the plan is sound)."""
    problems: list[str] = []
    items = plan.items
    if not items:
        return ["the plan is empty"]
    problems += _timing_problems(plan, arc, rules)
    ids = [item.track_id for item in items]
    if len(set(ids)) != len(ids):
        problems.append("a track appears twice")
    problems += [f"track {t} is not allowed in this session" for t in sorted(set(ids) & set(forbidden))]
    costs = CostModel(arc, rules, plan.target_minutes * 60)
    phases = {phase.name: index for index, phase in enumerate(arc.phases)}
    for item in items:
        index = phases.get(item.phase)
        if index is None:
            problems.append(f"item {item.position}: unknown phase {item.phase!r}")
        elif not costs.within_energy(item.energy, index):
            problems.append(f"item {item.position}: energy {item.energy:.2f} above the {item.phase} limit")
        if item.track_id not in candidates:
            problems.append(f"item {item.position}: track {item.track_id} was not a candidate")
    return problems + _transition_problems(plan, costs, candidates)


def _transition_problems(
    plan: SessionPlan, costs: CostModel, candidates: Mapping[int, Candidate]
) -> list[str]:
    """The transitions between known candidates that break a limit of the cost model."""
    pairs = [
        (before.track_id, after.track_id, after.position)
        for before, after in itertools.pairwise(plan.items)
        if before.track_id in candidates and after.track_id in candidates
    ]
    if not pairs:
        return []
    table = CandidateTable.from_candidates(
        candidates[track_id] for track_id in {t for p in pairs for t in p[:2]}
    )
    before = np.array([table.index_of(pair[0]) for pair in pairs])
    after = np.array([table.index_of(pair[1]) for pair in pairs])
    energy_fine = costs.energy_step_ok(table.energy[before], table.energy[after])
    loudness_fine = costs.loudness_step_ok(table.loudness_lufs[before], table.loudness_lufs[after])
    artist_fine = costs.artist_ok(table.artist[before], table.artist[after])
    problems = []
    for index, (_, _, position) in enumerate(pairs):
        if not energy_fine[index]:
            step = table.energy[after[index]] - table.energy[before[index]]
            problems.append(f"item {position}: energy step {step:+.2f} is too large")
        if not loudness_fine[index]:
            step = table.loudness_lufs[after[index]] - table.loudness_lufs[before[index]]
            problems.append(f"item {position}: loudness step {step:+.1f} LU is too large")
        if not artist_fine[index]:
            problems.append(f"item {position}: the same artist twice in a row")
    return problems


def _timing_problems(plan: SessionPlan, arc: Arc, rules: SequenceRules) -> list[str]:
    limits = rules.limits
    items = plan.items
    target = plan.target_minutes * 60
    problems = []
    end = items[-1].start_s + items[-1].duration_s
    if abs(end - plan.total_s) > ROUNDING_SLACK_S:
        problems.append("total_s does not match the last track's end")
    if abs(plan.total_s - target) > limits.total_tolerance_s + ROUNDING_SLACK_S:
        problems.append(
            f"total {plan.total_s:.1f} s is not within {limits.total_tolerance_s:g} s of {target:g} s"
        )
    if items[0].start_s != 0:
        problems.append("the first track does not start at 0")
    for before, after in itertools.pairwise(items):
        if (
            abs(after.start_s - (before.start_s + before.duration_s - before.crossfade_out_s))
            > ROUNDING_SLACK_S
        ):
            problems.append(
                f"item {after.position}: start does not follow the previous track and its crossfade"
            )
        if abs(after.crossfade_in_s - before.crossfade_out_s) > ROUNDING_SLACK_S:
            problems.append(f"item {after.position}: crossfade in differs from the previous crossfade out")
        overlap = before.crossfade_out_s
        if (
            not limits.crossfade_min_s - ROUNDING_SLACK_S
            <= overlap
            <= limits.crossfade_max_s + ROUNDING_SLACK_S
        ):
            problems.append(f"item {before.position}: crossfade {overlap:.1f} s outside the limits")
    order = [phase.name for phase in arc.phases]
    seen = list(dict.fromkeys(item.phase for item in items))
    if seen != order:
        problems.append(f"phases run {seen}, not {order}")
        return problems
    starts = {name: next(i.start_s for i in items if i.phase == name) for name in order}
    bounds = [starts[name] for name in order] + [plan.total_s]
    for index, phase in enumerate(arc.phases):
        span = bounds[index + 1] - bounds[index]
        if abs(span - phase.share * target) > limits.phase_tolerance_s + ROUNDING_SLACK_S:
            wanted = phase.share * target
            problems.append(
                f"phase {phase.name} lasts {span:.0f} s, not {wanted:.0f} +- {limits.phase_tolerance_s:g} s"
            )
    return problems


def phase_energy_errors(plan: SessionPlan, arc: Arc) -> dict[str, float]:
    """Per phase, how far the plan strays from the arc: the mean absolute difference between each track's
    energy and the arc's target at the track's middle, weighted by play time (0 = on the arc)."""
    clock = ArcClock(arc, plan.target_minutes * 60)
    phases = {phase.name: index for index, phase in enumerate(arc.phases)}
    missed: dict[str, float] = {}
    played: dict[str, float] = {}
    for item in plan.items:
        middle = item.start_s + item.duration_s / 2
        wanted = float(clock.target(phases[item.phase], middle))
        missed[item.phase] = missed.get(item.phase, 0.0) + abs(item.energy - wanted) * item.duration_s
        played[item.phase] = played.get(item.phase, 0.0) + item.duration_s
    return {name: missed[name] / played[name] for name in missed if played[name] > 0}
