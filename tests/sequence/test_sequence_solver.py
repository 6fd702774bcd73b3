"""The solver: length and phase bounds, the arc, gentle transitions, pins, history, and refusals."""

from __future__ import annotations

import itertools
import random
import re
from dataclasses import replace

import pytest
from sequence_fixtures import generate_candidates

from playlist_builder.errors import InfeasibleSessionError, InputError
from playlist_builder.model import Arc, Category, SessionPlan
from playlist_builder.sequence.candidates import Candidate, Pin
from playlist_builder.sequence.checks import plan_violations
from playlist_builder.sequence.rules import SequenceRules
from playlist_builder.sequence.solver import build_plan

LIBRARY = generate_candidates(600, seed=3)
BY_ID = {c.track_id: c for c in LIBRARY}


def plan_for(
    arc: Arc, rules: SequenceRules, minutes: float = 50, seed: int = 1, **kwargs: object
) -> SessionPlan:
    candidates = kwargs.pop("candidates", LIBRARY)
    return build_plan(arc, minutes, candidates, seed=seed, rules=rules, **kwargs)  # type: ignore[arg-type]


def test_plan_keeps_every_rule(iv_arc: Arc, seq_rules: SequenceRules) -> None:
    plan = plan_for(iv_arc, seq_rules, minutes=50)
    assert plan_violations(plan, iv_arc, BY_ID, seq_rules) == []
    assert abs(plan.total_s - 3000) <= 10
    phases = {p.name: p for p in iv_arc.phases}
    for item in plan.items:
        phase = phases[item.phase]
        assert item.category in phase.allowed
        assert item.energy <= phase.max_energy
        assert item.reason and item.costs["total"] == pytest.approx(
            sum(v for k, v in item.costs.items() if k != "total"), abs=1e-3
        )
    assert plan.costs["total"] == pytest.approx(sum(i.costs["total"] for i in plan.items), abs=1e-2)


def test_energy_follows_the_arc(iv_arc: Arc, seq_rules: SequenceRules) -> None:
    plan = plan_for(iv_arc, seq_rules, minutes=50)
    by_phase: dict[str, list[float]] = {}
    for item in plan.items:
        by_phase.setdefault(item.phase, []).append(item.energy)
    mean = {name: sum(values) / len(values) for name, values in by_phase.items()}
    assert mean["settle"] > mean["descend"] > mean["deep"] < mean["return"] < mean["ground"]
    for phase in iv_arc.phases:
        low, high = sorted((phase.energy_start, phase.energy_end))
        assert low - 0.06 <= mean[phase.name] <= high + 0.06


@pytest.mark.parametrize("arc_name", ["iv-infusion", "im-injection", "intranasal"])
@pytest.mark.parametrize("minutes_of", ["min_minutes", "default_minutes", "max_minutes"])
def test_every_shipped_arc_at_its_lengths(
    arcs: dict[str, Arc], seq_rules: SequenceRules, arc_name: str, minutes_of: str
) -> None:
    arc = arcs[arc_name]
    minutes = getattr(arc, minutes_of)
    candidates = generate_candidates(1500, seed=11)
    plan = plan_for(arc, seq_rules, minutes=minutes, candidates=candidates)
    assert plan_violations(plan, arc, {c.track_id: c for c in candidates}, seq_rules) == []
    assert abs(plan.total_s - minutes * 60) <= 10


def test_same_seed_same_plan_other_seed_other_plan(iv_arc: Arc, seq_rules: SequenceRules) -> None:
    first = plan_for(iv_arc, seq_rules, seed=42)
    again = plan_for(iv_arc, seq_rules, seed=42)
    assert first == again
    shuffled = LIBRARY[:]
    random.Random(5).shuffle(shuffled)
    assert plan_for(iv_arc, seq_rules, seed=42, candidates=shuffled) == first
    other = plan_for(iv_arc, seq_rules, seed=43)
    assert [i.track_id for i in other.items] != [i.track_id for i in first.items]
    assert plan_violations(other, iv_arc, BY_ID, seq_rules) == []
    assert other.costs["total"] < 3 * first.costs["total"] + 1, "another seed still gives a good plan"


def test_no_track_twice_and_no_artist_twice_in_a_row(iv_arc: Arc, seq_rules: SequenceRules) -> None:
    few_artists = generate_candidates(400, seed=8, artists=3)
    plan = plan_for(iv_arc, seq_rules, candidates=few_artists)
    ids = [item.track_id for item in plan.items]
    assert len(set(ids)) == len(ids)
    artists = [next(c.artist for c in few_artists if c.track_id == t) for t in ids]
    assert all(a != b for a, b in itertools.pairwise(artists))


def test_one_artist_only_is_refused_with_the_transition_limits(iv_arc: Arc, seq_rules: SequenceRules) -> None:
    one_artist = [replace(c, artist="Solo") for c in generate_candidates(300, seed=2)]
    with pytest.raises(InfeasibleSessionError, match="no artist twice in a row"):
        plan_for(iv_arc, seq_rules, candidates=one_artist)


def test_loudness_steps_stay_gentle(iv_arc: Arc, seq_rules: SequenceRules) -> None:
    wide = [replace(c, loudness_lufs=-30 + (c.track_id % 5) * 4.5) for c in generate_candidates(800, seed=4)]
    plan = plan_for(iv_arc, seq_rules, candidates=wide)
    loud = {c.track_id: c.loudness_lufs for c in wide}
    steps = [
        abs(loud[b.track_id] - loud[a.track_id]) for a, b in zip(plan.items, plan.items[1:], strict=False)
    ]
    assert max(steps) <= iv_arc.max_loudness_step_lu


