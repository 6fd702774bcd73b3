"""The sequencer: eligible tracks + an arc + a length + a seed -> an explained session plan.

Pure: no I/O, no database, no clock, apart from reading the rules files (rules.py, arcs.py).

The solver's stages, in the order a plan goes through them (`solver.build_plan` runs them):
1. `candidates.CandidateTable` — the eligible tracks as numpy columns, one row per track.
2. `setup.prepare` — the phase clock, the track-level filters (length, tempo, patient history), a
   pool of the best-fitting tracks per phase, the pins placed, and an early refusal saying what is
   short when the material cannot fill the arc.
3. `reserve.outlook` — a minimum-cost assignment of tracks to the arc's time slots: reservation
   prices for material a later phase needs more, and the best cost of the time still to come.
4. `beam.BeamSearch` (its step vectorised in frontier.py) — many partial plans walk the session
   clock together; run with phase ends aimed tightly, then loosely.
5. `search.Search` — a depth-first walk: one more first plan, and the explanation of what is short
   when no plan is found.
6. `improve.Improver` — replaces, swaps and re-phases tracks while the exact plan cost
   (`evaluate.PlanCost`) falls.
7. `timing.fit_timing` — crossfade lengths and an early fade of the last track so every phase and
   the total land on time (called by every stage that completes a plan).
8. `solver.compose` — the plan with each track's cost terms and reason (reasons.py), then
   `checks.plan_violations` as the last guard.

Every stage costs and limits transitions through one cost model (`cost.CostModel`, with the one
tolerance `tolerance.EPSILON`); its weights and limits come from rules/sequence.toml and the arc file.

Plan conventions every consumer relies on (the export helpers read them this way):
- `PlanItem.start_s` is where a track starts on the session clock; the next track starts at
  `start_s + duration_s - crossfade_out_s`, and its `crossfade_in_s` equals that overlap.
- `PlanItem.duration_s` is how long the track plays in this session: its full length, except that the
  last track may be cut short (faded out early) so the session ends on time.
- The first item's `crossfade_in_s` and the last item's `crossfade_out_s` are fades from and to
  silence (rules/sequence.toml `fade_in_s`, `fade_out_s`), not overlaps.
- `SessionPlan.total_s` is the last track's end: the session length counting crossfade overlaps.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playlist_builder.sequence.candidates import Candidate, CandidateTable, Pin
    from playlist_builder.sequence.rules import SequenceRules, load_sequence_rules
    from playlist_builder.sequence.solver import build_plan

__all__ = ["Candidate", "CandidateTable", "Pin", "SequenceRules", "build_plan", "load_sequence_rules"]
# Exported names -> their module, imported on first use: reading an arc file must not load the solver
# (numpy, scipy), or `session list` and `session show` would start as slowly as `session build`.
_EXPORTS = {
    "Candidate": "candidates",
    "CandidateTable": "candidates",
    "Pin": "candidates",
    "SequenceRules": "rules",
    "load_sequence_rules": "rules",
    "build_plan": "solver",
}


def __getattr__(name: str) -> Any:
    """The exported names, imported lazily."""
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
