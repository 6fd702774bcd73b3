"""Checking a finished plan: every hard rule (the solver's last guard, and tests), and how well it follows
the arc's energy."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping

from playlist_builder.model import Arc, SessionPlan
from playlist_builder.sequence.candidates import Candidate, artist_key
from playlist_builder.sequence.cost import target_energy
from playlist_builder.sequence.rules import SequenceRules

_SLACK = 0.05  # seconds of rounding allowed when timings are compared


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
    phases = {phase.name: phase for phase in arc.phases}
    for item in items:
        phase = phases.get(item.phase)
        if phase is None:
            problems.append(f"item {item.position}: unknown phase {item.phase!r}")
        elif item.energy > phase.max_energy + 1e-9:
            problems.append(f"item {item.position}: energy {item.energy:.2f} above the {phase.name} limit")
        if item.track_id not in candidates:
            problems.append(f"item {item.position}: track {item.track_id} was not a candidate")
    for before, after in itertools.pairwise(items):
        problems += _transition_problems(before.track_id, after.track_id, after.position, arc, candidates)
    return problems


def _transition_problems(
    before_id: int, after_id: int, position: int, arc: Arc, candidates: Mapping[int, Candidate]
) -> list[str]:
    before, after = candidates.get(before_id), candidates.get(after_id)
    if before is None or after is None:
        return []
    problems = []
    if abs(after.energy - before.energy) > arc.max_energy_step + 1e-9:
        problems.append(f"item {position}: energy step {after.energy - before.energy:+.2f} is too large")
    if before.loudness_lufs is not None and after.loudness_lufs is not None:
        step = after.loudness_lufs - before.loudness_lufs
        if abs(step) > arc.max_loudness_step_lu + 1e-9:
            problems.append(f"item {position}: loudness step {step:+.1f} LU is too large")
    if artist_key(before.artist) is not None and artist_key(before.artist) == artist_key(after.artist):
        problems.append(f"item {position}: the same artist twice in a row")
    return problems


def _timing_problems(plan: SessionPlan, arc: Arc, rules: SequenceRules) -> list[str]:
    limits = rules.limits
    items = plan.items
    target = plan.target_minutes * 60
    problems = []
    end = items[-1].start_s + items[-1].duration_s
    if abs(end - plan.total_s) > _SLACK:
        problems.append("total_s does not match the last track's end")
    if abs(plan.total_s - target) > limits.total_tolerance_s + _SLACK:
        problems.append(
            f"total {plan.total_s:.1f} s is not within {limits.total_tolerance_s:g} s of {target:g} s"
        )
    if items[0].start_s != 0:
        problems.append("the first track does not start at 0")
    for before, after in itertools.pairwise(items):
        if abs(after.start_s - (before.start_s + before.duration_s - before.crossfade_out_s)) > _SLACK:
            problems.append(
                f"item {after.position}: start does not follow the previous track and its crossfade"
            )
        if abs(after.crossfade_in_s - before.crossfade_out_s) > _SLACK:
            problems.append(f"item {after.position}: crossfade in differs from the previous crossfade out")
        overlap = before.crossfade_out_s
        if not limits.crossfade_min_s - _SLACK <= overlap <= limits.crossfade_max_s + _SLACK:
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
        if abs(span - phase.share * target) > limits.phase_tolerance_s + _SLACK:
            wanted = phase.share * target
            problems.append(
                f"phase {phase.name} lasts {span:.0f} s, not {wanted:.0f} +- {limits.phase_tolerance_s:g} s"
            )
    return problems


def phase_energy_errors(plan: SessionPlan, arc: Arc) -> dict[str, float]:
    """Per phase, how far the plan strays from the arc: the mean absolute difference between each track's
    energy and the arc's target at the track's middle, weighted by play time (0 = on the arc)."""
    target = plan.target_minutes * 60
    spans: dict[str, tuple[float, float]] = {}
    start = 0.0
    for phase in arc.phases:
        spans[phase.name] = (start, max(phase.share * target, 1e-9))
        start += phase.share * target
    phases = {phase.name: phase for phase in arc.phases}
    missed: dict[str, float] = {}
    played: dict[str, float] = {}
    for item in plan.items:
        begin, length = spans[item.phase]
        middle = item.start_s + item.duration_s / 2
        wanted = float(target_energy(phases[item.phase], (middle - begin) / length))
        missed[item.phase] = missed.get(item.phase, 0.0) + abs(item.energy - wanted) * item.duration_s
        played[item.phase] = played.get(item.phase, 0.0) + item.duration_s
    return {name: missed[name] / played[name] for name in missed if played[name] > 0}
