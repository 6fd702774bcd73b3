"""End-to-end `session build`: a library of N analysed, classified tracks to a saved 60-minute plan.

Run:  .venv/bin/python benchmarks/session_build_speed.py [--sizes 10000 30000 100000] [--runs 5]

For each size a SQLite library is built in a temp folder through the `Library` facade (bulk inserts of
tracks, features and verdicts: 90% instrumental, the rest vocal or unknown, four kinds, 2–12 minute
tracks, measured loudness on 80% and tempo on 40%). Then the product's own command line runs, as a
user would start it, several times after a warm-up:

    playlist-builder --db sqlite:///…/library.sqlite3 session build --arc iv-infusion --minutes 60 --seed S

Figures printed per size: wall time and peak memory of the whole command (median, min–max), beside
`python -c pass` run in turn with it (the interpreter's own start-up). Target (issue 15): 100,000
tracks in under 2 s and under 300 MB. Exit status 1 when the 100,000-track target is missed.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from whole_process import alternate, median, spread

from playlist_builder.db.library import Library
from playlist_builder.model import Category, Classification, Features, LyricsStatus, Source, Track

REPO = Path(__file__).resolve().parent.parent
COMMAND = [str(Path(sys.executable).parent / "playlist-builder")]
TARGET_S = 2.0
TARGET_MB = 300.0
TARGET_SIZE = 100_000
KINDS = (Category.AMBIENT, Category.BINAURAL, Category.MINIMAL, Category.NATURE)
TYPICAL_ENERGY = (0.3, 0.2, 0.35, 0.25)
BATCH = 5_000


def _features(duration: float, lufs: float | None, tempo: float | None, energy: float) -> Features:
    return Features(
        analyzer_version="bench",
        duration_s=duration,
        sample_rate=44_100,
        channels=2,
        integrated_lufs=lufs if lufs is not None else float("-inf"),
        loudness_range_lu=4.0,
        true_peak_dbtp=-3.0,
        spectral_centroid_hz=900.0,
        spectral_flatness=0.1,
        spectral_rolloff_hz=3_000.0,
        onset_rate_hz=0.3,
        tempo_bpm=tempo,
        pulse_clarity=0.1,
        stereo_width=0.3,
        energy=energy,
        nature_score=0.1,
        vocal_probability=0.05,
        vocal_windows=tuple(float(v) for v in np.linspace(0.01, 0.05, 12)),
    )


def build_library(url: str, count: int, seed: int = 0) -> None:
    """A classified, analysed library of `count` local tracks, written in bulk through the facade."""
    rng = np.random.default_rng(seed)
    library = Library.open(url)
    try:
        for start in range(0, count, BATCH):
            size = min(BATCH, count - start)
            kind = rng.integers(len(KINDS), size=size)
            energy = np.clip(np.take(TYPICAL_ENERGY, kind) + rng.normal(0, 0.08, size), 0.02, 0.9)
            duration = rng.uniform(120, 720, size)
            loudness = np.where(rng.random(size) < 0.8, rng.normal(-21, 2.5, size), np.nan)
            tempo = np.where(rng.random(size) < 0.4, rng.uniform(50, 110, size), np.nan)
            lyrics = rng.choice(
                [LyricsStatus.INSTRUMENTAL, LyricsStatus.VOCAL, LyricsStatus.UNKNOWN],
                size=size,
                p=[0.9, 0.05, 0.05],
            )
            tracks = [
                Track(
                    source=Source.LOCAL,
                    source_key=f"Künstler {(start + i) // 12 % 5000}/Album/Stille {start + i:06d}.flac",
                    title=f"Stille Wasser {start + i} — Ruhe",
                    artist=f"Künstler {int(rng.integers(max(3, count // 6)))}",
                    album="Album",
                    duration_s=float(duration[i]),
                    file_format="flac",
                    size=30_000_000,
                    mtime=1_700_000_000.0,
                )
                for i in range(size)
            ]
            ids = library.upsert_tracks(tracks)
            library.save_features_many(
                [
                    (
                        tid,
                        _features(
                            float(duration[i]),
                            None if np.isnan(loudness[i]) else float(loudness[i]),
                            None if np.isnan(tempo[i]) else float(tempo[i]),
                            float(energy[i]),
                        ),
                        30_000_000,
                        1_700_000_000.0,
                    )
                    for i, tid in enumerate(ids)
                ],
                analyzer_version="bench",
            )
            library.save_classifications_many(
                [
                    (
                        tid,
                        Classification(
                            category=KINDS[int(kind[i])],
                            lyrics=LyricsStatus(lyrics[i]),
                            energy=round(float(energy[i]), 3),
                            confidence=0.9,
                            rules_version="bench",
                        ),
                        "bench",
                    )
                    for i, tid in enumerate(ids)
                ]
            )
    finally:
        library.close()


def main() -> None:
    """Build each library, run the command, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 30_000, 100_000])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    missed = False
    print(
        f"{'tracks':>8}  {'session build wall s':>24}  {'CPU s':>6}  {'peak MB':>20}  {'python -c pass':>22}"
    )
    with tempfile.TemporaryDirectory(prefix="pb-session-bench-") as tmp:
        for size in args.sizes:
            url = f"sqlite:///{Path(tmp) / f'library-{size}.sqlite3'}"
            started = time.perf_counter()
            build_library(url, size)
            built_s = time.perf_counter() - started
            build = [*COMMAND, "--db", url, "session", "build", "--arc", "iv-infusion", "--minutes", "60"]
            runs = alternate(
                {"build": [*build, "--seed", "7"], "python": [sys.executable, "-c", "pass"]}, args.runs
            )
            wall = median([run.wall_s for run in runs["build"]])
            peak = median([run.peak_mb for run in runs["build"]])
            cpu = median([run.cpu_s for run in runs["build"]])
            print(
                f"{size:>8}  {spread(runs['build'], 'wall_s'):>24}  {cpu:>6.2f}  "
                f"{spread(runs['build'], 'peak_mb'):>20}  "
                f"{spread(runs['python'], 'wall_s'):>22}   (library built in {built_s:.0f} s)",
                flush=True,
            )
            if size == TARGET_SIZE and (wall >= TARGET_S or peak >= TARGET_MB):
                missed = True
    print(f"target: {TARGET_SIZE:,} tracks in < {TARGET_S:.0f} s and < {TARGET_MB:.0f} MB (medians); "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")  # fmt: skip
    sys.exit(1 if missed else 0)


if __name__ == "__main__":
    main()
