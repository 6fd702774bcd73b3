"""Queries for curated rows that the `Library` facade lacks: list them and group them by linked file.

Links are set and cleared with `Library.set_link`, the one function that writes them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import select

from playlist_builder.db import convert
from playlist_builder.db.library import Library
from playlist_builder.db.schema import TrackRow
from playlist_builder.model import Source, Track


def curated_tracks(library: Library, library_names: Iterable[str] | None = None) -> list[Track]:
    """Curated rows (present or retired), optionally only those of some curated libraries, in id order."""
    stmt = select(TrackRow).where(TrackRow.source == Source.CURATED.value).order_by(TrackRow.id)
    if library_names is not None:
        stmt = stmt.where(TrackRow.curated_library.in_(list(library_names)))
    with library.transaction() as s:
        return [convert.track_from_row(row) for row in s.scalars(stmt)]


def curated_rows_by_linked_track(library: Library) -> dict[int, list[Track]]:
    """Present curated rows grouped by the local track they are linked to (curated evidence for it)."""
    stmt = (
        select(TrackRow)
        .where(TrackRow.source == Source.CURATED.value)
        .where(TrackRow.linked_track_id.is_not(None))
        .where(TrackRow.missing.is_(False))
        .order_by(TrackRow.id)
    )
    grouped: dict[int, list[Track]] = defaultdict(list)
    with library.transaction() as s:
        for row in s.scalars(stmt):
            grouped[row.linked_track_id].append(convert.track_from_row(row))  # type: ignore[index]
    return dict(grouped)
