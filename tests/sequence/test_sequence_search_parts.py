"""The solver's parts: the vectorised beam step, the exact plan cost, reservations, the improver."""

from __future__ import annotations

import random

import numpy as np
import pytest
from sequence_fixtures import generate_candidates, scarce_library

from playlist_builder.model import Arc, Category
from playlist_builder.sequence.beam import BeamSearch
from playlist_builder.sequence.candidates import CandidateTable, Pin
from playlist_builder.sequence.checks import plan_violations
from playlist_builder.sequence.evaluate import PlanCost
from playlist_builder.sequence.frontier import Heads, best_options, pool_columns, used_matrix
from playlist_builder.sequence.improve import Improver
from playlist_builder.sequence.reserve import outlook
from playlist_builder.sequence.rules import SequenceRules
from playlist_builder.sequence.search import Search
from playlist_builder.sequence.setup import Prepared, prepare
from playlist_builder.sequence.solver import build_plan

LIBRARY = generate_candidates(500, seed=21)
TABLE = CandidateTable.from_candidates(LIBRARY)


def prepared_for(arc: Arc, rules: SequenceRules, table: CandidateTable = TABLE, seed: int = 1) -> Prepared:
    return prepare(
        arc, 50, table, seed=seed, rules=rules, crossfade_s=8.0, pinned=(), history=(), familiarity=False
    )


def test_the_step_for_many_plans_offers_each_what_the_depth_first_walk_gets_alone(
    iv_arc: Arc, seq_rules: SequenceRules
) -> None:
    prepared = prepared_for(iv_arc, seq_rules)
    walk = Search(prepared, iv_arc, seq_rules)
    setup = prepared.setups[2]
    rng = np.random.default_rng(4)
    plans = [
        tuple(int(row) for row in rng.choice(setup.pool, size=size, replace=False)) for size in (1, 3, 6)
    ]
    plans.append(())
    clocks = [900.0, 1100.0, 1500.0, 840.0]
    columns = pool_columns(prepared, setup, np.zeros(setup.pool.size))
    heads = Heads(
        clock=np.array(clocks),
        free=np.array([setup.end_advance_s - clock for clock in clocks]),
        last=np.array([rows[-1] if rows else -1 for rows in plans]),
        used=used_matrix(columns, plans),
    )
    options = best_options(columns, setup, heads, prepared, seq_rules.search.branching)
    assert len(set(options.plan.tolist())) >= 3, "most plans have options to compare"
    table, costs = prepared.table, prepared.costs
    for index, (rows, clock) in enumerate(zip(plans, clocks, strict=True)):
        walk.rows, walk.clock = list(rows), clock
        walk.used[:] = False
        walk.used[list(rows)] = True
        expected = walk._free_options(setup, setup.end_advance_s - clock)
        offered = options.rows[options.plan == index]
        assert offered.tolist() == expected
        assert not set(offered.tolist()) & set(rows), "a track is never offered twice"
        if rows:
            last = rows[-1]
            assert costs.step_allowed(
                table.energy[last],
                table.energy[offered],
                table.loudness_lufs[last],
                table.loudness_lufs[offered],
                table.artist[last],
                table.artist[offered],
            ).all()


def test_the_judge_adds_up_what_the_plan_reports(iv_arc: Arc, seq_rules: SequenceRules) -> None:
    prepared = prepared_for(iv_arc, seq_rules)
    solution = Search(prepared, iv_arc, seq_rules).run()
    judge = PlanCost(prepared)
    plan = build_plan(iv_arc, 50, TABLE, seed=1, rules=seq_rules)
    rows = [TABLE.index_of(item.track_id) for item in plan.items]
    phases = [next(i for i, p in enumerate(iv_arc.phases) if p.name == item.phase) for item in plan.items]
    cost, timing = judge.judge(rows, phases)
    assert timing is not None
    assert cost == pytest.approx(plan.costs["total"], abs=0.01)
    assert judge.total(solution.rows, solution.phase_of, solution.timing) > 0


def test_material_a_later_phase_needs_is_priced_for_earlier_phases(
    iv_arc: Arc, seq_rules: SequenceRules
) -> None:
    table = CandidateTable.from_candidates(scarce_library())
    prepared = prepared_for(iv_arc, seq_rules, table)
    view = outlook(prepared, seq_rules)
    settle, ground = 0, len(iv_arc.phases) - 1
    assert not view.prices[ground], "nothing comes after the last phase"
    warm = {row for row in view.prices[settle] if table.rows[row].category is Category.MINIMAL}
    assert warm, "the close's piano pieces cost the opening something"
    assert all(price > 0 for price in view.prices[settle].values())
    assert view.rest_cost(np.array([0.0]))[0] > view.rest_cost(np.array([1500.0]))[0] > 0
    assert view.rest_cost(np.array([3000.0]))[0] == pytest.approx(0.0)


def test_the_beam_and_the_improver_keep_every_rule(iv_arc: Arc, seq_rules: SequenceRules) -> None:
    prepared = prepared_for(iv_arc, seq_rules)
    judge = PlanCost(prepared)
    start = BeamSearch(prepared, iv_arc, seq_rules, judge, outlook(prepared, seq_rules)).run()
    before = judge.total(start.rows, start.phase_of, start.timing)
    polished, after = Improver(judge).run(start, list(range(len(start.rows))))
    assert after <= before + 1e-9
    assert after == pytest.approx(judge.total(polished.rows, polished.phase_of, polished.timing))
    assert len(set(polished.rows)) == len(polished.rows)
    assert judge.timing(polished.rows, polished.phase_of) == polished.timing
    rows = np.array(polished.rows)
    assert judge.steps_ok(rows[:-1], rows[1:]).all()
    assert judge.fits_phase(rows, np.array(polished.phase_of)).all()


def test_scarce_plans_repeat_per_seed_and_differ_across_seeds(iv_arc: Arc, seq_rules: SequenceRules) -> None:
    scarce = scarce_library()
    shuffled = scarce[:]
    random.Random(3).shuffle(shuffled)
    first = build_plan(iv_arc, 50, scarce, seed=8, rules=seq_rules)
    assert build_plan(iv_arc, 50, shuffled, seed=8, rules=seq_rules) == first
    others = {
        tuple(item.track_id for item in build_plan(iv_arc, 50, scarce, seed=seed, rules=seq_rules).items)
        for seed in range(9, 15)
    }
    assert len(others | {tuple(item.track_id for item in first.items)}) > 1


def test_pins_hold_in_a_scarce_library(iv_arc: Arc, seq_rules: SequenceRules) -> None:
    scarce = scarce_library()
    warm = next(c for c in scarce if c.category is Category.MINIMAL and c.duration_s == 300)
    quiet = next(c for c in scarce if c.category is Category.BINAURAL and c.duration_s == 300)
    by_id = {c.track_id: c for c in scarce}
    for seed in (5, 6):
        plan = build_plan(
            iv_arc,
            50,
            scarce,
            seed=seed,
            rules=seq_rules,
            pinned=[Pin(warm.track_id, "ground"), Pin(quiet.track_id, "deep")],
        )
        phase_of = {item.track_id: item.phase for item in plan.items}
        assert phase_of[warm.track_id] == "ground" and phase_of[quiet.track_id] == "deep"
        assert plan_violations(plan, iv_arc, by_id, seq_rules) == []
