"""The track filter, in the manner of beets' queries: each condition is one SQL clause and one
in-memory predicate, written side by side so the two cannot drift apart.

`ELIGIBLE` is the safety rule: which tracks may enter a session. It exists only here. The database
side (`eligibility_clause`) selects eligible rows in SQL; the in-memory side (`TrackQuery.match`, and
`ELIGIBLE.failures` for the reasons) judges a plain `TrackState`. Both are built from the same list
of conditions, and a test checks that they agree on a varied library.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from playlist_builder.model import LyricsStatus, OverrideAction, Source

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement

    from playlist_builder.db.schema import TrackRow

# The SQL side imports SQLAlchemy and the tables when a clause is first built, so that the in-memory
# side (`TrackState`, `ineligible_reasons`) loads without them: a quick listing never imports SQLAlchemy.


@dataclass(frozen=True)
class TrackState:
    """What the eligibility rule looks at for one track: a plain value (the `match()` side).

    `lyrics` is the engine's verdict (None when not classified); `approved` and `banned` say whether
    an active clinician decision of that kind exists; `analysed` is True when a local file has stored
    features without an error; `damage` says why its audio is damaged (None when intact).
    """

    track_id: int
    source: Source
    missing: bool = False
    scan_error: str | None = None
    duration_s: float | None = None
    linked_track_id: int | None = None
    lyrics: LyricsStatus | None = None
    approved: bool = False
    banned: bool = False
    analysed: bool = False
    analysis_error: str | None = None
    damage: str | None = None


# Every subquery below reads its table through its own alias: a caller may join `classifications` or
# `features` in the enclosing query (the candidate loader does), and the clause must not correlate
# with those joins.


def active_decision_exists(action: OverrideAction) -> ColumnElement[bool]:
    """SQL: the track has an active (not undone) clinician decision of this kind."""
    from sqlalchemy import exists, select
    from sqlalchemy.orm import aliased

    from playlist_builder.db.schema import OverrideRow, TrackRow

    decision = aliased(OverrideRow)
    return exists(
        select(decision.id).where(
            decision.track_id == TrackRow.id,
            decision.action == action.value,
            decision.undone_at.is_(None),
        )
    )


def _classified_as(lyrics: LyricsStatus | None = None) -> ColumnElement[bool]:
    from sqlalchemy import and_, exists, select
    from sqlalchemy.orm import aliased

    from playlist_builder.db.schema import ClassificationRow, TrackRow

    verdict = aliased(ClassificationRow)
    condition = verdict.track_id == TrackRow.id
    if lyrics is not None:
        condition = and_(condition, verdict.lyrics == lyrics.value)
    return exists(select(verdict.track_id).where(condition))


def _intact_analysis() -> ColumnElement[bool]:
    from sqlalchemy import exists, select
    from sqlalchemy.orm import aliased

    from playlist_builder.db.schema import FeaturesRow, TrackRow

    analysis = aliased(FeaturesRow)
    return exists(
        select(analysis.track_id).where(
            analysis.track_id == TrackRow.id, analysis.error.is_(None), analysis.damage.is_(None)
        )
    )


class TrackQuery:
    """A filter over tracks: `clause()` for SQL over the tracks table, `match()` for a TrackState."""

    def clause(self) -> ColumnElement[bool]:
        """The filter as an SQL condition on `tracks` (correlated with the other tables)."""
        raise NotImplementedError

    def match(self, state: TrackState) -> bool:
        """Whether one track (as a plain value) passes the filter."""
        raise NotImplementedError


@dataclass(frozen=True)
class Condition(TrackQuery):
    """One condition: its SQL clause, its predicate, and what to tell a person when it fails."""

    name: str
    sql: Callable[[], ColumnElement[bool]]
    test: Callable[[TrackState], bool]
    explain: Callable[[TrackState], str]

    def clause(self) -> ColumnElement[bool]:
        """The condition in SQL."""
        return self.sql()

    def match(self, state: TrackState) -> bool:
        """The condition in memory."""
        return self.test(state)


@dataclass(frozen=True)
class AllOf(TrackQuery):
    """Every condition holds (beets' AndQuery); `failures` says which do not, and why."""

    conditions: tuple[Condition, ...]

    def clause(self) -> ColumnElement[bool]:
        """All conditions in SQL."""
        from sqlalchemy import and_, true

        return and_(true(), *(c.clause() for c in self.conditions))

    def match(self, state: TrackState) -> bool:
        """All conditions in memory."""
        return all(c.match(state) for c in self.conditions)

    def failures(self, state: TrackState) -> list[str]:
        """Why a track fails the filter, one line per failed condition (empty when it passes)."""
        return [c.explain(state) for c in self.conditions if not c.match(state)]


def _tracks() -> type[TrackRow]:
    """The tracks table's ORM class (imported on first use of the SQL side)."""
    from playlist_builder.db.schema import TrackRow

    return TrackRow


def _any_of(*clauses: ColumnElement[bool]) -> ColumnElement[bool]:
    from sqlalchemy import or_

    return or_(*clauses)


def _none_of(clause: ColumnElement[bool]) -> ColumnElement[bool]:
    from sqlalchemy import not_

    return not_(clause)


def _analysis_reason(state: TrackState) -> str:
    if state.damage:
        return f"damaged: {state.damage}"
    if state.analysis_error:
        return f"the audio could not be decoded: {state.analysis_error}"
    return "not analysed yet (run `playlist-builder analyze`)"


# The safety rule: which tracks may enter a session. Order matters only for how reasons are listed.
ELIGIBLE = AllOf(
    (
        Condition(
            "present",
            lambda: _tracks().missing.is_(False),
            lambda t: not t.missing,
            lambda t: "the file is missing",
        ),
        Condition(
            "readable",
            lambda: _tracks().scan_error.is_(None),
            lambda t: t.scan_error is None,
            lambda t: f"damaged: {t.scan_error}",
        ),
        Condition(
            "has-length",
            lambda: _tracks().duration_s > 0,
            lambda t: t.duration_s is not None and t.duration_s > 0,
            lambda t: "no known length",
        ),
        Condition(
            "audio-intact",  # a local file plays only when its whole stated length decodes
            lambda: _any_of(_tracks().source != Source.LOCAL.value, _intact_analysis()),
            lambda t: t.source is not Source.LOCAL or (t.analysed and t.damage is None),
            _analysis_reason,
        ),
        Condition(
            "classified",
            _classified_as,
            lambda t: t.lyrics is not None,
            lambda t: "not classified yet (run `playlist-builder classify`)",
        ),
        Condition(
            "instrumental",  # by the engine's verdict, or a clinician's approval
            lambda: _any_of(
                _classified_as(LyricsStatus.INSTRUMENTAL), active_decision_exists(OverrideAction.APPROVE)
            ),
            lambda t: t.lyrics is LyricsStatus.INSTRUMENTAL or t.approved,
            lambda t: (
                f"lyrics status {t.lyrics.value if t.lyrics else 'unknown'}, not approved by a clinician"
            ),
        ),
        Condition(
            "not-banned",
            lambda: _none_of(active_decision_exists(OverrideAction.BAN)),
            lambda t: not t.banned,
            lambda t: "banned by a clinician",
        ),
        Condition(
            # A row linked to a local file (a curated entry matched to it) plays through that file:
            # the file's own row is the candidate, so a ban or damage on the file cannot be escaped.
            "plays-itself",
            lambda: _tracks().linked_track_id.is_(None),
            lambda t: t.linked_track_id is None,
            lambda t: f"plays through track {t.linked_track_id}, which is the one sessions use",
        ),
    )
)


def eligibility_clause() -> ColumnElement[bool]:
    """SQL condition on `tracks` that is true exactly for the tracks that may enter a session.

    Use it in any query over `TrackRow` (e.g. `select(TrackRow.id).where(eligibility_clause())`): it is
    the same rule `is_eligible` applies to a `TrackState` in memory, the one safety rule of the product.
    """
    return ELIGIBLE.clause()


def is_eligible(state: TrackState) -> bool:
    """Whether a track (as a plain TrackState) may enter a session (the same rule as the SQL clause)."""
    return ELIGIBLE.match(state)


def ineligible_reasons(state: TrackState) -> list[str]:
    """Why a track may not enter a session, one line per failed condition (empty when eligible)."""
    return ELIGIBLE.failures(state)


def track_state_columns() -> Sequence[ColumnElement[object]]:
    """The columns `track_state_from_row` reads, for one select over `tracks` (no N+1 queries)."""
    from sqlalchemy import exists, select

    from playlist_builder.db.schema import ClassificationRow, FeaturesRow, TrackRow

    lyrics = (
        select(ClassificationRow.lyrics).where(ClassificationRow.track_id == TrackRow.id).scalar_subquery()
    )
    features = select(FeaturesRow.track_id).where(FeaturesRow.track_id == TrackRow.id)
    error = select(FeaturesRow.error).where(FeaturesRow.track_id == TrackRow.id).scalar_subquery()
    damage = select(FeaturesRow.damage).where(FeaturesRow.track_id == TrackRow.id).scalar_subquery()
    return (
        TrackRow.id,
        TrackRow.source,
        TrackRow.missing,
        TrackRow.scan_error,
        TrackRow.duration_s,
        TrackRow.linked_track_id,
        lyrics.label("lyrics"),
        active_decision_exists(OverrideAction.APPROVE).label("approved"),
        active_decision_exists(OverrideAction.BAN).label("banned"),
        exists(features).label("has_features"),
        error.label("analysis_error"),
        damage.label("damage"),
    )


def track_state_from_row(row: Sequence[object]) -> TrackState:
    """A TrackState from one row of `track_state_columns()`."""
    tid, source, missing, scan_error, duration, linked, lyrics, approved, banned, has, error, damage = row
    return TrackState(
        track_id=int(tid),  # type: ignore[call-overload]
        source=Source(str(source)),
        missing=bool(missing),
        scan_error=scan_error,  # type: ignore[arg-type]
        duration_s=duration,  # type: ignore[arg-type]
        linked_track_id=linked,  # type: ignore[arg-type]
        lyrics=LyricsStatus(str(lyrics)) if lyrics is not None else None,
        approved=bool(approved),
        banned=bool(banned),
        analysed=bool(has) and error is None,
        analysis_error=error,  # type: ignore[arg-type]
        damage=damage,  # type: ignore[arg-type]
    )
