"""Classification accuracy on the development corpus plus synthesized binaural signals.

Runs the real pipeline (scan -> analyse -> classify, offline) into a throw-away database and prints:
the vocal-leak count (tracks with voices that ended up `instrumental`: must be 0), the share of
voiceless tracks that ended up `instrumental` (target >= 85%), nature recordings classified `nature`,
synthesized binaural signals classified `binaural`, and confusion tables. Exit status 1 if a target
is missed.

    .venv/bin/python benchmarks/classify_accuracy.py [--corpus .corpus] [--jobs 1] [--verbose]

Build the corpus first: `bash ../shared/corpus/build.sh` (see ../shared/corpus/README.md).
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from playlist_builder.config import Settings, load_settings, sqlite_url
from playlist_builder.db.library import Library
from playlist_builder.model import Category, LyricsStatus
from playlist_builder.services.classify import classify_library
from playlist_builder.services.scan import scan_paths
from playlist_builder.services.views import describe_tracks

REPO = Path(__file__).resolve().parent.parent
MIN_INSTRUMENTAL_SHARE = 0.85  # of tracks without voices (issue 4)
SYNTH_SECONDS = 60.0
SYNTH_RATE = 44_100
# (file, left carrier Hz, right carrier Hz, pink-noise level): beats 6, 10, 2.5 and 18 Hz. Neutral file
# names, so only the audio can say what they are.
BINAURAL_SIGNALS = (
    ("synth_a.flac", 200.0, 206.0, 0.0),
    ("synth_b.flac", 150.0, 160.0, 0.05),
    ("synth_c.flac", 400.0, 402.5, 0.0),
    ("synth_d.flac", 300.0, 318.0, 0.08),
)


@dataclass(frozen=True)
class Truth:
    """What the corpus labels say about one file."""

    path: str
    group: str
    category: str
    has_vocals: str
    has_lyrics: str


def pink_noise(frames: int, rng: np.random.Generator) -> np.ndarray:
    """Pink (1/f) noise, unit peak, by shaping white noise in the frequency domain."""
    spectrum = np.fft.rfft(rng.standard_normal(frames))
    scale = 1.0 / np.sqrt(np.maximum(np.arange(len(spectrum)), 1.0))
    noise = np.fft.irfft(spectrum * scale, n=frames)
    return noise / np.max(np.abs(noise))


def synthesize(folder: Path) -> list[Truth]:
    """Write stereo binaural test signals; each ear its own steady tone."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    t = np.arange(int(SYNTH_SECONDS * SYNTH_RATE)) / SYNTH_RATE
    truths = []
    for name, left_hz, right_hz, noise in BINAURAL_SIGNALS:
        left = 0.3 * np.sin(2 * np.pi * left_hz * t)
        right = 0.3 * np.sin(2 * np.pi * right_hz * t)
        if noise:
            bed = noise * pink_noise(len(t), rng)
            left, right = left + bed, right + bed
        if not (folder / name).exists():  # keep the file (and its analysis) when a work dir is reused
            sf.write(folder / name, np.stack([left, right], axis=1).astype(np.float32), SYNTH_RATE)
        truths.append(Truth(f"synth/{name}", "synth", "binaural", "no", "no"))
    return truths


def read_labels(corpus: Path) -> list[Truth]:
    """The corpus labels (paths relative to the corpus folder)."""
    with open(corpus / "labels.csv", encoding="utf-8", newline="") as handle:
        return [
            Truth(row["path"], row["group"], row["category"], row["has_vocals"], row["has_lyrics"])
            for row in csv.DictReader(handle)
        ]


def analyse(library: Library, settings: Settings, jobs: int) -> str:
    """Run the audio analysis use-case (written in the analysis issue); returns a one-line summary."""
    from playlist_builder.services import analyze  # type: ignore[attr-defined]

    result = analyze.analyze_library(library, settings, jobs=jobs)
    return str(getattr(result, "summary", lambda: result)())


def run_pipeline(corpus: Path, work: Path, jobs: int) -> tuple[list[dict[str, object]], dict[str, float]]:
    """Scan, analyse and classify the corpus and the synthesized signals; return track views and timings."""
    settings = load_settings().with_overrides(
        data_dir=work / "data",
        db_url=sqlite_url(work / "bench.sqlite3"),
        rules_dir=REPO / "rules",
        offline=True,
    )
    library = Library.open(settings.db_url)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    scan_paths(library, [str(corpus), str(work / "synth")])
    timings["scan"] = time.perf_counter() - started
    started = time.perf_counter()
    print("analysis:", analyse(library, settings, jobs), file=sys.stderr)
    timings["analyse"] = time.perf_counter() - started
    started = time.perf_counter()
    classify_library(library, settings, offline=True)
    timings["classify"] = time.perf_counter() - started
    views = [view.as_json() for view in describe_tracks(library, library.list_tracks(missing=False))]
    library.close()
    return views, timings


