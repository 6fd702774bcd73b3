"""Start-up of quick commands beside the interpreter's own: `--help`, `library list`, `session list`.

Run:  .venv/bin/python benchmarks/startup_speed.py [--runs 9]

Each command is a fresh process of the product's command line on a small library (40 scanned tracks,
two saved sessions), run in turn with `python -c pass` after a warm-up:

    playlist-builder --help
    playlist-builder --db … library list
    playlist-builder --db … session list

Figures printed: median wall time (min–max) of each beside `python -c pass`'s, the median of the
per-pair ratios, and the command's CPU time (user + system: what it costs on an idle machine).
Target (issue 15): each under 0.3 s on this machine when it is otherwise idle.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf
from whole_process import alternate, median, paired_ratio, spread

COMMAND = [str(Path(sys.executable).parent / "playlist-builder")]
TARGET_S = 0.3


def small_library(folder: Path) -> str:
    """40 short WAVs scanned, analysed-free; two sessions are not needed for `session list` to read."""
    music = folder / "music"
    music.mkdir()
    tone = (0.1 * np.sin(2 * np.pi * 220 * np.arange(4_410) / 22_050)).astype(np.float32)
    for index in range(40):
        sf.write(str(music / f"Stück {index:02d}.wav"), tone, 22_050)
    url = f"sqlite:///{folder / 'library.sqlite3'}"
    subprocess.run([*COMMAND, "--db", url, "library", "scan", str(music)], check=True, capture_output=True)
    return url


def main() -> None:
    """Time each command beside `python -c pass` and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pb-startup-bench-") as tmp:
        url = small_library(Path(tmp))
        commands = {
            "--help": [*COMMAND, "--help"],
            "library list": [*COMMAND, "--db", url, "library", "list"],
            "session list": [*COMMAND, "--db", url, "session", "list"],
        }
        print(f"{'command':<14} {'wall s (min–max)':>22} {'python -c pass':>22} {'ratio':>6} {'CPU s':>6}")
        for name, command in commands.items():
            runs = alternate({"cmd": command, "python": [sys.executable, "-c", "pass"]}, args.runs)
            ratio, _low, _high = paired_ratio(runs["cmd"], runs["python"])
            cpu = median([run.cpu_s for run in runs["cmd"]])
            wall, python = spread(runs["cmd"]), spread(runs["python"])
            print(f"{name:<14} {wall:>22} {python:>22} {ratio:>5.1f}x {cpu:>6.2f}")
        print(f"target: each command under {TARGET_S} s wall on an otherwise idle machine; "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")  # fmt: skip


if __name__ == "__main__":
    main()
