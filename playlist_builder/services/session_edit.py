"""Editing saved sessions: swap one track for a ranked alternative, pin and rebuild, rename, delete.

A swap is judged by the sequencer's own cost model and timing fit (sequence/evaluate.PlanCost and
sequence/solver.compose), so an alternative keeps the arc and the session length exactly as a freshly
built plan would, and the swapped plan passes the same rule checks.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from playlist_builder.config import Settings
from playlist_builder.db import session_edit as store
from playlist_builder.db.library import Library
from playlist_builder.errors import InfeasibleSessionError, InputError, NotFoundError
from playlist_builder.model import Arc, SessionPlan
from playlist_builder.sequence.arcs import load_arc
from playlist_builder.sequence.candidates import Candidate, CandidateTable, Pin
from playlist_builder.sequence.checks import plan_violations
from playlist_builder.sequence.evaluate import PlanCost
from playlist_builder.sequence.rules import SequenceRules, load_sequence_rules
from playlist_builder.sequence.search import Solution
from playlist_builder.sequence.setup import prepare
from playlist_builder.sequence.solver import build_plan, compose
from playlist_builder.sequence.timing import preferred_crossfade
from playlist_builder.services.session import MAX_NAME_LENGTH, session_candidates, whole_tracks

# Alternatives are judged in full (timing fit + every cost term) for the tracks closest in energy to
# the one replaced; this many keeps a swap under a second on a 10,000-track library.
JUDGED_ALTERNATIVES = 300
DEFAULT_ALTERNATIVES = 8


@dataclass(frozen=True)
class Alternative:
    """A track that can take a session position, with the plan's cost and length if it did."""

    track_id: int
    title: str
    artist: str | None
    category: str
    energy: float
    duration_s: float
    total_cost: float
    cost_change: float
    total_s: float


@dataclass
class _Problem:
    plan: SessionPlan
    params: dict[str, Any]
    arc: Arc
    rules: SequenceRules
    table: CandidateTable
    judge: PlanCost
    rows: list[int]
    phase_of: list[int]
    history: frozenset[int]


def _problem(library: Library, settings: Settings, session_id: int) -> _Problem:
    """The saved plan as the sequencer sees it: candidate rows, phases and the judge."""
    plan = library.get_session(session_id)
    params = library.session_params(session_id)
    # Planned like `build_session`: whole tracks back to back, so every exported form keeps the length.
    arc, rules = whole_tracks(
        load_arc(settings.arcs_dir, plan.arc_name), load_sequence_rules(settings.rules_dir)
    )
    candidates = {c.track_id: c for c in session_candidates(library, str(params.get("source", "any")))}
    # Tracks of the plan that are no longer eligible (banned since, say) still need a row to be judged.
    tracks = {t.id: t for t in library.list_tracks(ids=[item.track_id for item in plan.items])}
    for item in plan.items:
        if item.track_id not in candidates:
            track = tracks.get(item.track_id)
            candidates[item.track_id] = Candidate(
                track_id=item.track_id,
                title=track.title if track else f"track {item.track_id}",
                artist=track.artist if track else None,
                duration_s=float(track.duration_s or item.duration_s) if track else item.duration_s,
                category=item.category,
                energy=item.energy,
            )
    table = CandidateTable.from_candidates(sorted(candidates.values(), key=lambda c: c.track_id))
    try:
        prepared = prepare(
            arc,
            plan.target_minutes,
            table,
            seed=plan.seed,
            rules=rules,
            crossfade_s=preferred_crossfade(arc.crossfade_s, rules.limits),
            pinned=(),
            history=(),
            familiarity=False,
        )
    except InfeasibleSessionError as exc:
        raise InfeasibleSessionError(f"this session cannot be edited any more: {exc}") from exc
    phase_index = {phase.name: index for index, phase in enumerate(arc.phases)}
    rows = [table.index_of(item.track_id) for item in plan.items]
    phase_of = [phase_index.get(item.phase, -1) for item in plan.items]
    if any(row is None for row in rows) or min(phase_of, default=0) < 0:
        raise InputError("this session no longer matches its arc; build a new one")
    history = frozenset(_patient_history(library, plan, rules))
    return _Problem(plan, params, arc, rules, table, PlanCost(prepared), rows, phase_of, history)  # type: ignore[arg-type]


def _patient_history(library: Library, plan: SessionPlan, rules: SequenceRules) -> list[int]:
    """Tracks of the patient's other recent sessions (a swap does not bring them back)."""
    if not plan.patient_code:
        return []
    others = [s for s in library.list_sessions(patient_code=plan.patient_code) if s.id != plan.id]
    return [item.track_id for s in others[: rules.limits.history_sessions] for item in s.items]


def _position(plan: SessionPlan, position: int) -> int:
    if not 0 <= position < len(plan.items):
        raise InputError(f"session {plan.id} has positions 0-{len(plan.items) - 1}, not {position}")
    return position


