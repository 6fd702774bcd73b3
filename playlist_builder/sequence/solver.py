"""The sequencer's entry point: eligible tracks + an arc + a length + a seed -> an explained session plan.

Pure: no I/O, no database, no clock. The same inputs and seed always give the same plan; another seed
gives another plan of similar quality (seeded noise in the costs, see `cost.variety_noise`). The
stages a plan goes through are mapped in the package docstring (sequence/__init__.py).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import replace

import numpy as np

from playlist_builder.errors import InfeasibleSessionError, InputError
from playlist_builder.model import Arc, PlanItem, SessionPlan
from playlist_builder.sequence.beam import BeamSearch
from playlist_builder.sequence.candidates import Candidate, CandidateTable, Pin
from playlist_builder.sequence.checks import plan_violations
from playlist_builder.sequence.cost import EPSILON, PLAY_UNIT_S, tempo_rate, variety_noise
from playlist_builder.sequence.evaluate import PlanCost
from playlist_builder.sequence.improve import Improver
from playlist_builder.sequence.reasons import ReasonFacts, reason_text
from playlist_builder.sequence.reserve import outlook
from playlist_builder.sequence.rules import SequenceRules
from playlist_builder.sequence.search import Search, Solution
from playlist_builder.sequence.setup import ADVICE, Prepared, prepare, reaimed
from playlist_builder.sequence.timing import preferred_crossfade

# A first plan dearer than the best polished plan by more than this share of that plan's cost (and at
# least SKIP_START_MIN, one noticeable flaw) is not polished: polishing takes off a fraction of a
# plan's cost, rarely that much, and each polish takes time.
SKIP_START_SHARE = 0.5
SKIP_START_MIN = 1.0


def build_plan(
    arc: Arc,
    minutes: float,
    candidates: Iterable[Candidate] | CandidateTable,
    *,
    seed: int,
    rules: SequenceRules,
    pinned: Iterable[Pin] = (),
    history: Iterable[int] = (),
    familiarity: bool = False,
    patient_code: str | None = None,
    name: str = "",
) -> SessionPlan:
    """Pick and order tracks into a session following `arc` for `minutes`.

    `history` holds track ids from the patient's recent sessions: left out, or favoured when
    `familiarity` is True. Pinned tracks always appear (in their phase, when one is named).
    Raises InfeasibleSessionError saying what is short when no plan can keep every rule.
    """
    check_minutes(arc, minutes, rules)
    table = (
        candidates if isinstance(candidates, CandidateTable) else CandidateTable.from_candidates(candidates)
    )
    crossfade = preferred_crossfade(arc.crossfade_s, rules.limits)
    history_ids = frozenset(int(track_id) for track_id in history)
    prepared = prepare(
        arc,
        minutes,
        table,
        seed=seed,
        rules=rules,
        crossfade_s=crossfade,
        pinned=tuple(pinned),
        history=history_ids,
        familiarity=familiarity,
    )
    judge = PlanCost(prepared)
    solution = _polished(judge, _first_plans(prepared, arc, rules, judge), seed)
    plan = compose(solution, prepared, arc, rules, minutes=minutes, seed=seed, familiarity=familiarity)
    plan = replace(plan, patient_code=patient_code, name=name)
    chosen = {table.rows[row].track_id: table.rows[row] for row in solution.rows}
    pinned_ids = {table.rows[row].track_id for row in prepared.pinned_rows}
    forbidden = set() if familiarity else history_ids - pinned_ids
    problems = plan_violations(plan, arc, chosen, rules, forbidden=forbidden)
    if problems:
        raise InfeasibleSessionError(f"the plan broke a rule ({problems[0]}); please report this")
    return plan


def _first_plans(prepared: Prepared, arc: Arc, rules: SequenceRules, judge: PlanCost) -> list[Solution]:
    """The first plans found for a prepared problem, to be polished.

    The beam search (beam.py, reserve.py) runs with phase ends aimed as the rules say and once more
    aimed more loosely (see `_attempt_rules`): with few tracks of coarse lengths the looser aim can
    reach much better plans, and either may find nothing. The depth-first walk adds a third start
    and is the fallback; InfeasibleSessionError only when nothing is found, with the depth-first
    walk's explanation of what is short.
    """
    view = outlook(prepared, rules)
    starts: list[Solution] = []
    failure: InfeasibleSessionError | None = None
    walked = False
    for tuned in _attempt_rules(rules):
        aimed = prepared if tuned is rules else reaimed(prepared, tuned)
        with contextlib.suppress(InfeasibleSessionError):
            starts.append(BeamSearch(aimed, arc, tuned, judge, view).run())
        if not walked:
            try:
                starts.append(Search(aimed, arc, tuned).run())
                walked = True
            except InfeasibleSessionError as error:
                failure = error  # the depth-first walk explains what is short
    if not starts:
        raise failure if failure is not None else InfeasibleSessionError(f"no plan found; {ADVICE}")
    return starts


def _polished(judge: PlanCost, starts: list[Solution], seed: int) -> Solution:
    """The cheapest plan after the improvement pass, polishing the cheapest first plans first (see
    SKIP_START_SHARE). Ties keep the earlier plan, so the result is deterministic."""
    raw = [judge.total(start.rows, start.phase_of, start.timing) for start in starts]
    solution, best = starts[0], np.inf
    for index in sorted(range(len(starts)), key=lambda index: (raw[index], index)):
        if raw[index] > best + max(SKIP_START_SHARE * abs(best), SKIP_START_MIN):
            break
        start = starts[index]
        improved, cost = Improver(judge).run(start, _order(seed, len(start.rows)))
        if cost < best - EPSILON:
            solution, best = improved, cost
    return solution


def _order(seed: int, count: int) -> list[int]:
    """The seeded order in which the improvement pass visits positions."""
    return np.random.default_rng(seed).permutation(count).tolist()


def _attempt_rules(rules: SequenceRules) -> list[SequenceRules]:
    """The rules to search with: as given, then once more aiming phase ends more loosely.

    The first search aims each phase's end within `phase_aim_s`, leaving the crossfade fit room to
    spare. When that finds nothing (short phases and long tracks), a second search aims within
    `phase_tolerance_s - total_tolerance_s`; `timing.fit_timing` still checks every bound exactly.
    """
    limits = rules.limits
    wider = limits.phase_tolerance_s - limits.total_tolerance_s
    if wider <= limits.phase_aim_s:
        return [rules]
    return [rules, replace(rules, limits=replace(limits, phase_aim_s=wider))]


def check_minutes(arc: Arc, minutes: float, rules: SequenceRules) -> None:
    """Refuse a length the arc is not made for, or one that leaves a phase too short for any track."""
    if not arc.min_minutes <= minutes <= arc.max_minutes:
        raise InputError(
            f"the {arc.name} arc is made for {arc.min_minutes:g}-{arc.max_minutes:g} minutes, not {minutes:g}"
        )
    shortest = min(arc.phases, key=lambda phase: phase.share)
    length = shortest.share * minutes * 60
    if length + rules.limits.phase_aim_s < rules.limits.min_track_s - arc.crossfade_s:
        raise InputError(
            f"at {minutes:g} minutes the {shortest.name} phase would last only {length:.0f} s, shorter "
            "than the "
            f"shortest track used ({rules.limits.min_track_s:g} s); choose a longer session"
        )


def compose(
    solution: Solution,
    prepared: Prepared,
    arc: Arc,
    rules: SequenceRules,
    *,
    minutes: float,
    seed: int,
    familiarity: bool,
) -> SessionPlan:
    """The plan: each track's place, timing, cost terms and reason; totals over the session."""
    timing = solution.timing
    count = len(solution.rows)
    items = []
    for position, row in enumerate(solution.rows):
        overlap_in = timing.overlaps_s[position - 1] if position > 0 else None
        overlap_out = timing.overlaps_s[position] if position < count - 1 else None
        trim = timing.trim_s if position == count - 1 else 0.0
        items.append(
            _item(
                position,
                row,
                solution,
                prepared,
                arc,
                rules,
                seed=seed,
                familiarity=familiarity,
                overlaps=(overlap_in, overlap_out),
                trim=trim,
            )
        )
    totals: dict[str, float] = {}
    for item in items:
        for term, value in item.costs.items():
            totals[term] = totals.get(term, 0.0) + value
    target = minutes * 60
    spans = [span - setup.length_s for span, setup in zip(timing.phase_spans_s, prepared.setups, strict=True)]
    totals = {term: round(value, 4) for term, value in totals.items()}
    totals["length_error_s"] = round(timing.total_s - target, 2)
    totals["max_phase_error_s"] = round(max(abs(error) for error in spans), 2)
    totals["final_trim_s"] = round(timing.trim_s, 2)
    return SessionPlan(
        arc_name=arc.name,
        target_minutes=minutes,
        seed=seed,
        items=tuple(items),
        total_s=round(timing.total_s, 2),
        costs=totals,
    )