def relative_key(view: dict[str, object], corpus: Path, synth: Path) -> str | None:
    """A view's path relative to the corpus (or `synth/...`), matching labels.csv."""
    path = Path(str(view["path"]))
    for base, prefix in ((corpus, ""), (synth, "synth/")):
        try:
            return prefix + path.relative_to(base).as_posix()
        except ValueError:
            continue
    return None


def table(title: str, rows: Counter[tuple[str, str]], row_names: list[str], col_names: list[str]) -> None:
    """Print a confusion table: truth down, prediction across."""
    width = max(len(n) for n in row_names + col_names + ["truth"]) + 2
    print(f"\n{title}")
    print("truth".ljust(width) + "".join(c.rjust(width) for c in col_names))
    for r in row_names:
        print(r.ljust(width) + "".join(str(rows.get((r, c), 0)).rjust(width) for c in col_names))


def main() -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=REPO / ".corpus")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--verbose", action="store_true", help="print every track's verdict and reasons")
    parser.add_argument(
        "--work",
        type=Path,
        help="keep the database here and reuse it (analysis is incremental) instead of a temp dir",
    )
    args = parser.parse_args()
    corpus = args.corpus.resolve()
    if not (corpus / "labels.csv").is_file():
        print(f"no corpus at {corpus}: build it with `bash ../shared/corpus/build.sh`", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="classify-bench-") as tmp:
        work = args.work.resolve() if args.work else Path(tmp)
        truths = {t.path: t for t in read_labels(corpus) + synthesize(work / "synth")}
        views, timings = run_pipeline(corpus, work, args.jobs)
    return report(views, truths, corpus, work / "synth", timings, verbose=args.verbose)


def report(
    views: list[dict[str, object]],
    truths: dict[str, Truth],
    corpus: Path,
    synth: Path,
    timings: dict[str, float],
    *,
    verbose: bool,
) -> int:
    """Print the figures; 1 if a target is missed."""
    lyrics_table: Counter[tuple[str, str]] = Counter()
    category_table: Counter[tuple[str, str]] = Counter()
    leaks, voiceless, voiceless_ok, nature, nature_ok, binaural, binaural_ok = [], 0, 0, 0, 0, 0, 0
    missed: list[str] = []
    for view in views:
        key = relative_key(view, corpus, synth)
        truth = truths.get(key or "")
        if truth is None:
            continue
        lyrics, category = str(view["lyrics"]), str(view["category"])
        lyrics_table[(truth.has_vocals, lyrics)] += 1
        category_table[(truth.category, category)] += 1
        if verbose:
            print(f"{key}: {category}/{lyrics} conf {view['confidence']}; review: {view['review_reasons']}")
        if (truth.has_vocals == "yes" or truth.has_lyrics == "yes") and lyrics == LyricsStatus.INSTRUMENTAL:
            leaks.append(key)
        if truth.has_vocals == "no":
            voiceless += 1
            voiceless_ok += lyrics == LyricsStatus.INSTRUMENTAL
            if lyrics != LyricsStatus.INSTRUMENTAL:
                missed.append(f"{key} -> {lyrics}: {'; '.join(view['review_reasons'])[:160]}")  # type: ignore[arg-type]
        if truth.category == "nature":
            nature += 1
            nature_ok += category == Category.NATURE
        if truth.category == "binaural":
            binaural += 1
            binaural_ok += category == Category.BINAURAL
    share = voiceless_ok / voiceless if voiceless else 0.0
    table(
        "Lyrics status (truth: has_vocals)",
        lyrics_table,
        ["yes", "no", "unknown"],
        [s.value for s in LyricsStatus],
    )
    truth_categories = sorted({t for t, _ in category_table})
    table("Category (truth: corpus label)", category_table, truth_categories, [c.value for c in Category])
    print(f"\ntracks scored: {sum(lyrics_table.values())} (of {len(truths)} labelled)")
    print(f"vocal leaks into instrumental: {len(leaks)} {leaks if leaks else ''}")
    print(f"voiceless tracks instrumental: {voiceless_ok}/{voiceless} = {share:.1%} (target >= 85%)")
    print(f"nature recordings nature: {nature_ok}/{nature}")
    print(f"synthesized binaural signals binaural: {binaural_ok}/{binaural}")
    print("timings: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))
    if missed:
        print("\nvoiceless tracks not passed:")
        for line in missed:
            print("  " + line)
    ok = not leaks and share >= MIN_INSTRUMENTAL_SHARE and nature_ok == nature and binaural_ok == binaural
    print("\nRESULT:", "all targets met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
