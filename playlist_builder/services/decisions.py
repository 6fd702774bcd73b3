"""Clinician decisions made in the clinic app: who decided, and no decision silently lost to another.

Two clinicians may open the same held track at once. Each decision form carries the track's decision
version as it was when the form was shown; a decision whose version is stale is refused with the
decisions made since, and goes through only when the clinician confirms it having seen them.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from playlist_builder.classify.evidence import REVIEW
from playlist_builder.db.library import Library
from playlist_builder.errors import InputError, NotFoundError
from playlist_builder.model import Category, Classification, Evidence, Override, OverrideAction
from playlist_builder.services import review

# The app is one process: this lock makes "check the version, then record" one step for it.
_DECIDE_LOCK = threading.Lock()
MAX_NOTE_LENGTH = 2000
DOUBT_CLAIMS = ("vocal", "unknown")  # lyrics evidence worth listening to


class StaleDecisionError(InputError):
    """Someone decided about the track after this form was shown; `since` lists what they decided."""

    def __init__(self, track_id: int, since: Sequence[Override], version: str) -> None:
        who = ", ".join(f"{d.action.value} by {d.decided_by or 'someone'}" for d in since) or "a change"
        super().__init__(f"track {track_id} was decided meanwhile ({who}); look, then confirm or cancel")
        self.track_id = track_id
        self.since = tuple(since)
        self.version = version


@dataclass(frozen=True)
class DecisionState:
    """Every decision about one track (undone ones too) and the version a form must carry."""

    decisions: tuple[Override, ...]
    version: str


def decision_state(library: Library, track_id: int) -> DecisionState:
    """A track's decisions, oldest first, and its version (changes with every decision or undo)."""
    decisions = tuple(library.overrides([track_id], active_only=False))
    return DecisionState(decisions, version_of(decisions))


def version_of(decisions: Sequence[Override]) -> str:
    """The version string of a set of decisions: newest id and how many were undone."""
    newest = max((d.id or 0 for d in decisions), default=0)
    undone = sum(1 for d in decisions if d.undone_at is not None)
    return f"{newest}.{undone}"


def decide(
    library: Library,
    track_id: int,
    action: OverrideAction,
    *,
    decided_by: str,
    expected_version: str | None,
    category: Category | None = None,
    note: str | None = None,
    confirmed: bool = False,
) -> Override:
    """Record a decision by `decided_by`; StaleDecisionError when the track changed since the form was shown.

    `confirmed` lets a clinician who has seen the newer decisions (the version they saw is then the
    one in `expected_version`) record theirs anyway.
    """
    if action is OverrideAction.SET_CATEGORY and category is None:
        raise InputError("choose a category")
    if note is not None and len(note) > MAX_NOTE_LENGTH:
        raise InputError(f"a note is at most {MAX_NOTE_LENGTH} characters")
    if library.get_track(track_id) is None:
        raise NotFoundError(f"no track with id {track_id}")
    with _DECIDE_LOCK:
        state = decision_state(library, track_id)
        if expected_version is not None and expected_version != state.version and not confirmed:
            seen = _newest_id(expected_version)
            since = [d for d in state.decisions if (d.id or 0) > seen or d.undone_at is not None]
            raise StaleDecisionError(track_id, since, state.version)
        # The same road as the command line: a ban here also bans every copy of the same audio.
        return review.record(library, track_id, action, category=category, note=note, decided_by=decided_by)


def undo_decision(library: Library, decision_id: int) -> Override:
    """Revert one decision (it is kept, marked undone)."""
    with _DECIDE_LOCK:
        return library.undo_override(decision_id, datetime.now(UTC))


def recent_decisions(library: Library, limit: int) -> list[Override]:
    """The newest decisions (undone ones too), newest first."""
    return sorted(library.overrides(active_only=False), key=lambda d: d.id or 0, reverse=True)[:limit]


def _newest_id(version: str) -> int:
    head = version.split(".", 1)[0]
    return int(head) if head.isdigit() else 0


def doubtful_windows(classification: Classification | None) -> list[tuple[float, float, Evidence]]:
    """The audio windows the evidence is doubtful about (a voice heard, or a review note), by start."""
    if classification is None:
        return []
    found = []
    for evidence in classification.reasons:
        doubtful = evidence.aspect == REVIEW or (
            evidence.aspect == "lyrics" and evidence.claim in DOUBT_CLAIMS
        )
        if doubtful:
            found.extend((start, end, evidence) for start, end in evidence.windows)
    return sorted(found, key=lambda entry: (entry[0], entry[1]))


def first_doubtful_second(classification: Classification | None) -> float:
    """Where a clinician should start listening: the first doubtful window, else the start."""
    windows = doubtful_windows(classification)
    return windows[0][0] if windows else 0.0
