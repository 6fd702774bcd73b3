"""Kill -9 loop over `export mix` and `export device`: what a killed export leaves, and whether re-runs heal.

Run: .venv/bin/python benchmarks/export_kill_loop.py [--runs 10] [--minutes 6]

Sets up the export tests' short session: generated tracks (rows stored directly, as those tests do:
this benchmark is about the export commands, which run as the product's own `playlist-builder`
processes) and a six-minute arc so each mix renders in seconds. Then, per run and per command: start
the command, kill -9 it at a random moment, run it again to completion, and count
- leftover temp files (`.pb-*.part`) after the re-run,
- leftover processes (anything still running from the killed command, e.g. an ffmpeg child),
- runs that did not converge (the re-run failed, or its files differ from a clean run's),
- database integrity failures (`PRAGMA integrity_check`).
All four should be 0.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playlist_builder.db.library import Library

ROOT = Path(__file__).resolve().parent.parent
# The export tests' short session (a six-minute arc, tracks of 30-70 s), so each mix renders in seconds.
sys.path.insert(0, str(ROOT / "tests" / "export"))
from export_fixtures import short_session_rules, stock_short_tracks  # noqa: E402

CLI = [str(Path(sys.executable).parent / "playlist-builder")]  # the installed command, as a clinic runs it


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, check=False)


def digest(paths: list[Path]) -> str:
    sha = hashlib.sha256()
    for path in sorted(paths):
        sha.update(path.name.encode())
        sha.update(path.read_bytes())
    return sha.hexdigest()


def outputs(target: Path) -> list[Path]:
    """The export's files (not temp files, not the sheet, whose 'exported to' list grows each run)."""
    files = [target] if target.is_file() else [p for p in target.rglob("*") if p.is_file()]
    return [p for p in files if not p.name.startswith(".") and not p.name.endswith(".html")]


def survivors(marker: str) -> list[str]:
    """Processes still running whose command line mentions `marker` (the benchmark's temp folder)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        if marker in command:
            found.append(f"{entry.name}: {command[:120]}")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--minutes", type=float, default=6.0)
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()
    random.seed(options.seed)
    with tempfile.TemporaryDirectory(prefix="pb-kill-loop-") as temp:
        base = Path(temp)
        db_path = base / "library.sqlite3"
        db_url = f"sqlite:///{db_path}"
        library = Library.open(db_url)
        try:
            stock_short_tracks(library, base / "music")
        finally:
            library.close()
        env = {
            **os.environ,
            "PLAYLIST_BUILDER_DB": db_url,
            "PLAYLIST_BUILDER_DATA_DIR": str(base / "data"),
            "PLAYLIST_BUILDER_RULES_DIR": str(short_session_rules(base)),
            "PLAYLIST_BUILDER_OFFLINE": "1",
        }
        built = run(
            ["session", "build", "--arc", "short", "--minutes", str(options.minutes), "--seed", "1"], env
        )
        assert built.returncode == 0, built.stderr
        card = base / "card"
        card.mkdir()
        commands = {
            "export mix": (
                ["export", "mix", "1", "--out", str(base / "out" / "mix.flac")],
                base / "out" / "mix.flac",
            ),
            "export device": (["export", "device", "1", "--to", str(card)], card),
        }
        (base / "out").mkdir()
        totals: dict[str, dict[str, int]] = {}
        for label, (args, target) in commands.items():
            started = time.perf_counter()
            clean = run(args, env)
            assert clean.returncode == 0, clean.stderr
            full_s = time.perf_counter() - started
            reference = digest(outputs(target))
            counts = {
                "runs": 0,
                "temp files left": 0,
                "processes left": 0,
                "not converged": 0,
                "integrity": 0,
            }
            for _ in range(options.runs):
                for path in outputs(target):
                    path.unlink()  # every run starts from nothing, so the kill lands mid-write
                process = subprocess.Popen([*CLI, *args], env=env, stdout=subprocess.DEVNULL,
                                           stderr=subprocess.DEVNULL)  # fmt: skip
                time.sleep(random.uniform(0.5, max(full_s, 1.0)))
                process.send_signal(signal.SIGKILL)
                process.wait()
                time.sleep(0.3)  # let orphaned children notice their parent is gone
                counts["processes left"] += len(survivors(temp))
                again = run(args, env)
                leftovers = list(base.rglob(".pb-*.part"))
                counts["runs"] += 1
                counts["temp files left"] += len(leftovers)
                if again.returncode != 0 or digest(outputs(target)) != reference:
                    counts["not converged"] += 1
                with sqlite3.connect(db_path) as db:
                    if db.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                        counts["integrity"] += 1
            totals[label] = counts
            print(f"{label}: clean run {full_s:.1f} s; " + ", ".join(f"{k} {v}" for k, v in counts.items()))
        bad = sum(v for counts in totals.values() for k, v in counts.items() if k != "runs")
        print("all zero" if bad == 0 else f"{bad} problems")


if __name__ == "__main__":
    main()
