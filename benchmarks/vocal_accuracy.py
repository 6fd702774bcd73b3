"""Vocal detector on the dev corpus: per-file probabilities, recall/specificity at a threshold, speed.

Run: .venv/bin/python benchmarks/vocal_accuracy.py [--corpus .corpus] [--threshold 0.87] [--whole]
Build the corpus first: bash ../shared/corpus/build.sh .corpus
Each file is decoded with soundfile on the analyser's sampling plan (audio.decode.sampling_plan); as
`analyze` does, a track sampled in several windows has the middle VOCAL_WINDOW_S of each window heard
by VocalModel.analyse (a track analysed whole is heard whole), and the windows are merged with
combine_vocal_evidence. --whole analyses every file end to end instead.
Targets: every track with vocals at or above the threshold; at least 85% of tracks without vocals below.
Rows labelled has_vocals=unknown are printed but not scored.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core, as one analyser worker has

import numpy as np
import soundfile as sf

from playlist_builder.audio.analyzer import VOCAL_WINDOW_S
from playlist_builder.audio.decode import sampling_plan
from playlist_builder.audio.vocal import (
    VocalEvidence,
    combine_vocal_evidence,
    load_vocal_model,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
RECOMMENDED_THRESHOLD = 0.87  # proposed for rules/: between the lowest vocal track and the 85% line
TARGET_SPECIFICITY = 0.85
THRESHOLD_TABLE = (0.80, 0.82, 0.84, 0.86, 0.87, 0.88, 0.89, 0.90)


@dataclass(frozen=True)
class FileResult:
    """One corpus file's outcome."""

    path: str
    label: str
    evidence: VocalEvidence
    audio_s: float
    decode_s: float
    model_s: float


def analyse_file(path: Path, whole: bool) -> tuple[VocalEvidence, float, float, float]:
    """Evidence for one file, analysed seconds, decode time and model time."""
    model = load_vocal_model()
    items, audio_s, decode_s, model_s = [], 0.0, 0.0, 0.0
    with sf.SoundFile(str(path)) as handle:
        rate = handle.samplerate
        duration = handle.frames / rate
        plan = ((0.0, duration),) if whole else sampling_plan(duration)
        for start_s, length_s in plan:
            started = time.perf_counter()
            handle.seek(round(start_s * rate))
            samples = handle.read(round(length_s * rate), dtype="float32", always_2d=True)
            decoded = time.perf_counter()
            samples = samples if len(plan) == 1 else middle(samples, round(VOCAL_WINDOW_S * rate))
            items.append(model.analyse(samples, rate))
            decode_s += decoded - started
            model_s += time.perf_counter() - decoded
            audio_s += len(samples) / rate
    return combine_vocal_evidence(items), audio_s, decode_s, model_s


def middle(samples: np.ndarray, frames: int) -> np.ndarray:
    """The middle `frames` of a window (all of it when shorter), as the analyser feeds the vocal model."""
    start = max(0, (len(samples) - frames) // 2)
    return samples[start : start + frames]


def scored(results: list[FileResult], label: str) -> list[FileResult]:
    """The results with has_vocals == label."""
    return [result for result in results if result.label == label]


def print_files(results: list[FileResult]) -> None:
    """One line per file, vocal ones first, each group by probability."""
    print(f"{'file':48s} {'vocals':7s} {'prob':>6s} {'patches':>7s}  top tags")
    for result in sorted(results, key=lambda r: (r.label != "yes", r.label, -r.evidence.probability)):
        top = sorted(result.evidence.tags.items(), key=lambda item: -item[1])[:3]
        choir = result.evidence.tags["choir"]
        tags = ", ".join(f"{tag} {value:.2f}" for tag, value in top)
        print(
            f"{result.path[:48]:48s} {result.label:7s} {result.evidence.probability:6.3f} "
            f"{len(result.evidence.window_probabilities):7d}  {tags}; choir {choir:.2f}"
        )


def print_scores(results: list[FileResult], threshold: float) -> bool:
    """Recall on vocal files and specificity on the others, at `threshold` and over a table; True if met."""
    vocal = [r.evidence.probability for r in scored(results, "yes")]
    other = [r.evidence.probability for r in scored(results, "no")]
    print(f"\n{'threshold':>9s} {'vocal >= thr':>13s} {'non-vocal < thr':>16s}")
    for value in sorted({*THRESHOLD_TABLE, threshold}):
        hits = sum(p >= value for p in vocal)
        rejects = sum(p < value for p in other)
        mark = "  <- chosen" if value == threshold else ""
        share = rejects / len(other)
        print(f"{value:9.3f} {hits:>6d}/{len(vocal):<6d} {rejects:>5d}/{len(other):<3d} ({share:4.0%}){mark}")
    misses = [r.path for r in scored(results, "yes") if r.evidence.probability < threshold]
    alarms = [r.path for r in scored(results, "no") if r.evidence.probability >= threshold]
    specificity = 1 - len(alarms) / len(other)
    print(
        f"\nat {threshold}: vocal tracks at or above: {len(vocal) - len(misses)}/{len(vocal)}"
        f" (target all); non-vocal below: {specificity:.1%} (target >= {TARGET_SPECIFICITY:.0%})"
    )
    print(
        f"lowest vocal track: {min(vocal):.3f}; highest non-vocal tracks: "
        + ", ".join(f"{p:.3f}" for p in sorted(other, reverse=True)[:4])
    )
    print("missed vocal tracks:", ", ".join(misses) or "none")
    print("non-vocal tracks at or above:", ", ".join(alarms) or "none")
    met = not misses and specificity >= TARGET_SPECIFICITY
    print("targets", "MET" if met else "NOT MET")
    return met


def print_speed(results: list[FileResult]) -> None:
    """Time per second of analysed audio, one thread."""
    audio = sum(r.audio_s for r in results)
    model = sum(r.model_s for r in results)
    decode = sum(r.decode_s for r in results)
    print(
        f"\nspeed over {audio:.0f} s of analysed audio (one thread): vocal model {model:.1f} s"
        f" = {model / audio:.2%} of real time ({audio / model:.0f}x);"
        f" soundfile decode {decode:.1f} s = {decode / audio:.2%}"
    )


def main() -> int:
    """Run the benchmark; exit code 0 when the targets are met, 1 when not, 2 without a corpus."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", type=Path, default=REPO_ROOT / ".corpus")
    parser.add_argument("--threshold", type=float, default=RECOMMENDED_THRESHOLD)
    parser.add_argument("--whole", action="store_true", help="analyse whole files, not the sampling plan")
    args = parser.parse_args()
    labels = args.corpus / "labels.csv"
    if not labels.is_file():
        print(f"no corpus at {args.corpus}: bash ../shared/corpus/build.sh {args.corpus}", file=sys.stderr)
        return 2
    with labels.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    results = []
    for row in rows:
        evidence, audio_s, decode_s, model_s = analyse_file(args.corpus / row["path"], args.whole)
        results.append(FileResult(row["path"], row["has_vocals"], evidence, audio_s, decode_s, model_s))
    print_files(results)
    met = print_scores(results, args.threshold)
    print_speed(results)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
