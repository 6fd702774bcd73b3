"""Clinician decisions applied on top of the engine's verdict (pure: no I/O, no clock)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from playlist_builder.model import Category, Classification, LyricsStatus, Override, OverrideAction


@dataclass(frozen=True)
class EffectiveVerdict:
    """What a track counts as once clinician decisions are applied; decisions always win."""

    lyrics: LyricsStatus
    category: Category
    secondary_category: Category | None
    banned: bool
    note: str | None = None
    approved: bool = False
    category_overridden: bool = False
    decisions: tuple[Override, ...] = ()  # the active decisions that shaped this verdict, oldest first

    @property
    def eligible(self) -> bool:
        """True when the track may enter a session: instrumental and not banned."""
        return self.lyrics is LyricsStatus.INSTRUMENTAL and not self.banned


def active_decisions(overrides: Sequence[Override]) -> list[Override]:
    """The decisions not undone, oldest first (ties broken by id, which grows with time)."""
    active = [o for o in overrides if o.undone_at is None]
    return sorted(active, key=lambda o: (o.created_at, o.id if o.id is not None else 0))


def newest_per_action(overrides: Sequence[Override]) -> dict[OverrideAction, Override]:
    """The newest active decision of each kind."""
    newest: dict[OverrideAction, Override] = {}
    for decision in active_decisions(overrides):
        newest[decision.action] = decision  # later ones replace earlier ones
    return newest


def apply_overrides(classification: Classification, overrides: Sequence[Override]) -> EffectiveVerdict:
    """Apply a track's decisions: approve -> instrumental, ban -> excluded, set-category -> category.

    `overrides` are the decisions about this one track; undone ones are ignored and the newest active
    decision of each kind wins. Approval is the only way `unknown` or `vocal` becomes `instrumental`
    without new evidence, and it is the clinician's call, recorded with a time and note.
    """
    newest = newest_per_action(overrides)
    approve = newest.get(OverrideAction.APPROVE)
    ban = newest.get(OverrideAction.BAN)
    set_category = newest.get(OverrideAction.SET_CATEGORY)
    lyrics = LyricsStatus.INSTRUMENTAL if approve is not None else classification.lyrics
    category = classification.category
    secondary = classification.secondary_category
    if set_category is not None and set_category.category is not None:
        category = set_category.category
        if secondary is category:
            secondary = None
    shaping = tuple(d for d in active_decisions(overrides) if newest.get(d.action) is d)
    notes = [d.note for d in shaping if d.note]
    return EffectiveVerdict(
        lyrics=lyrics,
        category=category,
        secondary_category=secondary,
        banned=ban is not None,
        note=notes[-1] if notes else None,
        approved=approve is not None,
        category_overridden=set_category is not None and set_category.category is not None,
        decisions=shaping,
    )
