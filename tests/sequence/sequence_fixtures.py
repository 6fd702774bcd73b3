"""Helpers for sequencing tests: generated candidate libraries and library rows with verdicts."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from playlist_builder.db.library import Library
from playlist_builder.model import Category, Classification, LyricsStatus, Source, Track
from playlist_builder.sequence.candidates import Candidate

REPO_ROOT = Path(__file__).resolve().parents[2]
REPO_RULES = REPO_ROOT / "rules"
REPO_ARCS = REPO_RULES / "arcs"

# Typical energies per kind, as the classifier estimates them (rules/classification.toml [energy]).
TYPICAL_ENERGY = {
    Category.AMBIENT: 0.3,
    Category.BINAURAL: 0.2,
    Category.MINIMAL: 0.35,
    Category.NATURE: 0.25,
}
KINDS = tuple(TYPICAL_ENERGY)


def generate_candidates(
    count: int,
    seed: int = 0,
    *,
    artists: int | None = None,
    min_s: float = 120.0,
    max_s: float = 600.0,
    energy_spread: float = 0.08,
    loudness_known: float = 0.8,
    categories: tuple[Category, ...] = KINDS,
    first_id: int = 1,
) -> list[Candidate]:
    """A plausible library of session-eligible tracks (non-ASCII titles included)."""
    rng = np.random.default_rng(seed)
    artist_count = artists if artists is not None else max(3, count // 4)
    out = []
    for index in range(count):
        kind = categories[int(rng.integers(len(categories)))]
        energy = float(np.clip(TYPICAL_ENERGY[kind] + rng.normal(0, energy_spread), 0.02, 0.9))
        out.append(
            Candidate(
                track_id=first_id + index,
                title=f"Stille Wasser Nr. {index} — Ruhe",
                artist=f"Künstler {int(rng.integers(artist_count))}",
                duration_s=float(rng.uniform(min_s, max_s)),
                category=kind,
                energy=round(energy, 3),
                loudness_lufs=float(rng.normal(-21, 2)) if rng.random() < loudness_known else None,
                tempo_bpm=float(rng.uniform(55, 100)) if rng.random() < 0.4 else None,
            )
        )
    return out


def add_eligible_tracks(
    library: Library,
    candidates: list[Candidate],
    *,
    lyrics: LyricsStatus = LyricsStatus.INSTRUMENTAL,
    source: Source = Source.LOCAL,
) -> list[int]:
    """Store candidates as library tracks with a classification; returns the new track ids in order."""
    tracks = [
        Track(
            source=source,
            source_key=f"{source.value}-{c.track_id}.flac"
            if source is Source.LOCAL
            else f"spotify:track:{c.track_id}",
            title=c.title,
            artist=c.artist,
            duration_s=c.duration_s,
            spotify_uri=f"spotify:track:x{c.track_id}" if source is Source.SPOTIFY else None,
        )
        for c in candidates
    ]
    ids = library.upsert_tracks(tracks)
    for track_id, candidate in zip(ids, candidates, strict=True):
        library.save_classification(
            track_id,
            Classification(
                category=candidate.category,
                lyrics=lyrics,
                energy=candidate.energy,
                confidence=0.9,
                rules_version="test",
            ),
            input_hash="test",
        )
    return ids
