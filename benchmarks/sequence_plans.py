"""Which plans the sequencer builds: a digest per (library, arc, length, seed), to compare before and after.

A change to `sequence/` that is meant to keep behaviour must leave every line identical; any line that
moves is a change to explain. Libraries:

- `demo`: the candidates of the demo library (`playlist-builder demo`: generated music, scanned,
  analysed and classified by the product, then read with `services.session.session_candidates`).
  Analysing the demo takes minutes and moves when the analysis or classification rules move, so the
  candidates are frozen in `sequence_plans_demo.json`; `--demo-dir DIR` re-reads them from a demo
  database (running the demo there first when it has none) and `--save-demo` rewrites the file.
- `gen1000`, `gen10000`: the generated libraries of `sequence_speed.py`.

Each line: library, arc, minutes, seed, then the plan's track ids in order, its total length and its
total cost, or the error it was refused with. `--check FILE` compares with a saved run (exit 1 when a
line differs) and prints the time taken per library.

    .venv/bin/python benchmarks/sequence_plans.py [--check benchmarks/sequence_plans.expected.txt]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path

from playlist_builder.errors import PlaylistBuilderError
from playlist_builder.model import Category
from playlist_builder.sequence.arcs import load_arcs
from playlist_builder.sequence.candidates import Candidate
from playlist_builder.sequence.rules import load_sequence_rules
from playlist_builder.sequence.solver import build_plan

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sequence_speed import generated_library

REPO = Path(__file__).resolve().parent.parent
DEMO_CANDIDATES = Path(__file__).resolve().parent / "sequence_plans_demo.json"
SEEDS = (1, 2, 3, 20261123)
GENERATED_SIZES = (1_000, 10_000)


def lengths(arc_min: float, arc_default: float, arc_max: float) -> list[float]:
    """The lengths tried per arc: its shortest, its default and its longest."""
    return sorted({arc_min, arc_default, arc_max})


def demo_candidates_from(demo_dir: Path) -> list[Candidate]:
    """The demo library's candidates as the session service reads them (runs the demo if needed)."""
    from playlist_builder.config import load_settings
    from playlist_builder.db.library import Library
    from playlist_builder.services.demo import demo_settings, run_demo
    from playlist_builder.services.session import session_candidates

    settings = load_settings()
    own = demo_settings(settings, demo_dir.absolute())
    if not (demo_dir / "demo.sqlite3").exists():
        run_demo(settings, demo_dir=demo_dir.absolute(), jobs=1)
    library = Library.open(own.db_url)
    try:
        return session_candidates(library)
    finally:
        library.close()


def save_demo(candidates: list[Candidate], path: Path) -> None:
    """Freeze the demo candidates to JSON."""
    rows = []
    for candidate in candidates:
        row = asdict(candidate)
        row["category"] = candidate.category.value
        row["secondary_category"] = (
            candidate.secondary_category.value if candidate.secondary_category else None
        )
        rows.append(row)
    path.write_text(json.dumps(rows, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def load_demo(path: Path) -> list[Candidate]:
    """The frozen demo candidates."""
    rows = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for row in rows:
        row["category"] = Category(row["category"])
        secondary = row["secondary_category"]
        row["secondary_category"] = Category(secondary) if secondary else None
        out.append(Candidate(**row))
    return out


def digest_lines(name: str, library: list[Candidate]) -> list[str]:
    """One line per (arc, length, seed) plan built from `library`."""
    rules = load_sequence_rules(REPO / "rules")
    out = []
    for arc_name, arc in sorted(load_arcs(REPO / "rules" / "arcs").items()):
        for minutes in lengths(arc.min_minutes, arc.default_minutes, arc.max_minutes):
            for seed in SEEDS:
                head = f"{name} {arc_name} {minutes:g} {seed}:"
                try:
                    plan = build_plan(arc, minutes, library, seed=seed, rules=rules)
                except PlaylistBuilderError as error:
                    out.append(f"{head} refused: {error}")
                    continue
                ids = ",".join(str(item.track_id) for item in plan.items)
                cost = sum(item.costs["total"] for item in plan.items)
                out.append(f"{head} [{ids}] total_s={plan.total_s:.2f} cost={cost:.4f}")
    return out


def main(argv: list[str] | None = None) -> int:
    """Print the digest of every plan; with --check, compare with a saved digest."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo-dir", type=Path, help="read the demo candidates from this demo folder")
    parser.add_argument("--save-demo", action="store_true", help="rewrite the frozen demo candidates")
    parser.add_argument("--check", type=Path, help="a saved digest to compare with")
    parser.add_argument("--sizes", type=int, nargs="*", default=list(GENERATED_SIZES))
    args = parser.parse_args(argv)
    if args.demo_dir is not None:
        demo = demo_candidates_from(args.demo_dir)
        if args.save_demo:
            save_demo(demo, DEMO_CANDIDATES)
    else:
        demo = load_demo(DEMO_CANDIDATES)
    libraries = [("demo", demo)] + [(f"gen{size}", generated_library(size)) for size in args.sizes]
    lines: list[str] = []
    timings: list[str] = []
    for name, library in libraries:
        start = time.perf_counter()
        lines += digest_lines(name, library)
        timings.append(f"# {name}: {len(library)} tracks, {time.perf_counter() - start:.2f} s")
    for line in lines:
        print(line)
    for line in timings:
        print(line, file=sys.stderr)
    if args.check is None:
        return 0
    expected = [
        line for line in args.check.read_text(encoding="utf-8").splitlines() if not line.startswith("#")
    ]
    differing = [(old, new) for old, new in zip(expected, lines, strict=False) if old != new]
    if len(expected) != len(lines):
        print(f"# {len(expected)} lines expected, {len(lines)} printed", file=sys.stderr)
    for old, new in differing:
        print(f"- {old}\n+ {new}", file=sys.stderr)
    print(f"# {len(differing)} of {len(lines)} plans differ", file=sys.stderr)
    return 1 if differing or len(expected) != len(lines) else 0


if __name__ == "__main__":
    sys.exit(main())