def _item(
    position: int,
    row: int,
    solution: Solution,
    prepared: Prepared,
    arc: Arc,
    rules: SequenceRules,
    *,
    seed: int,
    familiarity: bool,
    overlaps: tuple[float | None, float | None],
    trim: float,
) -> PlanItem:
    table, model = prepared.table, prepared.costs
    candidate = table.rows[row]
    setup = prepared.setups[solution.phase_of[position]]
    phase = setup.phase
    start = solution.timing.starts_s[position]
    played = float(table.duration_s[row]) - trim
    target = float(model.target(setup.index, start + played / 2))
    share = played / PLAY_UNIT_S
    one = np.array([row])
    costs = {
        "energy_fit": float(model.energy_rate(table.energy[one], target)[0]) * share,
        "category": float(model.category_rate(table.category[one], table.secondary[one], setup.index)[0])
        * share,
        "tempo": float(tempo_rate(table.tempo_bpm[one], rules)[0]) * share,
        "variety": float(variety_noise(table.track_id[one], seed, rules)[0]) * share,
    }
    heard = bool(prepared.heard[row])
    if familiarity and heard:
        costs["familiarity"] = -rules.weights.familiarity * share
    energy_step = loudness_step = None
    if position > 0:
        previous = table.rows[solution.rows[position - 1]]
        step_e, step_l = model.step_terms(
            previous.energy,
            table.energy[one],
            float(table.loudness_lufs[solution.rows[position - 1]]),
            table.loudness_lufs[one],
        )
        costs["energy_step"] = float(step_e[0])
        costs["loudness_step"] = float(step_l[0])
        costs["crossfade"] = float(model.crossfade_cost(overlaps[0] or 0.0))
        energy_step = candidate.energy - previous.energy
        if candidate.loudness_lufs is not None and previous.loudness_lufs is not None:
            loudness_step = candidate.loudness_lufs - previous.loudness_lufs
    costs = {term: round(value, 4) for term, value in costs.items()}
    costs["total"] = round(sum(costs.values()), 4)
    facts = ReasonFacts(
        phase=phase,
        category=candidate.category,
        secondary=candidate.secondary_category,
        energy=candidate.energy,
        target=target,
        tempo_bpm=candidate.tempo_bpm,
        energy_step=energy_step,
        loudness_step=loudness_step,
        pinned=row in prepared.pinned_rows,
        familiar=familiarity and heard,
        trimmed_s=trim,
    )
    limits = rules.limits
    return PlanItem(
        position=position,
        track_id=candidate.track_id,
        phase=phase.name,
        start_s=round(start, 2),
        duration_s=round(played, 2),
        crossfade_in_s=round(overlaps[0], 2) if overlaps[0] is not None else limits.fade_in_s,
        crossfade_out_s=round(overlaps[1], 2) if overlaps[1] is not None else limits.fade_out_s,
        energy=round(candidate.energy, 4),
        category=candidate.category,
        reason=reason_text(facts, rules),
        costs=costs,
    )