def test_filtered_tracks_never_appear(iv_arc: Arc, seq_rules: SequenceRules) -> None:
    base = generate_candidates(700, seed=9)
    fast = {c.track_id for c in base[:150]}
    short = {c.track_id for c in base[150:300]}
    changed = [
        replace(c, tempo_bpm=140.0)
        if c.track_id in fast
        else replace(c, duration_s=60.0)
        if c.track_id in short
        else c
        for c in base
    ]
    plan = plan_for(iv_arc, seq_rules, candidates=changed)
    used = {item.track_id for item in plan.items}
    assert not used & (fast | short)


def test_pinned_tracks_appear_in_their_phase(iv_arc: Arc, seq_rules: SequenceRules) -> None:
    deep_track = next(c for c in LIBRARY if c.category is Category.BINAURAL and 0.17 < c.energy < 0.22)
    ground_track = next(c for c in LIBRARY if c.category is Category.MINIMAL and 0.28 < c.energy < 0.34)
    free_track = next(
        c for c in LIBRARY if c.category is Category.NATURE and 0.33 < c.energy < 0.38 and c.duration_s < 240
    )
    plan = plan_for(
        iv_arc,
        seq_rules,
        pinned=[
            Pin(deep_track.track_id, "deep"),
            Pin(ground_track.track_id, "ground"),
            Pin(free_track.track_id),
        ],
    )
    phase_of = {item.track_id: item.phase for item in plan.items}
    assert phase_of[deep_track.track_id] == "deep"
    assert phase_of[ground_track.track_id] == "ground"
    assert phase_of[free_track.track_id] == "settle"
    assert "pinned by the clinician" in next(
        i.reason for i in plan.items if i.track_id == deep_track.track_id
    )
    assert plan_violations(plan, iv_arc, BY_ID, seq_rules) == []


def test_pin_refusals(iv_arc: Arc, seq_rules: SequenceRules) -> None:
    with pytest.raises(InfeasibleSessionError, match="track 999999 cannot be pinned"):
        plan_for(iv_arc, seq_rules, pinned=[Pin(999999)])
    with pytest.raises(InputError, match=r"no phase 'peak'.*settle, descend, deep, return, ground"):
        plan_for(iv_arc, seq_rules, pinned=[Pin(LIBRARY[0].track_id, "peak")])
    loud = next(c for c in LIBRARY if c.energy > 0.35)
    with pytest.raises(InfeasibleSessionError, match=r"above the deep phase's limit of 0\.30"):
        plan_for(iv_arc, seq_rules, pinned=[Pin(loud.track_id, "deep")])
    long_ones = [c for c in LIBRARY if c.energy < 0.3 and c.duration_s > 500][:5]
    with pytest.raises(InfeasibleSessionError, match="pinned to the settle phase last"):
        plan_for(iv_arc, seq_rules, pinned=[Pin(c.track_id, "settle") for c in long_ones])


def test_patient_history_is_avoided_or_kept_for_familiarity(iv_arc: Arc, seq_rules: SequenceRules) -> None:
    first = plan_for(iv_arc, seq_rules, seed=7)
    heard = [item.track_id for item in first.items]
    second = plan_for(iv_arc, seq_rules, seed=7, history=heard)
    assert not {i.track_id for i in second.items} & set(heard)
    familiar = plan_for(iv_arc, seq_rules, seed=7, history=heard, familiarity=True)
    kept = [i for i in familiar.items if i.track_id in heard]
    assert len(kept) >= len(heard) // 2
    assert all("familiarity asked" in i.reason for i in kept)
    assert all(i.costs["familiarity"] < 0 for i in kept)


def test_history_that_empties_a_phase_says_so(iv_arc: Arc, seq_rules: SequenceRules) -> None:
    deep_kinds = [
        c.track_id for c in LIBRARY if c.category in (Category.AMBIENT, Category.BINAURAL, Category.MINIMAL)
    ]
    with pytest.raises(
        InfeasibleSessionError, match=r"held back because this patient heard them.*familiarity"
    ):
        plan_for(iv_arc, seq_rules, history=deep_kinds)


def test_short_deep_material_is_explained(iv_arc: Arc, seq_rules: SequenceRules) -> None:
    # Plenty of calm nature and piano, but only seven minutes of low-energy ambient/binaural/minimal.
    rich = generate_candidates(300, seed=1, categories=(Category.NATURE,))
    deep = [
        Candidate(
            track_id=10_000 + n,
            title=f"Tief {n}",
            artist=f"A{n}",
            duration_s=210.0,
            category=Category.AMBIENT,
            energy=0.2,
        )
        for n in range(2)
    ]
    with pytest.raises(InfeasibleSessionError) as caught:
        plan_for(iv_arc, seq_rules, candidates=rich + deep)
    message = str(caught.value)
    assert re.match(r"only 6:\d\d of instrumental material fits the descend phase", message) or (
        "fits the deep phase" in message
    )
    assert "needed; approve or add tracks, or choose another arc" in message


def test_too_little_material_overall(iv_arc: Arc, seq_rules: SequenceRules) -> None:
    with pytest.raises(
        InfeasibleSessionError,
        match=r"^only \d+:\d\d of instrumental material fits the [\w-]+ (phase|arc)",
    ):
        plan_for(iv_arc, seq_rules, candidates=generate_candidates(8, seed=1))
    with pytest.raises(InfeasibleSessionError, match="only 0:00 of"):
        plan_for(iv_arc, seq_rules, candidates=[])


def test_lengths_outside_the_arc_are_input_errors(iv_arc: Arc, seq_rules: SequenceRules) -> None:
    with pytest.raises(InputError, match="made for 40-60 minutes, not 90"):
        plan_for(iv_arc, seq_rules, minutes=90)