def swap_alternatives(
    library: Library, settings: Settings, session_id: int, position: int, *, limit: int = DEFAULT_ALTERNATIVES
) -> list[Alternative]:
    """Tracks that could replace the one at `position`, cheapest plan first; each keeps arc and length."""
    problem = _problem(library, settings, session_id)
    _position(problem.plan, position)
    judge, table = problem.judge, problem.table
    current_cost, _ = judge.judge(problem.rows, problem.phase_of)
    phase = problem.phase_of[position]
    used = set(problem.rows)
    limits = problem.rules.limits
    every_row = np.arange(len(table))
    usable = judge.fits_phase(every_row, phase) & (table.duration_s >= limits.min_track_s)
    usable &= np.isfinite(table.energy)
    usable[list(used)] = False
    if problem.history:
        usable[table.indexes_of(problem.history)] = False
    rows = np.flatnonzero(usable)
    closeness = np.abs(table.energy[rows] - problem.plan.items[position].energy)
    rows = rows[np.argsort(closeness, kind="stable")][:JUDGED_ALTERNATIVES]
    found: list[Alternative] = []
    for row in rows.tolist():
        trial = list(problem.rows)
        trial[position] = row
        cost, timing = judge.judge(trial, problem.phase_of)
        if timing is None or not np.isfinite(cost):
            continue
        if _violations(problem, trial, timing):
            continue
        candidate = table.rows[row]
        found.append(
            Alternative(
                track_id=candidate.track_id,
                title=candidate.title,
                artist=candidate.artist,
                category=candidate.category.value,
                energy=candidate.energy,
                duration_s=candidate.duration_s,
                total_cost=round(cost, 3),
                cost_change=round(cost - current_cost, 3) if np.isfinite(current_cost) else 0.0,
                total_s=round(timing.total_s, 2),
            )
        )
    found.sort(key=lambda alt: (alt.total_cost, alt.track_id))
    return found[:limit]


def _compose(problem: _Problem, rows: list[int], timing: Any) -> SessionPlan:
    solution = Solution(tuple(rows), tuple(problem.phase_of), timing)
    composed = compose(
        solution,
        problem.judge.prepared,
        problem.arc,
        problem.rules,
        minutes=problem.plan.target_minutes,
        seed=problem.plan.seed,
        familiarity=False,
    )
    return replace(composed, patient_code=problem.plan.patient_code, name=problem.plan.name)


def _violations(problem: _Problem, rows: list[int], timing: Any) -> list[str]:
    plan = _compose(problem, rows, timing)
    chosen = {problem.table.rows[row].track_id: problem.table.rows[row] for row in rows}
    return plan_violations(plan, problem.arc, chosen, problem.rules, forbidden=problem.history)


def swap_track(
    library: Library, settings: Settings, session_id: int, position: int, track_id: int
) -> SessionPlan:
    """Put `track_id` at `position` (it must be one of the alternatives' kind) and save the plan in place."""
    problem = _problem(library, settings, session_id)
    _position(problem.plan, position)
    row = problem.table.index_of(track_id)
    if row is None:
        raise InputError(f"track {track_id} is not eligible for sessions")
    if row in problem.rows:
        raise InputError(f"track {track_id} is already in this session")
    trial = list(problem.rows)
    trial[position] = row
    _cost, timing = problem.judge.judge(trial, problem.phase_of)
    if timing is None:
        raise InfeasibleSessionError(
            f"track {track_id} does not fit: the session would not keep its length; choose an alternative"
        )
    problems = _violations(problem, trial, timing)
    if problems:
        raise InfeasibleSessionError(f"track {track_id} does not fit here: {problems[0]}")
    plan = _compose(problem, trial, timing)
    swaps = [*problem.params.get("swaps", []), {"position": position, "track_id": track_id}]
    store.replace_session_plan(library, session_id, plan, {**problem.params, "swaps": swaps})
    return library.get_session(session_id)


def pin_and_rebuild(
    library: Library, settings: Settings, session_id: int, track_id: int, phase: str | None = None
) -> SessionPlan:
    """Rebuild a session in place (same arc, length, seed, source, patient) with `track_id` pinned.

    The session's own tracks do not count as the patient's history here (it is being replaced);
    the patient's other recent sessions still do. Nothing changes when no plan can keep every rule.
    """
    plan = library.get_session(session_id)
    params = library.session_params(session_id)
    # Planned like `build_session`: whole tracks back to back, so every exported form keeps the length.
    arc, rules = whole_tracks(
        load_arc(settings.arcs_dir, plan.arc_name), load_sequence_rules(settings.rules_dir)
    )
    source = str(params.get("source", "any"))
    pins = [Pin(int(p["track_id"]), p.get("phase")) for p in params.get("pinned", [])]
    pins = [p for p in pins if p.track_id != track_id] + [Pin(track_id, phase or None)]
    candidates = session_candidates(library, source)
    known = {c.track_id for c in candidates}
    for pin in pins:
        if pin.track_id not in known:
            raise InfeasibleSessionError(
                f"cannot pin track {pin.track_id}: it is not eligible for sessions from source {source} "
                "(instrumental or approved, not banned or missing, with a known length)"
            )
    familiarity = bool(params.get("familiarity", False))
    rebuilt = build_plan(
        arc,
        plan.target_minutes,
        candidates,
        seed=plan.seed,
        rules=rules,
        pinned=pins,
        history=_patient_history(library, plan, rules),
        familiarity=familiarity,
        patient_code=plan.patient_code,
        name=plan.name,
    )
    pinned = [{"track_id": pin.track_id, "phase": pin.phase} for pin in pins]
    store.replace_session_plan(library, session_id, rebuilt, {**params, "pinned": pinned, "swaps": []})
    return library.get_session(session_id)


def rename_session(library: Library, session_id: int, name: str) -> None:
    """Rename a saved session."""
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        raise InputError(f"the session name must be 1-{MAX_NAME_LENGTH} characters")
    store.rename_session(library, session_id, name)


def delete_session(library: Library, session_id: int) -> None:
    """Delete a saved session (its exports on disk stay where they are)."""
    library.get_session(session_id)  # NotFoundError when there is none
    library.delete_session(session_id)


__all__ = [
    "Alternative",
    "NotFoundError",
    "delete_session",
    "pin_and_rebuild",
    "rename_session",
    "swap_alternatives",
    "swap_track",
]
