"""How fast the sequencer builds a 60-minute plan as the library grows (1k, 10k, 100k classified tracks).

Targets (issue 5): under 100 ms from 1,000 tracks and under 1 s from 100,000 on this machine. Times are
for `build_plan` from a list of `Candidate` values (what the session service passes), the median of
several seeds after one warm-up run; the conversion to numpy columns is shown on its own. "arc err" is
how closely the plans follow the arc: the worst phase's mean absolute energy error
(`checks.phase_energy_errors`), averaged over the seeds. Exit status 1 if a target is missed.

    .venv/bin/python benchmarks/sequence_speed.py [--sizes 1000 10000 100000] [--runs 5] [--arc iv-infusion]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from playlist_builder.model import Category
from playlist_builder.sequence.arcs import load_arc
from playlist_builder.sequence.candidates import Candidate, CandidateTable
from playlist_builder.sequence.checks import phase_energy_errors
from playlist_builder.sequence.rules import load_sequence_rules
from playlist_builder.sequence.solver import build_plan

REPO = Path(__file__).resolve().parent.parent
TARGETS_S = {1_000: 0.1, 100_000: 1.0}
MINUTES = 60.0
TYPICAL_ENERGY = {
    Category.AMBIENT: 0.3,
    Category.BINAURAL: 0.2,
    Category.MINIMAL: 0.35,
    Category.NATURE: 0.25,
}


def generated_library(count: int, seed: int = 0) -> list[Candidate]:
    """A classified library: four kinds, energies around their typical values, 2-12 minute tracks."""
    rng = np.random.default_rng(seed)
    kinds = list(TYPICAL_ENERGY)
    kind = rng.integers(len(kinds), size=count)
    energy = np.clip(
        np.array([TYPICAL_ENERGY[kinds[k]] for k in kind]) + rng.normal(0, 0.08, count), 0.02, 0.9
    )
    duration = rng.uniform(120, 720, count)
    loudness = np.where(rng.random(count) < 0.8, rng.normal(-21, 2.5, count), np.nan)
    tempo = np.where(rng.random(count) < 0.4, rng.uniform(50, 110, count), np.nan)
    artist = rng.integers(max(count // 6, 3), size=count)
    return [
        Candidate(
            track_id=index + 1,
            title=f"Track {index}",
            artist=f"Artist {artist[index]}",
            duration_s=float(duration[index]),
            category=kinds[kind[index]],
            energy=float(energy[index]),
            loudness_lufs=None if np.isnan(loudness[index]) else float(loudness[index]),
            tempo_bpm=None if np.isnan(tempo[index]) else float(tempo[index]),
        )
        for index in range(count)
    ]


def measure(count: int, runs: int, arc_name: str) -> tuple[float, float, float, int, float]:
    """(median plan seconds, worst plan seconds, column conversion seconds, tracks in the plan, arc error)."""
    arc = load_arc(REPO / "rules" / "arcs", arc_name)
    rules = load_sequence_rules(REPO / "rules")
    library = generated_library(count)
    minutes = min(max(MINUTES, arc.min_minutes), arc.max_minutes)
    build_plan(arc, minutes, library, seed=0, rules=rules)  # warm-up: imports, caches
    times = []
    errors = []
    plan = None
    for seed in range(1, runs + 1):
        start = time.perf_counter()
        plan = build_plan(arc, minutes, library, seed=seed, rules=rules)
        times.append(time.perf_counter() - start)
        errors.append(max(phase_energy_errors(plan, arc).values()))
    start = time.perf_counter()
    CandidateTable.from_candidates(library)
    conversion = time.perf_counter() - start
    items = len(plan.items) if plan else 0
    return statistics.median(times), max(times), conversion, items, statistics.fmean(errors)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print one line per library size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--arc", default="iv-infusion")
    args = parser.parse_args(argv)
    print(f"{'tracks':>8}  {'median':>9}  {'worst':>9}  {'to numpy':>9}  {'plan':>5}  {'arc err':>7}  target")
    missed = False
    previous: tuple[int, float] | None = None
    for count in args.sizes:
        median, worst, conversion, items, error = measure(count, args.runs, args.arc)
        target = TARGETS_S.get(count)
        verdict = (
            "" if target is None else ("ok" if median < target else "MISSED") + f" (< {target * 1000:.0f} ms)"
        )
        missed |= target is not None and median >= target
        growth = f"  x{median / previous[1]:.1f} for x{count / previous[0]:.0f} tracks" if previous else ""
        print(
            f"{count:>8}  {median * 1000:>7.1f}ms  {worst * 1000:>7.1f}ms  {conversion * 1000:>7.1f}ms  "
            f"{items:>5}  {error:>7.3f}  {verdict}{growth}"
        )
        previous = (count, median)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
