"""Review use-cases: what waits for a clinician, and recording their decisions (approve, ban, set
category, undo). Decisions always win over the classifier and are never overwritten by it.
"""

from __future__ import annotations

import getpass
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from playlist_builder.classify.overrides import EffectiveVerdict, apply_overrides
from playlist_builder.db.query import ineligible_reasons
from playlist_builder.model import Category, Classification, Override, OverrideAction, Track

if TYPE_CHECKING:
    from playlist_builder.db.library import Library


def overrides_by_track(overrides: Sequence[Override]) -> dict[int, list[Override]]:
    """Decisions grouped by the track they are about (order kept)."""
    grouped: dict[int, list[Override]] = defaultdict(list)
    for decision in overrides:
        grouped[decision.track_id].append(decision)
    return grouped


def open_review_reasons(classification: Classification, verdict: EffectiveVerdict) -> list[str]:
    """The review reasons a clinician has not yet settled: approve or ban settles all of them; setting
    a category settles the low-confidence ones."""
    if verdict.approved or verdict.banned:
        return []
    reasons = list(classification.review_reasons)
    if verdict.category_overridden:
        reasons = [r for r in reasons if not r.startswith("low confidence")]
    return reasons


def needs_review(classification: Classification, verdict: EffectiveVerdict) -> bool:
    """True when a clinician decision is still wanted (see `open_review_reasons`)."""
    return bool(open_review_reasons(classification, verdict))


@dataclass(frozen=True)
class ReviewItem:
    """A track waiting for a clinician's decision, with the reasons; `ineligible_reasons` says what,
    by the one eligibility rule, keeps it out of sessions today (damage cannot be approved away)."""

    track: Track
    classification: Classification
    verdict: EffectiveVerdict
    reasons: tuple[str, ...]
    ineligible_reasons: tuple[str, ...] = ()

    @property
    def eligible(self) -> bool:
        """Whether the track may enter a session as things stand."""
        return not self.ineligible_reasons


def review_queue(library: Library) -> list[ReviewItem]:
    """Present, classified tracks that need a decision (unknown lyrics, choirs, possible birdsong, low
    confidence), and damaged files a clinician has not banned: they are listed with the damage."""
    tracks = library.list_tracks(missing=False)
    classifications = library.classifications()
    decisions = overrides_by_track(library.overrides())
    states = library.track_states([t.id for t in tracks if t.id is not None])
    queue: list[ReviewItem] = []
    for track in tracks:
        classification = classifications.get(track.id) if track.id is not None else None
        state = states.get(track.id) if track.id is not None else None
        if classification is None or state is None:
            continue
        verdict = apply_overrides(classification, decisions.get(track.id, []))  # type: ignore[arg-type]
        reasons = open_review_reasons(classification, verdict)
        damage = state.scan_error or state.damage
        if damage and not verdict.banned:
            reasons.append(f"damaged: {damage} (never used in a session; replace the file)")
        if reasons:
            out = tuple(ineligible_reasons(state))
            queue.append(ReviewItem(track, classification, verdict, tuple(reasons), out))
    return queue


def local_author() -> str:
    """Who decides at this machine without an app account (the command line, or the loopback app with
    no accounts): `local:<OS user>`, so every decision still names a person."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = "user"
    return f"local:{name}"[:64]


def _decide(
    library: Library,
    track_id: int,
    action: OverrideAction,
    *,
    category: Category | None = None,
    note: str | None = None,
    decided_by: str | None = None,
) -> Override:
    library.require_track(track_id)
    decision = Override(
        track_id=track_id,
        action=action,
        created_at=datetime.now(UTC),
        category=category,
        note=note.strip() if note and note.strip() else None,
        decided_by=decided_by,
    )
    new_id = library.add_override(decision)
    return replace(decision, id=new_id)


def approve(
    library: Library, track_id: int, *, note: str | None = None, decided_by: str | None = None
) -> Override:
    """Record a clinician's approval: the track counts as instrumental from now on."""
    return _decide(library, track_id, OverrideAction.APPROVE, note=note, decided_by=decided_by)


def ban(
    library: Library, track_id: int, *, note: str | None = None, decided_by: str | None = None
) -> Override:
    """Record a clinician's ban: the track never enters a session, and neither does any other copy of
    its audio in the library (same content fingerprint): the same recording must not play under
    another name. Each copy gets its own ban, which says where it came from."""
    decision = _decide(library, track_id, OverrideAction.BAN, note=note, decided_by=decided_by)
    for copy_id in library.same_audio_track_ids(track_id):
        if not library.track_states([copy_id])[copy_id].banned:
            _decide(
                library,
                copy_id,
                OverrideAction.BAN,
                note=f"same audio as track {track_id}, which a clinician banned",
                decided_by=decided_by,
            )
    return decision


def copies_of(library: Library, track_id: int) -> list[int]:
    """Other tracks holding the same audio as this one (a ban on it bans them too)."""
    return library.same_audio_track_ids(track_id)


def set_category(
    library: Library,
    track_id: int,
    category: Category,
    *,
    note: str | None = None,
    decided_by: str | None = None,
) -> Override:
    """Record a clinician's choice of category for a track."""
    return _decide(
        library, track_id, OverrideAction.SET_CATEGORY, category=category, note=note, decided_by=decided_by
    )


def record(
    library: Library,
    track_id: int,
    action: OverrideAction,
    *,
    category: Category | None = None,
    note: str | None = None,
    decided_by: str | None = None,
) -> Override:
    """Record one decision of any kind through the road its kind takes (a ban also bans copies)."""
    if action is OverrideAction.APPROVE:
        return approve(library, track_id, note=note, decided_by=decided_by)
    if action is OverrideAction.BAN:
        return ban(library, track_id, note=note, decided_by=decided_by)
    if action is OverrideAction.SET_CATEGORY and category is not None:
        return set_category(library, track_id, category, note=note, decided_by=decided_by)
    return _decide(library, track_id, action, category=category, note=note, decided_by=decided_by)


def undo(library: Library, decision_id: int) -> Override:
    """Revert one clinician decision (it is kept, marked undone)."""
    return library.undo_override(decision_id, datetime.now(UTC))


def decisions(
    library: Library, track_id: int | None = None, *, include_undone: bool = False
) -> list[Override]:
    """Clinician decisions, oldest first (all tracks, or one)."""
    ids = [track_id] if track_id is not None else None
    return library.overrides(ids, active_only=not include_undone)
