"""Import curated libraries as `curated` rows and link each entry to a local file or a Spotify track."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from playlist_builder.config import Settings
from playlist_builder.db.curated import curated_tracks
from playlist_builder.db.library import Library
from playlist_builder.errors import PlaylistBuilderError
from playlist_builder.model import Source, Track
from playlist_builder.services.progress import ProgressCallback, ProgressEvent, report
from playlist_builder.sources.curated import (
    CuratedEntry,
    CuratedLibrary,
    entry_to_track,
    format_duration,
    load_curated_libraries,
)
from playlist_builder.text import MatchingRules, artist_keys, load_matching_rules, name_key

SpotifyMatcher = Callable[
    [Track], Any
]  # returns an object with `status` ("matched"/"ambiguous"/"none"), `uri`


class LinkStatus(StrEnum):
    """How linking one entry to a local file or a Spotify track went."""

    LINKED = "linked"
    AMBIGUOUS = "ambiguous"  # more than one candidate fits: not linked, a clinician decides
    NEAR_MISS = "near-miss"  # artist and title found, but no copy within the length tolerance
    NOT_FOUND = "not-found"
    NOT_TRIED = "not-tried"  # no Spotify matcher given, or Spotify failed earlier in the run


@dataclass(frozen=True)
class EntryOutcome:
    """What happened to one curated entry."""

    library: str
    entry_id: str
    title: str
    artist: str
    track_id: int
    local_status: LinkStatus
    local_detail: str = ""
    local_track_id: int | None = None
    local_path: str | None = None
    spotify_status: LinkStatus = LinkStatus.NOT_TRIED
    spotify_detail: str = ""
    spotify_uri: str | None = None

    @property
    def playable(self) -> bool:
        """Whether a session can play this entry (through a local file or a Spotify track)."""
        return self.local_track_id is not None or self.spotify_uri is not None


@dataclass(frozen=True)
class CuratedImportReport:
    """Counts and per-entry outcomes of an import, easy to render as text or JSON."""

    libraries: tuple[str, ...]
    added: int
    updated: int
    retired: int  # rows whose entries left the files: marked missing, never deleted
    outcomes: tuple[EntryOutcome, ...]
    spotify_error: str | None = None

    @property
    def entries(self) -> int:
        """How many entries were imported."""
        return len(self.outcomes)

    @property
    def linked_local(self) -> list[EntryOutcome]:
        """Entries that play through a local file."""
        return [o for o in self.outcomes if o.local_status is LinkStatus.LINKED]

    @property
    def linked_spotify(self) -> list[EntryOutcome]:
        """Entries with a Spotify track."""
        return [o for o in self.outcomes if o.spotify_uri is not None]

    @property
    def ambiguous(self) -> list[EntryOutcome]:
        """Entries where more than one candidate fitted (left unlinked on that side)."""
        return [
            o
            for o in self.outcomes
            if LinkStatus.AMBIGUOUS in (o.local_status, o.spotify_status) and not o.playable
        ]

    @property
    def unmatched(self) -> list[EntryOutcome]:
        """Entries that cannot be played: no local file and no Spotify track."""
        return [o for o in self.outcomes if not o.playable]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (counts and every outcome)."""
        return {
            "libraries": list(self.libraries),
            "entries": self.entries,
            "added": self.added,
            "updated": self.updated,
            "retired": self.retired,
            "linked_local": len(self.linked_local),
            "linked_spotify": len(self.linked_spotify),
            "ambiguous": len(self.ambiguous),
            "unmatched": len(self.unmatched),
            "spotify_error": self.spotify_error,
            "outcomes": [
                {
                    "library": o.library,
                    "entry": o.entry_id,
                    "title": o.title,
                    "artist": o.artist,
                    "track_id": o.track_id,
                    "local": {
                        "status": o.local_status.value,
                        "detail": o.local_detail,
                        "track_id": o.local_track_id,
                        "path": o.local_path,
                    },
                    "spotify": {
                        "status": o.spotify_status.value,
                        "detail": o.spotify_detail,
                        "uri": o.spotify_uri,
                    },
                }
                for o in self.outcomes
            ],
        }


