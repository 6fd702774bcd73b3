"""The library page's use-case: every track with its effective state, filtered and paged on the server."""

from __future__ import annotations

import functools
import threading
from collections import defaultdict
from dataclasses import dataclass

from playlist_builder.classify.overrides import apply_overrides
from playlist_builder.db.browse import BrowseRow, active_decisions, browse_rows, library_version
from playlist_builder.db.library import Library
from playlist_builder.errors import InputError
from playlist_builder.model import (
    Category,
    Classification,
    LyricsStatus,
    Override,
    OverrideAction,
)
from playlist_builder.services.review import ReviewItem, open_review_reasons
from playlist_builder.text import normalise_text

# "ready": may enter sessions (the one eligibility rule); "kept-out": instrumental but not eligible
# (not analysed yet, damaged, or no known length: the track page says which).
STATES = ("approved", "banned", "held", "missing", "ready", "kept-out", "vocal", "unclassified")
MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 50
MAX_QUERY_LENGTH = 200


@dataclass(frozen=True)
class LibraryFilter:
    """What the clinician asked to see; None means "any"."""

    category: str | None = None
    lyrics: str | None = None
    state: str | None = None
    source: str | None = None
    text: str = ""

    def checked(self) -> LibraryFilter:
        """The same filter, or InputError naming the bad value."""
        if self.category and self.category not in {c.value for c in Category}:
            raise InputError(f"unknown category {self.category!r}")
        if self.lyrics and self.lyrics not in {s.value for s in LyricsStatus}:
            raise InputError(f"unknown lyrics status {self.lyrics!r}")
        if self.state and self.state not in STATES:
            raise InputError(f"unknown state {self.state!r}; choose one of {', '.join(STATES)}")
        if self.source and self.source not in ("local", "spotify", "curated"):
            raise InputError(f"unknown source {self.source!r}")
        if len(self.text) > MAX_QUERY_LENGTH:
            raise InputError(f"the search text is at most {MAX_QUERY_LENGTH} characters")
        return self


@dataclass(frozen=True)
class LibraryEntry:
    """One line of the library page: the track and what it counts as after clinician decisions."""

    row: BrowseRow
    category: str | None
    lyrics: str | None
    state: str

    @functools.cached_property
    def search_text(self) -> str:
        """Title, artist and album as the search compares them (`normalise_text`: "arvo part" finds
        "Arvo Pärt"), one per line so that a search never matches across two of them. Worked out at
        the first search and kept with the cached entry."""
        row = self.row
        return "\n".join(normalise_text(value or "") for value in (row.title, row.artist, row.album))


@dataclass(frozen=True)
class LibraryPage:
    """One page of matching tracks and how many matched in all."""

    entries: tuple[LibraryEntry, ...]
    total: int
    page: int
    pages: int
    page_size: int


def _verdict_entry(row: BrowseRow, decisions: list[Override]) -> LibraryEntry:
    if row.category is None or row.lyrics is None:
        return LibraryEntry(row, None, None, "missing" if row.missing else "unclassified")
    if not decisions:  # no clinician decision: the verdict is the engine's (what apply_overrides gives)
        if row.missing:
            state = "missing"
        elif row.review_reasons:
            state = "held"
        elif row.lyrics == LyricsStatus.INSTRUMENTAL.value:
            state = "ready" if row.eligible else "kept-out"
        else:
            state = "vocal"
        return LibraryEntry(row, row.category, row.lyrics, state)
    classification = Classification(
        category=Category(row.category),
        lyrics=LyricsStatus(row.lyrics),
        energy=row.energy or 0.0,
        confidence=row.confidence or 0.0,
        rules_version="",
        secondary_category=Category(row.secondary_category) if row.secondary_category else None,
        review_reasons=row.review_reasons,
    )
    verdict = apply_overrides(classification, decisions)
    if row.missing:
        state = "missing"
    elif verdict.banned:
        state = "banned"
    elif verdict.approved:
        state = "approved"
    elif open_review_reasons(classification, verdict):
        state = "held"
    elif verdict.lyrics is LyricsStatus.INSTRUMENTAL:
        state = "ready" if row.eligible else "kept-out"
    else:
        state = "vocal"
    return LibraryEntry(row, verdict.category.value, verdict.lyrics.value, state)


class _EntryCache:
    """The last computed entries per database, reused while the library's fingerprint is unchanged."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[
            str, tuple[tuple[object, ...], list[LibraryEntry], dict[int, list[Override]]]
        ] = {}

    def entries(self, library: Library) -> tuple[list[LibraryEntry], dict[int, list[Override]]]:
        version = library_version(library)
        key = str(library.engine.url)
        with self._lock:
            cached = self._entries.get(key)
        if cached is not None and cached[0] == version:
            return cached[1], cached[2]
        decisions = _decisions_by_track(library)
        entries = [_verdict_entry(row, decisions.get(row.id, [])) for row in browse_rows(library)]
        with self._lock:
            self._entries[key] = (version, entries, decisions)
        return entries, decisions


_CACHE = _EntryCache()


def _decisions_by_track(library: Library) -> dict[int, list[Override]]:
    grouped: dict[int, list[Override]] = defaultdict(list)
    for d in active_decisions(library):
        grouped[d.track_id].append(
            Override(
                track_id=d.track_id,
                action=OverrideAction(d.action),
                created_at=d.created_at,
                id=d.id,
                category=Category(d.category) if d.category else None,
                note=d.note,
                decided_by=d.decided_by,
            )
        )
    return grouped


def library_page(
    library: Library, wanted: LibraryFilter, *, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE
) -> LibraryPage:
    """The tracks matching `wanted`, one page of them (pages count from 1), in id order."""
    wanted = wanted.checked()
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InputError(f"a page holds 1-{MAX_PAGE_SIZE} tracks")
    if page < 1:
        raise InputError("pages count from 1")
    entries, _ = _CACHE.entries(library)
    needle = normalise_text(wanted.text)
    matched = [
        entry
        for entry in entries
        if (not wanted.source or entry.row.source == wanted.source)
        and (not wanted.category or entry.category == wanted.category)
        and (not wanted.lyrics or entry.lyrics == wanted.lyrics)
        and (not wanted.state or entry.state == wanted.state)
        and (not needle or needle in entry.search_text)
    ]
    pages = max(1, -(-len(matched) // page_size))
    page = min(page, pages)
    start = (page - 1) * page_size
    return LibraryPage(tuple(matched[start : start + page_size]), len(matched), page, pages, page_size)


def held_tracks(library: Library, limit: int) -> tuple[list[ReviewItem], int]:
    """The first `limit` held tracks in id order as review items (full reasons), and how many are held.

    The same rule as services.review.review_queue (open_review_reasons on present tracks), found
    through the light index so a 10,000-track library answers quickly.
    """
    entries, decisions = _CACHE.entries(library)
    held = [entry.row.id for entry in entries if entry.state == "held"]
    chosen = held[:limit]
    tracks = {t.id: t for t in library.list_tracks(ids=chosen)}
    classifications = library.classifications(chosen)
    items = []
    for track_id in chosen:
        track, classification = tracks.get(track_id), classifications.get(track_id)
        if track is None or classification is None:
            continue
        verdict = apply_overrides(classification, decisions.get(track_id, []))
        reasons = open_review_reasons(classification, verdict)
        if reasons:
            items.append(ReviewItem(track, classification, verdict, tuple(reasons)))
    return items, len(held)
