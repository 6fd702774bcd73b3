"""Which tracks may enter a session, as one SQL clause over `tracks` joined with `classifications`.

MERGE NOTE: the `safety` branch makes eligibility ONE filter object (a SQL clause in db/ plus an
in-memory predicate). When it lands, `session_eligibility_clause` below is replaced by that filter's
clause: `Library.candidate_columns` takes the clause as its one parameter and needs nothing else.
Until then this clause mirrors `services.classify.eligible_tracks` row for row (a test checks it):
present, classified, a known length, not undecodable, `instrumental` after decisions, not banned.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, not_, or_, select
from sqlalchemy.orm import aliased

from playlist_builder.db.schema import ClassificationRow, FeaturesRow, OverrideRow, TrackRow
from playlist_builder.model import LyricsStatus, OverrideAction


def _active_decision(action: OverrideAction) -> ColumnElement[bool]:
    """An active (not undone) clinician decision of this kind exists for the track."""
    return exists(
        select(OverrideRow.id).where(
            OverrideRow.track_id == TrackRow.id,
            OverrideRow.action == action.value,
            OverrideRow.undone_at.is_(None),
        )
    )


def session_eligibility_clause() -> ColumnElement[bool]:
    """Eligible for a session (see the module note: to be replaced by the one eligibility filter)."""
    failed = aliased(FeaturesRow)  # its own alias: the caller may join `features` too
    undecodable = exists(
        select(failed.track_id).where(failed.track_id == TrackRow.id, failed.error.is_not(None))
    )
    return and_(
        TrackRow.missing.is_(False),
        TrackRow.duration_s > 0,
        not_(undecodable),
        or_(
            ClassificationRow.lyrics == LyricsStatus.INSTRUMENTAL.value,
            _active_decision(OverrideAction.APPROVE),
        ),
        not_(_active_decision(OverrideAction.BAN)),
    )
