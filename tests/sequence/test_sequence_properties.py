"""Property tests over generated libraries: bounds hold, forbidden tracks never appear, seeds repeat."""

from __future__ import annotations

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sequence_fixtures import KINDS, generate_candidates

from playlist_builder.errors import InfeasibleSessionError
from playlist_builder.model import Arc
from playlist_builder.sequence.candidates import Candidate
from playlist_builder.sequence.checks import plan_violations
from playlist_builder.sequence.rules import SequenceRules
from playlist_builder.sequence.solver import build_plan

PROPERTY_SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@st.composite
def libraries(draw: st.DrawFn) -> dict[str, object]:
    """A library shape, an arc, a length within the arc's range, a seed, and a patient history."""
    count = draw(st.integers(min_value=60, max_value=500))
    min_s = draw(st.sampled_from([60.0, 120.0, 200.0]))
    return {
        "count": count,
        "library_seed": draw(st.integers(0, 10_000)),
        "artists": draw(st.integers(2, 60)),
        "min_s": min_s,
        "max_s": min_s + draw(st.sampled_from([100.0, 400.0, 900.0])),
        "spread": draw(st.sampled_from([0.03, 0.08, 0.15])),
        "kinds": tuple(draw(st.lists(st.sampled_from(KINDS), min_size=1, max_size=4, unique=True))),
        "arc": draw(st.sampled_from(["iv-infusion", "im-injection", "intranasal"])),
        "minutes_fraction": draw(st.floats(0, 1)),
        "seed": draw(st.integers(0, 2**31 - 1)),
        "history_share": draw(st.sampled_from([0.0, 0.1, 0.3])),
    }


def _forbidden(candidates: list[Candidate], history: set[int], rules: SequenceRules) -> set[int]:
    limits = rules.limits
    too_fast = {
        c.track_id for c in candidates if c.tempo_bpm is not None and c.tempo_bpm > limits.max_tempo_bpm
    }
    too_short = {c.track_id for c in candidates if c.duration_s < limits.min_track_s}
    return history | too_fast | too_short


@PROPERTY_SETTINGS
@given(shape=libraries())
def test_plans_keep_every_bound_and_repeat_per_seed(
    shape: dict, arcs: dict[str, Arc], seq_rules: SequenceRules
) -> None:
    arc = arcs[shape["arc"]]
    minutes = round(arc.min_minutes + shape["minutes_fraction"] * (arc.max_minutes - arc.min_minutes), 1)
    candidates = generate_candidates(
        shape["count"],
        shape["library_seed"],
        artists=shape["artists"],
        min_s=shape["min_s"],
        max_s=shape["max_s"],
        energy_spread=shape["spread"],
        categories=shape["kinds"],
    )
    every = max(1, round(1 / shape["history_share"])) if shape["history_share"] else 0
    history = {c.track_id for c in candidates[::every]} if every else set()
    try:
        plan = build_plan(arc, minutes, candidates, seed=shape["seed"], rules=seq_rules, history=history)
    except InfeasibleSessionError as refused:
        event("refused")
        message = str(refused)
        assert "approve or add tracks" in message or "pinned" in message
        return
    event("planned")
    by_id = {c.track_id: c for c in candidates}
    assert plan_violations(plan, arc, by_id, seq_rules) == []
    assert abs(plan.total_s - minutes * 60) <= seq_rules.limits.total_tolerance_s
    assert not {item.track_id for item in plan.items} & _forbidden(candidates, history, seq_rules)
    phases = {p.name: p for p in arc.phases}
    for item in plan.items:
        assert by_id[item.track_id].category in phases[item.phase].allowed
        assert by_id[item.track_id].energy <= phases[item.phase].max_energy
    again = build_plan(
        arc, minutes, list(reversed(candidates)), seed=shape["seed"], rules=seq_rules, history=history
    )
    assert again == plan


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**31 - 1), library_seed=st.integers(0, 1000))
def test_a_varied_library_is_always_feasible(
    seed: int, library_seed: int, iv_arc: Arc, seq_rules: SequenceRules
) -> None:
    candidates = generate_candidates(400, library_seed)
    plan = build_plan(iv_arc, 50, candidates, seed=seed, rules=seq_rules)
    assert plan_violations(plan, iv_arc, {c.track_id: c for c in candidates}, seq_rules) == []
