"""Benchmark the continuous mix: speed (x real time) and peak memory of a 60-minute render.

Run: .venv/bin/python benchmarks/mix_speed.py [--minutes 60] [--format flac|wav|mp3] [--generated]

Uses the development corpus (.corpus/wesnoth/*.ogg, real Vorbis music at 44.1 kHz) when present, else
generated 44.1 kHz FLAC tracks of different levels. Goals (issue 6): at least 30x real time, and the
whole process under 500 MB of memory for a 60-minute mix.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from playlist_builder.export.mix import MixOptions, MixTrack, mix_to_file
from playlist_builder.export.rules import load_export_rules

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / ".corpus" / "wesnoth"
CROSSFADE_S = 8.0
RATE = 44100
# The product's own levels and fades (rules/export.toml); the session fades as rules/sequence.toml says.
_RULES = load_export_rules(ROOT / "rules")
OPTIONS = MixOptions(
    target_lufs=_RULES.loudness.target_lufs,
    ceiling_dbtp=_RULES.loudness.true_peak_ceiling_dbtp,
    max_gain_db=_RULES.loudness.max_gain_db,
    fade_in_s=10.0,
    fade_out_s=20.0,
    boundary_fade_s=_RULES.mix.boundary_fade_s,
    trim_fade_s=_RULES.mix.trim_fade_s,
)


def corpus_tracks(minutes: float) -> list[Path]:
    """Corpus files (longest first, then cycling) until they cover `minutes`."""
    files = sorted(CORPUS.glob("*.ogg"), key=lambda p: -sf.info(str(p)).duration)
    files = [p for p in files if sf.info(str(p)).duration > 60]
    chosen: list[Path] = []
    total = 0.0
    while files and total < minutes * 60:
        path = files[len(chosen) % len(files)]
        chosen.append(path)
        total += sf.info(str(path)).duration - CROSSFADE_S
    return chosen


def generated_tracks(minutes: float, folder: Path) -> list[Path]:
    """Five-minute FLAC tracks of softened noise at three levels 10 dB apart, written block by block."""
    from scipy.signal import lfilter

    rng = np.random.default_rng(0)
    paths = []
    for index in range(int(np.ceil(minutes / 5))):
        path = folder / f"track{index:02d}.flac"
        level = 0.03 * 10 ** ((index % 3) / 2)  # RMS 0.03, 0.095, 0.3
        with sf.SoundFile(str(path), "w", samplerate=RATE, channels=2, subtype="PCM_16") as handle:
            state = np.zeros((1, 2))
            for _ in range(5 * 60):  # one second at a time keeps the generator's own memory small
                white = rng.standard_normal((RATE, 2))
                soft, state = lfilter([0.3], [1, -0.7], white, axis=0, zi=state)  # gentle low-pass
                handle.write(np.clip(soft * level / 0.42, -1, 1))
        paths.append(path)
    return paths


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (ffmpeg encoders and decoders)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    """Render the mix and print time, speed, memory and measured loudness."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--format", choices=["flac", "wav", "mp3"], default="flac")
    parser.add_argument(
        "--generated", action="store_true", help="use generated tracks even if the corpus exists"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        use_corpus = CORPUS.is_dir() and not args.generated
        paths = corpus_tracks(args.minutes) if use_corpus else generated_tracks(args.minutes, folder)
        if not paths:
            sys.exit("no source tracks")
        budget = args.minutes * 60
        tracks = []
        for index, path in enumerate(paths):
            length = min(sf.info(str(path)).duration, budget + (CROSSFADE_S if index else 0.0))
            tracks.append(MixTrack(path, path.stem, length, CROSSFADE_S if index else 0.0))
            budget -= length - (CROSSFADE_S if index else 0.0)
            if budget <= 0:
                break
        out = folder / f"mix.{args.format}"
        started, cpu_before = time.perf_counter(), _cpu_seconds()
        result = mix_to_file(tracks, out, OPTIONS)
        elapsed, cpu = time.perf_counter() - started, _cpu_seconds() - cpu_before
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"source: {'corpus (Ogg Vorbis)' if use_corpus else 'generated FLAC'}, {len(tracks)} tracks")
        size_mb = out.stat().st_size / 1e6
        print(f"mix: {result.duration_s / 60:.1f} min {args.format} at {result.rate} Hz, {size_mb:.0f} MB")
        speed = result.duration_s / elapsed
        print(f"time: {elapsed:.1f} s = {speed:.0f}x real time (two passes: measure, render)")
        print(f"cpu: {cpu:.1f} s incl. ffmpeg = {result.duration_s / cpu:.0f}x real time per CPU second "
              "(wall time depends on what else the machine runs)")  # fmt: skip
        print(f"peak memory (whole process, RSS): {peak_mb:.0f} MB")
        print(f"measured: {result.integrated_lufs:.2f} LUFS (target {OPTIONS.target_lufs:g}), "
              f"true peak {result.true_peak_dbtp:.2f} dBTP")  # fmt: skip


if __name__ == "__main__":
    main()
