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
        if source is Source.LOCAL:  # a local file is eligible only once analysed and found intact
            library.save_features(track_id, None, file_size=None, file_mtime=None, analyzer_version="test")
    return ids


# A small clinic library shaped like the demo database: quiet ambient and binaural pieces for the deep
# phases, and only a few warm piano (minimal) and nature pieces, which the opening phases and the
# closing `ground` phase all want. Loudness follows energy below 0.24 (quiet pieces are quieter), so
# climbing from the deep phase back to the warm close needs intermediate "bridge" tracks.
SCARCE_KINDS = (
    (Category.AMBIENT, 9, 0.12, 0.22, ("Low Meridian", "Paper Moons", "Aurora Fields", "Quiet Harbour")),
    (Category.BINAURAL, 5, 0.17, 0.19, ("Wave Lab", "Stillpoint Audio")),
    (Category.MINIMAL, 5, 0.24, 0.28, ("Tomas Reyle", "Sara Lund", "Inès Valmont")),
    (Category.NATURE, 5, 0.30, 0.46, ("Field Notes", "Coastline")),
)
SCARCE_LENGTHS_S = (150.0, 180.0, 210.0, 240.0, 270.0, 300.0, 360.0)


def scarce_library(seed: int = 0) -> list[Candidate]:
    """24 tracks (about 95 minutes) where good material for the end of a session is scarce."""
    rng = np.random.default_rng(seed)
    out = []
    for category, count, low, high, artists in SCARCE_KINDS:
        for energy in np.linspace(low, high, count):
            energy = float(np.clip(energy + rng.normal(0, 0.005), low, high))
            loudness = -21.5 + min(0.0, energy - 0.24) * 70 + float(rng.normal(0, 0.3))
            out.append(
                Candidate(
                    track_id=len(out) + 1,
                    title=f"Ruhe {len(out)} — {category.value}",
                    artist=artists[len(out) % len(artists)],
                    duration_s=float(rng.choice(SCARCE_LENGTHS_S)),
                    category=category,
                    energy=round(energy, 3),
                    loudness_lufs=round(loudness, 1),
                )
            )
    return out
