"""What each of the solver's search strategies earns: plan cost and time with it and without it.

The solver finds first plans with the beam search (phase ends aimed tightly, then loosely) and the
depth-first walk, prices material a later phase needs (reservation prices, reserve.py), and polishes
the cheapest first plans with the improver. This benchmark builds the plans of
`sequence_plans.py` (every arc x shortest/default/longest length x 4 seeds) once with everything,
then once without each strategy, and prints per library: plans refused, the summed plan cost and its
change against the full solver, how many plans got worse or better, and the time per plan. A second
table shows where the full solver's time goes, stage by stage.

    .venv/bin/python benchmarks/sequence_strategies.py [--sizes 1000 10000 100000]
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from playlist_builder.errors import InfeasibleSessionError, PlaylistBuilderError
from playlist_builder.model import Arc
from playlist_builder.sequence import solver
from playlist_builder.sequence.arcs import load_arcs
from playlist_builder.sequence.beam import BeamSearch
from playlist_builder.sequence.candidates import Candidate
from playlist_builder.sequence.evaluate import PlanCost
from playlist_builder.sequence.improve import Improver
from playlist_builder.sequence.reserve import outlook
from playlist_builder.sequence.rules import SequenceRules, load_sequence_rules
from playlist_builder.sequence.search import Search, Solution
from playlist_builder.sequence.setup import ADVICE, Prepared, reaimed

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sequence_plans import DEMO_CANDIDATES, SEEDS, lengths, load_demo
from sequence_speed import generated_library

REPO = Path(__file__).resolve().parent.parent
PlanKey = tuple[str, str, float, int]


def first_plans_without(skip: frozenset[str]) -> Callable[..., Any]:
    """`solver._first_plans` with the named strategies left out ("depth-first", "loose", "beam")."""

    def first_plans(prepared: Prepared, arc: Arc, rules: SequenceRules, judge: PlanCost) -> list[Solution]:
        view = outlook(prepared, rules)
        attempts = solver._attempt_rules(rules)[: 1 if "loose" in skip else None]
        starts: list[Solution] = []
        failure: InfeasibleSessionError | None = None
        walked = False
        for tuned in attempts:
            aimed = prepared if tuned is rules else reaimed(prepared, tuned)
            if "beam" not in skip:
                with contextlib.suppress(InfeasibleSessionError):
                    starts.append(BeamSearch(aimed, arc, tuned, judge, view).run())
            if not walked and not ("depth-first" in skip and starts):
                try:
                    starts.append(Search(aimed, arc, tuned).run())
                    walked = True
                except InfeasibleSessionError as error:
                    failure = error
        if not starts:
            raise failure if failure is not None else InfeasibleSessionError(f"no plan found; {ADVICE}")
        return starts

    return first_plans


def build_all(libraries: list[tuple[str, list[Candidate]]], rules: SequenceRules) -> dict[PlanKey, tuple]:
    """(total cost or None when refused, seconds) per plan."""
    arcs = load_arcs(REPO / "rules" / "arcs")
    out: dict[PlanKey, tuple] = {}
    for name, library in libraries:
        for arc_name, arc in sorted(arcs.items()):
            for minutes in lengths(arc.min_minutes, arc.default_minutes, arc.max_minutes):
                for seed in SEEDS:
                    start = time.perf_counter()
                    try:
                        plan = solver.build_plan(arc, minutes, library, seed=seed, rules=rules)
                        cost = sum(item.costs["total"] for item in plan.items)
                    except PlaylistBuilderError:
                        cost = None
                    out[(name, arc_name, minutes, seed)] = (cost, time.perf_counter() - start)
    return out


def stage_times(libraries: list[tuple[str, list[Candidate]]], rules: SequenceRules) -> None:
    """Milliseconds per plan spent in each stage of the full solver (default lengths)."""
    spent: dict[str, float] = defaultdict(float)
    originals = {
        "prepare": solver.prepare,
        "outlook": solver.outlook,
        "beam": BeamSearch.run,
        "improver": Improver.run,
    }
    walk = Search.run

    def timed(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[name] += time.perf_counter() - start

        return wrapper

    def depth_first(self: Search) -> Any:
        return timed("depth-first", walk)(self) if type(self) is Search else walk(self)

    solver.prepare, solver.outlook = timed("prepare", solver.prepare), timed("outlook", solver.outlook)
    BeamSearch.run, Improver.run = timed("beam", BeamSearch.run), timed("improver", Improver.run)
    Search.run = depth_first
    try:
        arcs = load_arcs(REPO / "rules" / "arcs")
        for name, library in libraries:
            spent.clear()
            count, start = 0, time.perf_counter()
            for arc in arcs.values():
                for seed in SEEDS:
                    with contextlib.suppress(PlaylistBuilderError):
                        solver.build_plan(arc, arc.default_minutes, library, seed=seed, rules=rules)
                    count += 1
            total = (time.perf_counter() - start) / count * 1000
            stages = ", ".join(f"{stage} {seconds / count * 1000:.0f}" for stage, seconds in spent.items())
            print(f"{name:>10}  {total:>6.0f} ms/plan: {stages}")
    finally:
        solver.prepare, solver.outlook = originals["prepare"], originals["outlook"]
        BeamSearch.run, Improver.run, Search.run = originals["beam"], originals["improver"], walk


def main(argv: list[str] | None = None) -> int:
    """Print the table of strategies and the table of stage times."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[1_000, 10_000])
    args = parser.parse_args(argv)
    rules = load_sequence_rules(REPO / "rules")
    libraries = [("demo", load_demo(DEMO_CANDIDATES))]
    libraries += [(f"gen{size}", generated_library(size)) for size in args.sizes]
    search = rules.search
    variants: list[tuple[str, frozenset[str], SequenceRules]] = [
        ("full solver", frozenset(), rules),
        ("no depth-first start", frozenset({"depth-first"}), rules),
        ("no loose-aim beam", frozenset({"loose"}), rules),
        ("no reservation prices", frozenset(), replace(rules, search=replace(search, reserve=0.0))),
        ("no improver", frozenset(), replace(rules, search=replace(search, improvement_passes=0))),
        ("no beam (walk only)", frozenset({"beam"}), rules),
    ]
    original = solver._first_plans
    build_all(libraries[:1], rules)  # warm-up: imports, caches
    results = {}
    try:
        for label, skip, tuned in variants:
            solver._first_plans = first_plans_without(skip) if skip else original
            results[label] = build_all(libraries, tuned)
    finally:
        solver._first_plans = original
    full = results["full solver"]
    print(
        f"{'variant':<22} {'library':>9} {'plans':>5} {'refused':>7} {'cost':>8} {'change':>7} {'worse':>5} "
        f"{'better':>6} {'ms/plan':>7}"
    )
    for label, found in results.items():
        for name, _ in libraries:
            keys = [key for key in found if key[0] == name]
            both = [key for key in keys if found[key][0] is not None and full[key][0] is not None]
            cost = sum(found[key][0] for key in both)
            base = sum(full[key][0] for key in both)
            worse = sum(found[key][0] > full[key][0] + 1e-4 for key in both)
            better = sum(found[key][0] < full[key][0] - 1e-4 for key in both)
            refused = sum(found[key][0] is None for key in keys)
            per_plan = sum(found[key][1] for key in keys) / len(keys) * 1000
            change = 100 * (cost / base - 1) if base else 0.0
            print(
                f"{label:<22} {name:>9} {len(keys):>5} {refused:>7} {cost:>8.2f} {change:>+6.2f}% {worse:>5} "
                f"{better:>6} {per_plan:>7.0f}"
            )
    print("\nwhere the full solver's time goes (ms per plan, default lengths):")
    stage_times(libraries, rules)
    return 0


if __name__ == "__main__":
    sys.exit(main())
