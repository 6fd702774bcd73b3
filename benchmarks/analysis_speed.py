"""Analysis speed through the product's own command: `analyze --jobs 2` against `--jobs 1`, × real time.

Run:  .venv/bin/python benchmarks/analysis_speed.py [--tracks N] [--runs R] [--long-file]

The library is built in a temp dir from the development corpus's 3–10 minute Wesnoth tracks (real
music, `.corpus/wesnoth`), or from synthesized music when the corpus is absent, and registered with
`playlist-builder library scan`. Then the command a clinic runs is timed as whole processes, in turn
(A B A B …) after a warm-up, so the comparison holds while a shared machine's speed drifts:

    playlist-builder --db … analyze --force --jobs 2      (A)
    playlist-builder --db … analyze --force --jobs 1      (B)

Nothing here sets thread counts or environment variables: the command must cap its own math threads.
Figures printed (medians; each ratio is the median of the per-pair ratios of one run of this script):
- wall time of A and B and the ratio A/B (target ≤ 0.6 on two idle cores);
- the same ratio from CPU time, which a busy machine does not distort: each command's longest chain,
  its own process's CPU time plus its busiest worker's (the wall time it would take with a core per
  worker), and the ratio of total CPU time (what the second worker costs: its start-up);
- per-core real-time factor: audio seconds ÷ (wall seconds × cores used), from B (one worker);
- the same from CPU time (audio ÷ user+system seconds of the whole command): what one core delivers
  when other work shares the machine (target ≥ 150× with every voice ear, issue 15; 250× was the
  target before the ears);
- peak memory of the largest process of each command (target < 300 MB);
- with --long-file: an 8-hour FLAC through the same command (wall time and peak memory).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
from whole_process import alternate, median, paired_ratio, run_once, spread

from playlist_builder.audio.decode import ffmpeg_binary

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / ".corpus"
COMMAND = [str(Path(sys.executable).parent / "playlist-builder")]
MIN_TRACK_S, MAX_TRACK_S = 180.0, 600.0
LONG_FILE_S = 8 * 3600
TARGET_RATIO = 0.6
TARGET_SPEED = 150.0  # with every voice ear (issue 15); 250 before the ears were added
TARGET_MEMORY_MB = 300.0


def _ffmpeg(*args: str) -> None:
    binary = ffmpeg_binary()
    if binary is None:
        sys.exit("no ffmpeg binary (install imageio-ffmpeg)")
    subprocess.run([binary, "-v", "error", "-y", "-nostdin", *args], check=True)


def corpus_sources(count: int) -> list[Path]:
    """Corpus tracks 3–10 minutes long, in name order."""
    found = []
    for path in sorted((CORPUS / "wesnoth").glob("*.ogg")) if CORPUS.is_dir() else []:
        if MIN_TRACK_S <= sf.info(str(path)).duration <= MAX_TRACK_S:
            found.append(path)
    return found[:count]


def synthesized_sources(folder: Path, count: int) -> list[Path]:
    """Music-like FLACs: chords with harmonics, a soft beat, light noise; 3 to 10 minutes."""
    rate = 44_100
    rng = np.random.default_rng(0)
    sources = []
    for index in range(count):
        duration = MIN_TRACK_S + (MAX_TRACK_S - MIN_TRACK_S) * index / max(1, count - 1)
        t = np.arange(int(duration * rate)) / rate
        roots = rng.choice([110.0, 130.8, 146.8, 164.8, 196.0, 220.0], size=3)
        music = sum(np.sin(2 * np.pi * root * h * t) / h for root in roots for h in (1, 2, 3)) * 0.03
        beat = 0.1 * np.sin(2 * np.pi * 60 * t) * (np.sin(2 * np.pi * t) > 0.95)
        mono = (music + beat + 0.01 * rng.standard_normal(t.size)).astype(np.float32)
        path = folder / f"synth-{index}.flac"
        sf.write(str(path), np.stack([mono, mono[::-1]], axis=1), rate)
        sources.append(path)
    return sources


def build_library(folder: Path, count: int) -> tuple[str, float]:
    """A scanned library of `count` tracks; its database URL and its total audio seconds."""
    music = folder / "music"
    music.mkdir()
    sources = corpus_sources(count)
    if sources:
        for source in sources:
            os.symlink(source, music / source.name)
    else:
        sources = synthesized_sources(music, count)
    url = f"sqlite:///{folder / 'library.sqlite3'}"
    subprocess.run([*COMMAND, "--db", url, "library", "scan", str(music)], check=True, capture_output=True)
    return url, sum(sf.info(str(path)).duration for path in sources)


def long_file_figures(folder: Path) -> None:
    """An 8-hour 44.1 kHz stereo FLAC of quiet pink noise with a slow swell, through the command."""
    long_dir = folder / "long"
    long_dir.mkdir()
    path = long_dir / "eight-hours.flac"
    source = f"anoisesrc=c=pink:r=44100:a=0.02:d={LONG_FILE_S}"
    _ffmpeg("-f", "lavfi", "-i", source, "-af", "volume='1+0.5*sin(2*PI*t/20)':eval=frame", "-ac", "2",
            "-sample_fmt", "s16", "-compression_level", "0", str(path))  # fmt: skip
    url = f"sqlite:///{folder / 'long.sqlite3'}"
    subprocess.run([*COMMAND, "--db", url, "library", "scan", str(long_dir)], check=True, capture_output=True)
    run = run_once([*COMMAND, "--db", url, "analyze", "--force"])
    print(f"8-hour file: {run.wall_s:.1f} s wall, {run.cpu_s:.1f} s CPU, peak {run.peak_mb:.0f} MB")


def main() -> None:
    """Build the library, time both commands in turn, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=25, help="source tracks (3–10 minutes each)")
    parser.add_argument("--runs", type=int, default=3, help="counted runs of each command")
    parser.add_argument("--long-file", action="store_true", help="also analyse an 8-hour file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pb-analysis-bench-") as tmp:
        folder = Path(tmp)
        print("building the library ...", flush=True)
        url, audio_s = build_library(folder, args.tracks)
        print(
            f"library: {args.tracks} tracks, {audio_s / 60:.1f} min of audio; load average {os.getloadavg()}"
        )
        base = [*COMMAND, "--db", url, "analyze", "--force"]
        started = time.perf_counter()
        runs = alternate(
            {"jobs2": [*base, "--jobs", "2"], "jobs1": [*base, "--jobs", "1"]}, args.runs, per_process=True
        )
        ratio, low, high = paired_ratio(runs["jobs2"], runs["jobs1"])
        critical, c_low, c_high = paired_ratio(runs["jobs2"], runs["jobs1"], "critical_cpu_s")
        cpu_ratio, _, _ = paired_ratio(runs["jobs2"], runs["jobs1"], "cpu_s")
        print(f"measured in {time.perf_counter() - started:.0f} s; load average now {os.getloadavg()}")
        print(f"analyze --jobs 2 wall s : {spread(runs['jobs2'])}")
        print(f"analyze --jobs 1 wall s : {spread(runs['jobs1'])}")
        print(f"jobs 2 / jobs 1 wall    : {ratio:.2f} (pairs {low:.2f}–{high:.2f}; target ≤ {TARGET_RATIO})")
        print(f"jobs 2 / jobs 1 by CPU  : {critical:.2f} on the longest chain "
              f"(pairs {c_low:.2f}–{c_high:.2f}), {cpu_ratio:.2f} in total CPU")  # fmt: skip
        for name in ("jobs2", "jobs1"):
            split = ", ".join(f"{cpu:.1f}" for cpu in runs[name][0].process_cpu_s)
            print(f"  --{name[:4]} {name[4]} CPU s by process (command, then workers; first run): {split}")
        for name, jobs in (("jobs1", 1), ("jobs2", 2)):
            wall = median([run.wall_s for run in runs[name]])
            cpu = median([run.cpu_s for run in runs[name]])
            peak = median([run.peak_mb for run in runs[name]])
            print(f"--{name[:4]} {jobs}: per-core × real time {audio_s / (wall * jobs):5.0f}x by wall, "
                  f"{audio_s / cpu:5.0f}x by CPU time (target ≥ {TARGET_SPEED:.0f}x); "
                  f"peak {peak:.0f} MB (target < {TARGET_MEMORY_MB:.0f} MB)")  # fmt: skip
        if args.long_file:
            long_file_figures(folder)


if __name__ == "__main__":
    main()
