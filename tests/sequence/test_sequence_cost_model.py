"""The one cost model: every shape of call agrees, and the checker refuses what the search never offers."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from sequence_fixtures import generate_candidates

from playlist_builder.model import Arc
from playlist_builder.sequence.candidates import CandidateTable
from playlist_builder.sequence.checks import plan_violations
from playlist_builder.sequence.cost import EPSILON, CostModel
from playlist_builder.sequence.rules import SequenceRules
from playlist_builder.sequence.solver import build_plan

LIBRARY = generate_candidates(400, seed=11)
TABLE = CandidateTable.from_candidates(LIBRARY)


def test_one_pair_a_row_of_pairs_and_a_grid_cost_the_same(iv_arc: Arc, seq_rules: SequenceRules) -> None:
    costs = CostModel(iv_arc, seq_rules, 3000.0)
    before, after = np.arange(0, 40), np.arange(40, 80)
    energy, loudness, artist = TABLE.energy, TABLE.loudness_lufs, TABLE.artist
    row = costs.step_cost(energy[before], energy[after], loudness[before], loudness[after])
    grid = costs.step_cost(
        energy[before][:, None], energy[after][None, :], loudness[before][:, None], loudness[after][None, :]
    )
    allowed_row = costs.step_allowed(
        energy[before], energy[after], loudness[before], loudness[after], artist[before], artist[after]
    )
    allowed_grid = costs.step_allowed(
        energy[before][:, None],
        energy[after][None, :],
        loudness[before][:, None],
        loudness[after][None, :],
        artist[before][:, None],
        artist[after][None, :],
    )
    assert np.array_equal(np.diagonal(grid), row)
    assert np.array_equal(np.diagonal(allowed_grid), allowed_row)
    for index in range(0, 40, 7):
        one = costs.step_cost(
            float(energy[before[index]]),
            energy[after[index]],
            float(loudness[before[index]]),
            loudness[after[index]],
        )
        assert float(one) == row[index]
    assert not allowed_row.all() and allowed_row.any(), "the sample exercises both outcomes"


def test_unknown_loudness_costs_half_the_limit_and_never_blocks(
    iv_arc: Arc, seq_rules: SequenceRules
) -> None:
    costs = CostModel(iv_arc, seq_rules, 3000.0)
    _, unknown = costs.step_terms(0.3, np.array([0.3]), float("nan"), np.array([-20.0]))
    _, half = costs.step_terms(
        0.3, np.array([0.3]), -20.0, np.array([-20.0 + iv_arc.max_loudness_step_lu / 2])
    )
    assert unknown[0] == pytest.approx(half[0]) and unknown[0] > 0
    assert costs.loudness_step_ok(float("nan"), np.array([-5.0]))[0]
    assert not costs.loudness_step_ok(-30.0, np.array([-30.0 + iv_arc.max_loudness_step_lu + 0.1]))[0]


def test_crossfade_cost_is_zero_at_the_arc_crossfade(iv_arc: Arc, seq_rules: SequenceRules) -> None:
    costs = CostModel(iv_arc, seq_rules, 3000.0)
    overlaps = np.array(
        [iv_arc.crossfade_s, seq_rules.limits.crossfade_min_s, seq_rules.limits.crossfade_max_s]
    )
    cost = costs.crossfade_cost(overlaps)
    assert cost[0] == 0 and cost[1] > 0 and cost[2] > 0
    assert float(costs.crossfade_cost(overlaps[1])) == cost[1]


def test_the_checker_refuses_each_transition_limit(iv_arc: Arc, seq_rules: SequenceRules) -> None:
    plan = build_plan(iv_arc, 50, LIBRARY, seed=2, rules=seq_rules)
    by_id = {c.track_id: c for c in LIBRARY}
    assert plan_violations(plan, iv_arc, by_id, seq_rules) == []
    first, second = plan.items[3], plan.items[4]
    earlier = by_id[first.track_id]
    broken = dict(by_id)
    broken[second.track_id] = replace(
        by_id[second.track_id],
        energy=earlier.energy + iv_arc.max_energy_step + 0.05,
        loudness_lufs=(earlier.loudness_lufs or -21.0) + iv_arc.max_loudness_step_lu + 1.0,
        artist=earlier.artist,
    )
    if earlier.loudness_lufs is None:
        broken[first.track_id] = replace(earlier, loudness_lufs=-21.0)
    problems = plan_violations(plan, iv_arc, broken, seq_rules)
    position = second.position
    assert any(p.startswith(f"item {position}: energy step") for p in problems)
    assert any(p.startswith(f"item {position}: loudness step") for p in problems)
    assert f"item {position}: the same artist twice in a row" in problems


def test_a_tighter_loudness_limit_is_kept_by_the_search_and_the_checker(
    iv_arc: Arc, seq_rules: SequenceRules
) -> None:
    tight = replace(iv_arc, max_loudness_step_lu=1.0)
    plan = build_plan(tight, 50, LIBRARY, seed=4, rules=seq_rules)
    by_id = {c.track_id: c for c in LIBRARY}
    assert plan_violations(plan, tight, by_id, seq_rules) == []
    steps = [
        abs(by_id[b.track_id].loudness_lufs - by_id[a.track_id].loudness_lufs)  # type: ignore[operator]
        for a, b in zip(plan.items, plan.items[1:], strict=False)
        if by_id[a.track_id].loudness_lufs is not None and by_id[b.track_id].loudness_lufs is not None
    ]
    assert steps and max(steps) <= 1.0 + EPSILON
