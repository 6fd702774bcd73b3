"""apply_overrides over plain objects: decisions win, the newest active one per kind counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from playlist_builder.classify.overrides import apply_overrides
from playlist_builder.model import Category, Classification, LyricsStatus, Override, OverrideAction

T0 = datetime(2025, 11, 1, 9, 0, tzinfo=UTC)
UNKNOWN = Classification(
    category=Category.AMBIENT,
    secondary_category=Category.NATURE,
    lyrics=LyricsStatus.UNKNOWN,
    energy=0.3,
    confidence=0.5,
    rules_version="t",
    review_reasons=("lyrics unknown: no evidence either way",),
)


def decision(
    n: int, action: OverrideAction, *, minutes: int = 0, undone: bool = False, **kw: object
) -> Override:
    when = T0 + timedelta(minutes=minutes)
    return Override(
        track_id=1, action=action, created_at=when, id=n, undone_at=when if undone else None, **kw
    )


def test_no_decisions_keeps_the_engine_verdict() -> None:
    verdict = apply_overrides(UNKNOWN, [])
    assert (verdict.lyrics, verdict.category, verdict.banned, verdict.eligible) == (
        LyricsStatus.UNKNOWN,
        Category.AMBIENT,
        False,
        False,
    )


def test_approval_makes_it_instrumental_and_eligible() -> None:
    verdict = apply_overrides(UNKNOWN, [decision(1, OverrideAction.APPROVE, note="gehört: ohne Worte")])
    assert verdict.lyrics is LyricsStatus.INSTRUMENTAL and verdict.approved and verdict.eligible
    assert verdict.note == "gehört: ohne Worte"


def test_ban_excludes_even_an_approved_track() -> None:
    verdict = apply_overrides(
        UNKNOWN, [decision(1, OverrideAction.APPROVE), decision(2, OverrideAction.BAN, minutes=1)]
    )
    assert verdict.banned and not verdict.eligible


def test_undone_decisions_are_ignored() -> None:
    verdict = apply_overrides(UNKNOWN, [decision(1, OverrideAction.APPROVE, undone=True)])
    assert verdict.lyrics is LyricsStatus.UNKNOWN and not verdict.approved


def test_newest_active_category_wins_and_secondary_is_not_repeated() -> None:
    decisions = [
        decision(2, OverrideAction.SET_CATEGORY, minutes=5, category=Category.NATURE),
        decision(1, OverrideAction.SET_CATEGORY, minutes=1, category=Category.MINIMAL),
        decision(3, OverrideAction.SET_CATEGORY, minutes=9, category=Category.BINAURAL, undone=True),
    ]
    verdict = apply_overrides(UNKNOWN, decisions)
    assert verdict.category is Category.NATURE and verdict.category_overridden
    assert verdict.secondary_category is None
    assert [d.id for d in verdict.decisions] == [2]


def test_vocal_verdict_can_be_approved_by_a_clinician() -> None:
    vocal = Classification(Category.UNCLASSIFIED, LyricsStatus.VOCAL, 0.5, 0.9, "t")
    assert apply_overrides(vocal, [decision(1, OverrideAction.APPROVE)]).lyrics is LyricsStatus.INSTRUMENTAL