@dataclass
class LocalIndex:
    """Present local tracks with a length, by normalised title, for linking curated entries."""

    matching: MatchingRules
    by_title: dict[str, list[Track]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def build(cls, tracks: Iterable[Track], matching: MatchingRules) -> LocalIndex:
        """Index local tracks that can be played (present, readable, length known)."""
        index = cls(matching)
        for track in tracks:
            if track.source is not Source.LOCAL or track.missing or track.scan_error or not track.duration_s:
                continue
            if track.title:
                index.by_title[name_key(track.title)].append(track)
        return index

    def link(self, entry: CuratedEntry) -> tuple[LinkStatus, str, Track | None]:
        """Find the one local copy of an entry: same artist and title, length within the tolerance."""
        wanted_artists = set().union(*(artist_keys(name) for name in entry.artist_names))
        same_name: dict[int, Track] = {}
        for title in entry.titles:
            for track in self.by_title.get(name_key(title), []):
                credits = (
                    artist_keys(track.artist) | artist_keys(track.album_artist) | artist_keys(track.composer)
                )
                if wanted_artists & credits and track.id is not None:
                    same_name[track.id] = track
        if not same_name:
            return LinkStatus.NOT_FOUND, "no local file with this artist and title", None
        fitting = [t for t in same_name.values() if self.matching.same_length(t.duration_s, entry.duration_s)]
        if len(fitting) == 1:
            return (
                LinkStatus.LINKED,
                f"same artist and title, {format_duration(fitting[0].duration_s or 0)}",
                fitting[0],
            )
        if len(fitting) > 1:
            paths = ", ".join(sorted(t.path or t.source_key for t in fitting))
            return LinkStatus.AMBIGUOUS, f"{len(fitting)} local files fit: {paths}", None
        closest = min(same_name.values(), key=lambda t: abs((t.duration_s or 0.0) - entry.duration_s))
        delta = (closest.duration_s or 0.0) - entry.duration_s
        detail = (
            f"{closest.path or closest.source_key} has this artist and title but is {abs(delta):.0f} s "
            f"{'longer' if delta > 0 else 'shorter'} ({format_duration(closest.duration_s or 0)} vs "
            f"{format_duration(entry.duration_s)}); same recording? correct the library's duration"
        )
        return LinkStatus.NEAR_MISS, detail, None


def import_curated(
    library: Library,
    settings: Settings,
    *,
    name: str | None = None,
    spotify_matcher: SpotifyMatcher | None = None,
    progress: ProgressCallback | None = None,
) -> CuratedImportReport:
    """Load curated libraries into the database, link entries, retire rows of removed entries. Idempotent."""
    libraries = load_curated_libraries(settings.libraries_dir, name)
    names = [lib.name for lib in libraries]
    existing = {t.source_key: t for t in curated_tracks(library, names)}
    entries = [entry for lib in libraries for entry in lib.entries]
    ids = library.upsert_tracks(entry_to_track(entry) for entry in entries)
    added = sum(1 for entry in entries if entry.source_key not in existing)
    wanted_keys = {entry.source_key for entry in entries}
    retired_ids = [
        t.id for t in existing.values() if t.source_key not in wanted_keys and not t.missing and t.id
    ]
    retired = library.set_missing(retired_ids, True)

    matching = load_matching_rules(settings.rules_dir)
    index = LocalIndex.build(library.list_tracks(source=Source.LOCAL, missing=False), matching)
    rows = {t.id: t for t in library.list_tracks(source=Source.CURATED, ids=ids)}
    linker = _SpotifyLinker(library, spotify_matcher)
    outcomes: list[EntryOutcome] = []
    for done, (entry, track_id) in enumerate(zip(entries, ids, strict=True), start=1):
        report(
            progress, ProgressEvent(done=done - 1, total=len(entries), item=f"{entry.artist} – {entry.title}")
        )
        row = rows[track_id]
        local_status, local_detail, local = index.link(entry)
        local_id = local.id if local is not None else None
        if row.linked_track_id != local_id:
            library.set_link(track_id, linked_track_id=local_id)
        spotify_status, spotify_detail, uri = linker.link(row)
        outcomes.append(
            EntryOutcome(
                library=entry.library,
                entry_id=entry.entry_id,
                title=entry.title,
                artist=entry.artist,
                track_id=track_id,
                local_status=local_status,
                local_detail=local_detail,
                local_track_id=local_id,
                local_path=local.path if local is not None else None,
                spotify_status=spotify_status,
                spotify_detail=spotify_detail,
                spotify_uri=uri,
            )
        )
    report(progress, ProgressEvent(done=len(entries), total=len(entries), message="curated import finished"))
    return CuratedImportReport(
        libraries=tuple(names),
        added=added,
        updated=len(entries) - added,
        retired=retired,
        outcomes=tuple(outcomes),
        spotify_error=linker.error,
    )


class _SpotifyLinker:
    """Matches curated rows on Spotify once; stops (keeping what was done) when Spotify fails."""

    def __init__(self, library: Library, matcher: SpotifyMatcher | None) -> None:
        self.library = library
        self.matcher = matcher
        self.error: str | None = None

    def link(self, row: Track) -> tuple[LinkStatus, str, str | None]:
        """Status, detail and URI of this row's Spotify link (an existing link is kept, not re-searched)."""
        if row.spotify_uri:
            return LinkStatus.LINKED, "already linked", row.spotify_uri
        if self.matcher is None:
            return LinkStatus.NOT_TRIED, "Spotify matching not requested", None
        if self.error is not None:
            return LinkStatus.NOT_TRIED, "skipped after a Spotify error", None
        try:
            result = self.matcher(row)
        except PlaylistBuilderError as exc:
            self.error = str(exc)
            return LinkStatus.NOT_TRIED, f"Spotify failed: {exc}", None
        status = str(getattr(result, "status", "none"))
        uri = getattr(result, "uri", None)
        reason = str(getattr(result, "reason", "") or "")
        if status == "matched" and uri and row.id is not None:
            self.library.set_link(row.id, spotify_uri=uri)
            return LinkStatus.LINKED, reason, uri
        if status == "ambiguous":
            return LinkStatus.AMBIGUOUS, reason or "more than one Spotify track fits", None
        return LinkStatus.NOT_FOUND, reason or "no Spotify track fits", None


def summarise(libraries: Iterable[CuratedLibrary]) -> list[dict[str, Any]]:
    """Per library: name, description, entry count and total minutes (for listings and the README)."""
    return [
        {
            "name": lib.name,
            "description": lib.description,
            "entries": len(lib.entries),
            "minutes": round(lib.total_s / 60, 1),
            "categories": sorted({entry.category.value for entry in lib.entries}),
        }
        for lib in libraries
    ]
