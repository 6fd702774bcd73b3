"""The solver's input: eligible tracks as plain values, and the same as numpy columns for speed."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from playlist_builder.model import Category
from playlist_builder.text import normalise_text

# Category codes used in the numpy columns; -1 means "no category" (an absent secondary category).
CATEGORY_CODES: dict[Category, int] = {category: code for code, category in enumerate(Category)}
NO_CATEGORY = -1
_NAN = float("nan")
# Placeholder artist names that say nothing about who made a track; they never count as a repeat.
_UNKNOWN_ARTISTS = frozenset({"unknown artist", "unknown", "various artists", "various", "[unknown]"})


_SECONDARY_CODES: dict[Category | None, int] = {None: NO_CATEGORY, **CATEGORY_CODES}


@dataclass(frozen=True)
class Candidate:
    """One track that may enter a session (already instrumental, not banned, not missing)."""

    track_id: int
    title: str
    artist: str | None
    duration_s: float
    category: Category
    energy: float
    secondary_category: Category | None = None
    loudness_lufs: float | None = None
    tempo_bpm: float | None = None
    source: str = "local"


@dataclass(frozen=True)
class Pin:
    """A track the clinician wants in the session, optionally in a named phase."""

    track_id: int
    phase: str | None = None


@dataclass(frozen=True)
class CandidateTable:
    """Candidates as columns (sorted by track id, one row per track) so the solver can use numpy."""

    track_id: np.ndarray  # int64
    duration_s: np.ndarray  # float64
    energy: np.ndarray  # float64
    loudness_lufs: np.ndarray  # float64, NaN when unknown
    tempo_bpm: np.ndarray  # float64, NaN when unknown
    category: np.ndarray  # int16 codes of CATEGORY_CODES
    secondary: np.ndarray  # int16 codes, NO_CATEGORY when absent
    artist: np.ndarray  # int64; equal numbers mean the same artist; unknown artists get unique numbers
    rows: tuple[Candidate, ...]

    def __len__(self) -> int:
        """Number of candidates."""
        return len(self.rows)

    @classmethod
    def from_candidates(cls, candidates: Iterable[Candidate]) -> CandidateTable:
        """Columns of the candidates, sorted by track id; a repeated track id keeps its first row."""
        rows = tuple(candidates)
        ids = np.array([c.track_id for c in rows], dtype=np.int64)
        if ids.size > 1 and not bool(np.all(ids[1:] > ids[:-1])):
            unique: dict[int, Candidate] = {}
            for candidate in rows:
                unique.setdefault(candidate.track_id, candidate)
            rows = tuple(unique[key] for key in sorted(unique))
            ids = np.array([c.track_id for c in rows], dtype=np.int64)
        # One list comprehension per column: far faster than transposing rows on 100,000 candidates.
        return cls(
            track_id=ids,
            duration_s=np.array([c.duration_s for c in rows], dtype=np.float64),
            energy=np.array([c.energy for c in rows], dtype=np.float64),
            loudness_lufs=_optional_floats(
                [_NAN if c.loudness_lufs is None else c.loudness_lufs for c in rows]
            ),
            tempo_bpm=_optional_floats([_NAN if c.tempo_bpm is None else c.tempo_bpm for c in rows]),
            category=np.array([CATEGORY_CODES[c.category] for c in rows], dtype=np.int16),
            secondary=np.array([_SECONDARY_CODES[c.secondary_category] for c in rows], dtype=np.int16),
            artist=_artist_numbers([c.artist for c in rows]),
            rows=rows,
        )

    def index_of(self, track_id: int) -> int | None:
        """Row index of a track id, or None when it is not a candidate."""
        position = int(np.searchsorted(self.track_id, track_id))
        if position < len(self.rows) and int(self.track_id[position]) == track_id:
            return position
        return None

    def indexes_of(self, track_ids: Iterable[int]) -> np.ndarray:
        """Row indexes of those track ids that are candidates."""
        wanted = np.fromiter(set(track_ids), dtype=np.int64)
        if wanted.size == 0 or len(self.rows) == 0:
            return np.zeros(0, dtype=np.int64)
        positions = np.clip(np.searchsorted(self.track_id, wanted), 0, len(self.rows) - 1)
        return np.unique(positions[self.track_id[positions] == wanted])


def _optional_floats(values: Sequence[float]) -> np.ndarray:
    """A float column with NaN where a value is unknown (or not a finite number)."""
    column = np.array(values, dtype=np.float64)
    column[~np.isfinite(column)] = np.nan
    return column


def artist_key(artist: str | None) -> str | None:
    """The artist as compared for "no artist twice in a row" (text.normalise_text: case, accents and
    spacing ignored, as everywhere names are compared); None if unknown."""
    key = normalise_text(artist) if artist else ""
    return None if not key or key in _UNKNOWN_ARTISTS else key


def _artist_numbers(artists: Sequence[str | None]) -> np.ndarray:
    """Equal numbers for the same artist; unknown artists get unique negative numbers (they never repeat)."""
    numbers: dict[str, int] = {}
    by_spelling: dict[str | None, int] = {}
    for spelling in dict.fromkeys(artists):  # each spelling is normalised once
        key = artist_key(spelling)
        by_spelling[spelling] = -1 if key is None else numbers.setdefault(key, len(numbers))
    column = np.array([by_spelling[artist] for artist in artists], dtype=np.int64)
    unknown = column < 0
    column[unknown] = -(np.flatnonzero(unknown) + 1)
    return column
