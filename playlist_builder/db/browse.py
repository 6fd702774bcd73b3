"""Light, column-wise reads for browsing a large library quickly (no ORM objects, no reasons JSON)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Text, cast, func, select

from playlist_builder.db.library import Library
from playlist_builder.db.schema import ClassificationRow, OverrideRow, TrackRow

_NO_REASONS = ("[]", "null")


@dataclass(frozen=True)
class BrowseRow:
    """What the library page needs of one track."""

    id: int
    title: str
    artist: str | None
    album: str | None
    source: str
    missing: bool
    duration_s: float | None
    category: str | None
    secondary_category: str | None
    lyrics: str | None
    energy: float | None
    confidence: float | None
    review_reasons: tuple[str, ...]


@dataclass(frozen=True)
class DecisionRow:
    """An active clinician decision, as the library page needs it."""

    id: int
    track_id: int
    action: str
    category: str | None
    note: str | None
    created_at: datetime
    decided_by: str | None


def browse_rows(library: Library) -> Iterator[BrowseRow]:
    """Every track joined with its verdict (None columns when unclassified), in id order."""
    stmt = (
        select(
            TrackRow.id,
            TrackRow.title,
            TrackRow.artist,
            TrackRow.album,
            TrackRow.source,
            TrackRow.missing,
            TrackRow.duration_s,
            ClassificationRow.category,
            ClassificationRow.secondary_category,
            ClassificationRow.lyrics,
            ClassificationRow.energy,
            ClassificationRow.confidence,
            cast(ClassificationRow.review_reasons, Text),
        )
        .outerjoin(ClassificationRow, ClassificationRow.track_id == TrackRow.id)
        .order_by(TrackRow.id)
    )
    with library.transaction() as s:
        # Core rows straight from the connection: no ORM loading, and the reasons JSON is only parsed
        # when there are any (most tracks have none), which keeps 10,000 rows well under 100 ms.
        rows = s.connection().execute(stmt).all()
    for row in rows:
        reasons = row[12]
        parsed = tuple(json.loads(reasons)) if reasons and reasons not in _NO_REASONS else ()
        yield BrowseRow(*row[:12], parsed)


def active_decisions(library: Library) -> list[DecisionRow]:
    """Every active (not undone) clinician decision, oldest first."""
    stmt = (
        select(
            OverrideRow.id,
            OverrideRow.track_id,
            OverrideRow.action,
            OverrideRow.category,
            OverrideRow.note,
            OverrideRow.created_at,
            OverrideRow.decided_by,
        )
        .where(OverrideRow.undone_at.is_(None))
        .order_by(OverrideRow.created_at, OverrideRow.id)
    )
    with library.transaction() as s:
        return [DecisionRow(*row) for row in s.connection().execute(stmt).all()]


def library_version(library: Library) -> tuple[object, ...]:
    """A cheap fingerprint that changes whenever a track, verdict or decision changes (for caches)."""
    stmt = select(
        select(func.count(TrackRow.id)).scalar_subquery(),
        select(func.max(TrackRow.updated_at)).scalar_subquery(),
        select(func.count(ClassificationRow.track_id)).scalar_subquery(),
        select(func.max(ClassificationRow.classified_at)).scalar_subquery(),
        select(func.max(OverrideRow.id)).scalar_subquery(),
        select(func.count(OverrideRow.undone_at)).scalar_subquery(),
    )
    with library.transaction() as s:
        return tuple(s.connection().execute(stmt).one())
