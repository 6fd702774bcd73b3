"""Session arcs (rules/arcs/*.toml), the cost model and the solver; pure apart from reading rule files.

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
