"""Kill -9 loop over `library scan` and `analyze --jobs 2`: what a killed run leaves, whether re-runs heal.

Run: .venv/bin/python benchmarks/kill_loop_scan_analyze.py [--runs 5] [--files 300] [--tracks 10]

Generates ~300 small files (0.5 s WAV/FLAC) for the scan and ~10 tracks of 20-60 s (FLAC) for the
analysis. Per run and per command, on a fresh database (for analyze: a fresh copy of a scanned one):
start the product's own command (`--db` on its command line, in its own process group), kill -9 the
leader alone, by pid, at a random moment, wait up to 10 s for its children to go, then run the same
command again to completion and once more. Counts
- integrity failures (`PRAGMA integrity_check`),
- runs that did not converge (a re-run failed, or the second re-run changed the number of tracks or
  analysed tracks),
- leftover processes (the killed command's children, or anything naming this run's database, still
  alive 10 s after the kill),
- leftover temp files (`.pb-*.part` or any other new file in the music or database folder after the
  re-runs, besides the database and its WAL/SHM).
All four should be 0.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile

CLI = [str(Path(sys.executable).parent / "playlist-builder")]  # the installed command, as a clinic runs it
SAMPLE_RATE = 22050
SURVIVOR_GRACE_S = 10.0  # how long killed children may take to notice their parent is gone
DB_COMPANIONS = ("", "-wal", "-shm")


def generate(music: Path, files: int, seconds: tuple[float, float], rng: np.random.Generator) -> None:
    """Tone-and-noise files, alternating WAV and FLAC, each `seconds` long (a range)."""
    music.mkdir(parents=True)
    for index in range(files):
        length = rng.uniform(*seconds)
        t = np.arange(int(SAMPLE_RATE * length)) / SAMPLE_RATE
        tone = 0.2 * np.sin(2 * np.pi * rng.uniform(110, 880) * t) + 0.02 * rng.standard_normal(t.size)
        extension = "flac" if index % 2 or seconds[0] > 5 else "wav"
        soundfile.write(music / f"track {index:04d}.{extension}", tone.astype(np.float32), SAMPLE_RATE)


def descendants(root: int) -> set[int]:
    """Pids whose parent chain leads to `root`."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found: set[int] = set()
    frontier = {root}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    """Running and not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def naming(marker: str) -> set[int]:
    """Live pids whose command line mentions `marker` (this run's database path)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        if marker in command and alive(int(entry.name)):
            found.add(int(entry.name))
    return found


def counts(db_path: Path) -> tuple[int, int]:
    """(tracks, analysed tracks) in the database."""
    with sqlite3.connect(db_path) as db:
        tracks = db.execute("SELECT count(*) FROM tracks").fetchone()[0]
        analysed = db.execute("SELECT count(*) FROM features").fetchone()[0]
    return tracks, analysed


def listing(*folders: Path) -> set[Path]:
    return {path for folder in folders for path in folder.rglob("*") if path.is_file()}


def one_run(args: list[str], db_path: Path, music: Path, kill_after_s: float) -> dict[str, int]:
    """Start, kill -9 the leader after `kill_after_s`, check survivors, re-run twice; problem counts."""
    before = listing(music, db_path.parent)
    process = subprocess.Popen(
        [*CLI, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    time.sleep(kill_after_s)
    children = descendants(process.pid)
    process.send_signal(signal.SIGKILL)  # the leader only: what a crash or an OOM kill does
    process.wait()
    deadline = time.monotonic() + SURVIVOR_GRACE_S
    left: set[int] = set()
    while time.monotonic() < deadline:
        left = {pid for pid in children if alive(pid)} | naming(str(db_path))
        if not left:
            break
        time.sleep(0.2)
    for pid in left:  # clean up what we started, by pid, so the next run starts clear
        with contextlib.suppress(OSError):
            print(f"    survivor {pid}: {Path(f'/proc/{pid}/cmdline').read_bytes()[:100]!r}")
            os.kill(pid, signal.SIGKILL)
    again = subprocess.run([*CLI, *args], capture_output=True, check=False)
    first = counts(db_path) if again.returncode == 0 else None
    third = subprocess.run([*CLI, *args], capture_output=True, check=False)
    second = counts(db_path) if third.returncode == 0 else None
    converged = first is not None and first == second
    if not converged:
        print(f"    not converged: re-run rc {again.returncode}, {first} then {second}")
    with sqlite3.connect(db_path) as db:
        intact = db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    allowed = {db_path.with_name(db_path.name + suffix) for suffix in DB_COMPANIONS}
    new_files = listing(music, db_path.parent) - before - allowed
    for path in sorted(new_files):
        print(f"    temp file left: {path.name}")
    return {
        "integrity": 0 if intact else 1,
        "not converged": 0 if converged else 1,
        "processes left": len(left),
        "temp files left": len(new_files),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--tracks", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()
    random.seed(options.seed)
    rng = np.random.default_rng(options.seed)
    with tempfile.TemporaryDirectory(prefix="pb-kill-scan-") as temp:
        base = Path(temp)
        small, long = base / "small", base / "long"
        generate(small, options.files, (0.5, 0.5), rng)
        generate(long, options.tracks, (20.0, 60.0), rng)
        scanned = base / "scanned" / "db.sqlite3"  # the analysis's starting point, scanned once
        scanned.parent.mkdir()
        done = subprocess.run([*CLI, "--db", f"sqlite:///{scanned}", "library", "scan", str(long)],
                              capture_output=True, text=True, check=False)  # fmt: skip
        assert done.returncode == 0, done.stderr
        commands = {"library scan": (["library", "scan", str(small)], small, None),
                    "analyze --jobs 2": (["analyze", "--jobs", "2"], long, scanned)}  # fmt: skip
        totals: dict[str, dict[str, int]] = {}
        for label, (args, music, seed_db) in commands.items():
            db_path = base / "clean" / "db.sqlite3"
            db_path.parent.mkdir(exist_ok=True)
            if seed_db:
                shutil.copy(seed_db, db_path)
            started = time.perf_counter()
            clean = subprocess.run(
                [*CLI, "--db", f"sqlite:///{db_path}", *args], capture_output=True, check=False
            )
            assert clean.returncode == 0, clean.stderr
            full_s = time.perf_counter() - started
            print(f"{label}: clean run {full_s:.1f} s, {counts(db_path)} (tracks, analysed)")
            shutil.rmtree(db_path.parent)
            total = {"runs": 0, "integrity": 0, "not converged": 0, "processes left": 0, "temp files left": 0}
            for index in range(options.runs):
                db_path = base / f"{label.split()[0]}-{index}" / "db.sqlite3"
                db_path.parent.mkdir()
                if seed_db:
                    shutil.copy(seed_db, db_path)
                result = one_run(
                    ["--db", f"sqlite:///{db_path}", *args],
                    db_path,
                    music,
                    random.uniform(0.3, max(full_s, 0.5)),
                )
                total["runs"] += 1
                for key, value in result.items():
                    total[key] += value
            totals[label] = total
            print(f"{label}: " + ", ".join(f"{k} {v}" for k, v in total.items()))
        for key in ("integrity", "not converged", "processes left", "temp files left"):
            print(f"{key}: {sum(total[key] for total in totals.values())}")


if __name__ == "__main__":
    main()
