"""Issue 11's figures: how the product's own pipeline treats untagged audio, judged by its labels.

Runs the `playlist-builder` CLI of this checkout (library scan, analyze, classify --offline,
library list --json) on a fresh temporary database over a labelled folder, then prints:
- voiced tracks passed as `instrumental`, per level (+6, 0, -6, -12 dB, alone) and per voice kind;
- recall (held as vocal or unknown) per voice kind and per level, with the 95% upper bound on the
  miss rate (3/n with no miss in n; otherwise the exact one-sided Clopper-Pearson bound);
- whether the windows named by vocal/unknown verdicts overlap the labelled voice windows;
- the share of voice-free tracks held (unknown or vocal), and which;
- the share of calm untagged instrumentals that got a session category, exact accuracy, and the
  confusion table; busy music that did not stay `unclassified`;
- any music or noise bed (and any voice) called `nature`.

    .venv/bin/python benchmarks/classify_by_ear.py [SET] [--jobs 2] [--work DIR] [--json OUT]
                                                   [--compare EARLIER.json] [--verbose]

SET is the development set built by benchmarks/devset/build.py (default /work/devset) or the shared
development corpus (e.g. /work/main/.corpus); both have a labels.csv, with different columns.
--work keeps the database in DIR and reuses it (analysis is incremental) instead of a temp dir.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from scipy.stats import beta

SESSION_CATEGORIES = ("ambient", "binaural", "minimal", "nature")
CATEGORIES = (*SESSION_CATEGORIES, "unclassified")
LYRICS = ("instrumental", "unknown", "vocal")
HELD = ("unknown", "vocal")
LEVEL_ORDER = ("+6", "0", "-6", "-12", "alone", "in music")
CONFIDENCE = 0.95
# shared corpus: mixes/<kind>_over_<bed>_snr{p6,0,m6}.flac
CORPUS_SNR = {"p6": "+6", "0": "0", "m6": "-6"}


@dataclass(frozen=True)
class Truth:
    """One labelled file, in the terms of issue 11 whichever set it comes from."""

    path: str
    group: str
    voice: str  # yes | no | unknown
    voice_kind: str
    level: str  # +6 | 0 | -6 | -12 | alone | "" (no voice)
    density: str
    expected: tuple[str, ...]  # accepted categories; ("vocal",) for voiced; () when not scored
    calm: bool  # a calm untagged instrumental that a session could use
    music: bool  # music or a noise bed: never nature
    windows: tuple[tuple[float, float], ...]


def _level(value: str) -> str:
    if value == "":
        return "alone"
    number = int(float(value))
    return f"+{number}" if number > 0 else str(number)


def read_devset(rows: list[dict[str, str]]) -> list[Truth]:
    """labels.csv written by benchmarks/devset/build.py."""
    truths = []
    for r in rows:
        expected = tuple(e for e in r["expected"].split("/") if e)
        voiced = r["voice"] == "yes"
        windows = tuple(
            (float(a), float(b)) for a, b in (w.split("-", 1) for w in r["voice_windows"].split(";") if w)
        )
        truths.append(
            Truth(
                path=r["path"],
                group=r["group"],
                voice=r["voice"],
                voice_kind=r["voice_kind"],
                level=("in music" if r["group"] == "voice_in_music" else _level(r["level_db"]))
                if voiced
                else "",
                density=r["density"],
                expected=expected,
                calm=not voiced and any(e in SESSION_CATEGORIES for e in expected),
                music=not voiced and "nature" not in expected,
                windows=windows,
            )
        )
    return truths


def read_corpus(rows: list[dict[str, str]]) -> list[Truth]:
    """labels.csv of the shared development corpus (../shared/corpus)."""
    truths = []
    for r in rows:
        voice = r["has_vocals"]
        category = r["category"]
        level, kind = "", ""
        if voice == "yes":
            m = re.search(r"_snr(p6|0|m6)\.", r["path"])
            level = CORPUS_SNR[m.group(1)] if m else ("in music" if r["group"] == "wesnoth" else "alone")
            kind = {"vocal-music": "sung_synthetic", "speech": "speech"}.get(category, category)
            if r["group"] == "wesnoth":
                kind = "choir_in_score"
        expected: tuple[str, ...] = ()
        if category in SESSION_CATEGORIES:
            expected = (category,)
        elif voice == "yes":
            expected = ("vocal",)
        truths.append(
            Truth(
                path=r["path"],
                group=r["group"],
                voice=voice,
                voice_kind=kind,
                level=level,
                density="",
                expected=expected,
                calm=voice == "no" and category in SESSION_CATEGORIES,
                music=voice != "yes" and category != "nature",
                windows=(),
            )
        )
    return truths


def read_labels(folder: Path) -> list[Truth]:
    """Whichever labels.csv the folder has."""
    with open(folder / "labels.csv", encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
        fields = set(reader.fieldnames or ())
    if {"voice", "voice_kind", "expected"} <= fields:
        return read_devset(rows)
    if {"has_vocals", "category"} <= fields:
        return read_corpus(rows)
    raise SystemExit(f"{folder}/labels.csv: unknown columns {sorted(fields)}")


# ---------------------------------------------------------------- running the product


def cli(work: Path, *args: str) -> object:
    """Run this checkout's CLI on the benchmark database; return its --json output."""
    cmd = [
        sys.executable, "-m", "playlist_builder",
        "--db", f"sqlite:///{work / 'bench.sqlite3'}", "--data-dir", str(work / "data"),
        *args, "--json",
    ]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout)


def run_pipeline(folder: Path, truths: list[Truth], work: Path, jobs: int) -> tuple[list[dict], dict]:
    """scan -> analyze -> classify --offline -> library list; return the views and timings."""
    tops = sorted({folder / Path(t.path).parts[0] for t in truths})
    timings: dict[str, float] = {}
    started = time.perf_counter()
    cli(work, "library", "scan", *map(str, tops))
    timings["scan"] = time.perf_counter() - started
    started = time.perf_counter()
    analysed = cli(work, "analyze", "--jobs", str(jobs))
    timings["analyze"] = time.perf_counter() - started
    started = time.perf_counter()
    classified = cli(work, "classify", "--offline")
    timings["classify"] = time.perf_counter() - started
    views = cli(work, "library", "list")
    info = {"timings": timings, "analyze": analysed, "classify": classified}
    return views, info  # type: ignore[return-value]


# ---------------------------------------------------------------- figures


def miss_upper_bound(misses: int, n: int) -> float:
    """95% upper bound on the miss rate: 3/n with no miss, else one-sided Clopper-Pearson."""
    if n == 0:
        return 1.0
    if misses == 0:
        return min(1.0, 3.0 / n)
    if misses == n:
        return 1.0
    return float(beta.ppf(CONFIDENCE, misses + 1, n - misses))


def voice_windows(view: dict) -> list[tuple[float, float, str]]:
    """(start, end, detector) of every lyrics reason that names windows."""
    out = []
    for reason in view.get("reasons") or []:
        if reason.get("aspect") == "lyrics" and reason.get("claim") in HELD:
            for w in reason.get("windows") or []:
                out.append((float(w[0]), float(w[1]), str(reason.get("detector") or "")))
    return out


def overlaps(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def fmt_pct(k: int, n: int) -> str:
    return f"{k}/{n} ({k / n:.0%})" if n else "0/0"


def recall_table(title: str, rows: dict[str, list[str]], order: list[str]) -> list[dict]:
    """Print held/leaked per row key; return the rows for --json."""
    print(f"\n{title}")
    print(f"{'':32}{'n':>4}{'vocal':>7}{'unknown':>9}{'instr.':>8}{'recall':>8}{'miss<=':>9}")
    out = []
    for key in order:
        lyrics = rows.get(key, [])
        if not lyrics:
            continue
        n = len(lyrics)
        c = Counter(lyrics)
        leaked = c["instrumental"]
        bound = miss_upper_bound(leaked, n)
        print(f"{key:32}{n:4d}{c['vocal']:7d}{c['unknown']:9d}{leaked:8d}{(n - leaked) / n:8.0%}{bound:9.1%}")
        out.append(
            {
                "key": key,
                "n": n,
                "vocal": c["vocal"],
                "unknown": c["unknown"],
                "leaked": leaked,
                "recall": (n - leaked) / n,
                "miss_upper_95": bound,
            }
        )
    return out


def reason_text(view: dict, aspect: str) -> str:
    parts = [
        f"{r.get('detector') or r.get('source')}: {r.get('claim')} ({r.get('detail')})"
        for r in view.get("reasons") or []
        if r.get("aspect") == aspect
    ]
    return "; ".join(parts)[:240] or f"(no {aspect} evidence)"


def report(truths: list[Truth], views: list[dict], folder: Path, verbose: bool) -> dict:
    """Print every figure; return them as a dict."""
    by_path = {}
    for v in views:
        try:
            by_path[Path(v["path"]).resolve().relative_to(folder).as_posix()] = v
        except ValueError:
            continue
    scored = [(t, by_path[t.path]) for t in truths if t.path in by_path]
    missing = [t.path for t in truths if t.path not in by_path]
    figures: dict[str, object] = {
        "tracks_labelled": len(truths),
        "tracks_scored": len(scored),
        "missing": missing,
    }
    print(
        f"set: {folder}  labelled {len(truths)}, scored {len(scored)}"
        + (f", NOT FOUND {len(missing)}" if missing else "")
    )

    # --- lyrics filter
    voiced = [(t, v) for t, v in scored if t.voice == "yes"]
    by_level: dict[str, list[str]] = defaultdict(list)
    by_kind: dict[str, list[str]] = defaultdict(list)
    by_kind_level: dict[str, list[str]] = defaultdict(list)
    leaks = []
    window_hits, window_checks, window_named = 0, 0, 0
    for t, v in voiced:
        lyr = str(v["lyrics"])
        by_level[t.level].append(lyr)
        by_kind[t.voice_kind].append(lyr)
        by_kind_level[f"{t.voice_kind} {t.level}"].append(lyr)
        if lyr == "instrumental":
            leaks.append(f"{t.path} [{t.voice_kind} {t.level} {t.density}]: {reason_text(v, 'lyrics')}")
        elif t.windows:
            named = voice_windows(v)
            window_checks += 1
            window_named += bool(named)
            window_hits += any(overlaps((a, b), w) for a, b, _ in named for w in t.windows)
    print(f"\n== Lyrics filter: {len(leaks)} of {len(voiced)} voiced tracks passed as instrumental")
    figures["voiced"] = len(voiced)
    figures["leaked"] = len(leaks)
    figures["by_level"] = recall_table(
        "per level (voice vs bed over voice-active frames)", by_level, list(LEVEL_ORDER)
    )
    kinds = sorted(by_kind)
    figures["by_kind"] = recall_table("per voice kind", by_kind, kinds)
    by_group: dict[str, list[str]] = defaultdict(list)
    for t, v in voiced:
        by_group[f"{t.group} {t.density}".strip()].append(str(v["lyrics"]))
    figures["by_group"] = recall_table("per group and density", by_group, sorted(by_group))
    kind_levels = [f"{k} {lv}" for k in kinds for lv in LEVEL_ORDER]
    figures["by_kind_level"] = recall_table("per voice kind and level", by_kind_level, kind_levels)
    n_v = len(voiced)
    print(
        f"\nall voiced: recall {fmt_pct(n_v - len(leaks), n_v)}, 95% upper bound on the miss rate "
        f"{miss_upper_bound(len(leaks), n_v):.1%}"
    )
    if window_checks:
        print(
            f"held voiced tracks whose verdict names windows: {fmt_pct(window_named, window_checks)}; "
            f"a named window overlaps the labelled voice: {fmt_pct(window_hits, window_checks)}"
        )
    figures["windows_named_overlapping_of"] = [window_named, window_hits, window_checks]
    for line in leaks:
        print("  LEAK " + line)

    # --- voice-free tracks held
    free = [(t, v) for t, v in scored if t.voice == "no"]
    held = [(t, v) for t, v in free if v["lyrics"] in HELD]
    print(f"\n== Voice-free tracks held for review: {fmt_pct(len(held), len(free))}")
    by_group = Counter(t.group for t, _ in held)
    totals = Counter(t.group for t, _ in free)
    print("   " + ", ".join(f"{g} {by_group[g]}/{totals[g]}" for g in sorted(totals)))
    for t, v in held:
        print(f"  HELD {t.path} [{t.group}: {t.expected}] {v['lyrics']}: {reason_text(v, 'lyrics')}")
    figures["voice_free"] = len(free)
    figures["voice_free_held"] = len(held)

    # --- categories
    calm = [(t, v) for t, v in scored if t.calm]
    in_session = [(t, v) for t, v in calm if v["category"] in SESSION_CATEGORIES]
    exact = [(t, v) for t, v in calm if v["category"] in t.expected]
    print(
        f"\n== Calm untagged instrumentals in a session category: {fmt_pct(len(in_session), len(calm))}; "
        f"the expected one: {fmt_pct(len(exact), len(calm))}"
    )
    calm_group = [(t, v) for t, v in calm if t.group == "calm"]
    if calm_group and len(calm_group) != len(calm):
        k = sum(v["category"] in SESSION_CATEGORIES for _, v in calm_group)
        print(f"   of which group 'calm' only: {fmt_pct(k, len(calm_group))}")
    figures["calm"] = len(calm)
    figures["calm_in_session"] = len(in_session)
    figures["calm_exact"] = len(exact)
    scored_cat = [(t, v) for t, v in scored if t.expected]
    confusion: Counter[tuple[str, str]] = Counter(
        (" or ".join(t.expected), str(v["category"])) for t, v in scored_cat
    )
    rows = sorted({r for r, _ in confusion})
    width = max([len(r) for r in rows] + [14]) + 1
    print("\nconfusion (expected down, category across; voiced tracks expect 'vocal')")
    print("expected".ljust(width) + "".join(c[:12].rjust(13) for c in CATEGORIES))
    for r in rows:
        print(r.ljust(width) + "".join(str(confusion.get((r, c), 0)).rjust(13) for c in CATEGORIES))
    figures["confusion"] = {f"{r} -> {c}": n for (r, c), n in confusion.items()}
    for t, v in calm:
        if v["category"] not in t.expected:
            print(
                f"  MISS {t.path} [{t.group}: {'/'.join(t.expected)}] -> {v['category']}: "
                f"{reason_text(v, 'category')}"
            )
    busy = [(t, v) for t, v in scored if t.expected == ("unclassified",)]
    if busy:
        ok = [1 for _, v in busy if v["category"] == "unclassified"]
        print(f"\n== Busy music kept unclassified: {fmt_pct(len(ok), len(busy))}")
        figures["busy_unclassified"] = [len(ok), len(busy)]

    # --- nature
    music_nature = [(t, v) for t, v in scored if t.music and v["category"] == "nature"]
    voice_nature = [(t, v) for t, v in scored if t.voice == "yes" and v["category"] == "nature"]
    print(
        f"\n== Music or noise beds called nature: {len(music_nature)}; "
        f"voiced tracks called nature: {len(voice_nature)}"
    )
    for t, v in music_nature + voice_nature:
        print(
            f"  NATURE {t.path} [{t.group}: {t.voice_kind or '/'.join(t.expected)}]: "
            f"{reason_text(v, 'category')}"
        )
    figures["music_nature"] = len(music_nature)
    figures["noise_bed_nature"] = sum(1 for t, _ in music_nature if "binaural" in t.expected)
    figures["voice_nature"] = len(voice_nature)
    targets(figures, by_level)

    figures["tracks"] = [
        {"path": t.path, "group": t.group, "voice": t.voice, "voice_kind": t.voice_kind, "level": t.level,
         "density": t.density, "expected": list(t.expected), "category": v["category"], "lyrics": v["lyrics"],
         "reasons": v.get("reasons") or []}
        for t, v in scored
    ]  # fmt: skip
    if verbose:
        print("\n== Every track")
        for t, v in scored:
            print(
                f"{t.path} [{t.group} voice={t.voice} {t.voice_kind} {t.level} {t.density} "
                f"exp={'/'.join(t.expected)}] -> {v['category']}/{v['lyrics']}; "
                f"{reason_text(v, 'lyrics')} | {reason_text(v, 'category')}"
            )
    return figures


def targets(figures: dict, by_level: dict[str, list[str]]) -> None:
    """Issue 11's "must show" lines for this set, each PASS or FAIL."""
    print("\n== Issue 11 targets")
    lines = []
    for level in ("+6", "0", "-6"):
        lyrics = by_level.get(level, [])
        if lyrics:
            leaked = lyrics.count("instrumental")
            lines.append(
                (leaked == 0, f"0 voiced tracks instrumental at {level} dB: {leaked} of {len(lyrics)}")
            )
    low = by_level.get("-12", [])
    if low:
        held = sum(x in HELD for x in low)
        lines.append((held >= 0.9 * len(low), f">= 90% held at -12 dB: {fmt_pct(held, len(low))}"))
    if figures["voice_free"]:
        k, n = figures["voice_free_held"], figures["voice_free"]
        lines.append((k <= 0.12 * n, f"<= 12% of voice-free tracks held: {fmt_pct(k, n)}"))
    if figures["calm"]:
        k, n = figures["calm_in_session"], figures["calm"]
        lines.append(
            (k >= 0.85 * n, f">= 85% of calm untagged instrumentals in a session category: {fmt_pct(k, n)}")
        )
    music = figures["music_nature"] - figures["noise_bed_nature"]
    lines.append((music == 0, f"no music called nature: {music}"))
    lines.append(
        (figures["noise_bed_nature"] == 0, f"no noise bed called nature: {figures['noise_bed_nature']}")
    )
    for ok, text in lines:
        print(("  PASS " if ok else "  FAIL ") + text)
    figures["targets"] = {text: ok for ok, text in lines}


def compare(old_path: Path, new: dict) -> None:
    """Print the headline figures of an earlier --json run beside this one's."""
    old = json.loads(old_path.read_text())
    keys = ("voiced", "leaked", "voice_free", "voice_free_held", "calm", "calm_in_session", "calm_exact",
            "music_nature", "noise_bed_nature", "voice_nature")  # fmt: skip
    print(f"\n== Compared with {old_path}")
    print(f"{'figure':20}{'before':>8}{'now':>8}")
    for key in keys:
        print(f"{key:20}{old.get(key, '-')!s:>8}{new.get(key, '-')!s:>8}")
    old_levels = {r["key"]: r for r in old.get("by_level", [])}
    for row in new.get("by_level", []):
        before = old_levels.get(row["key"], {})
        print(f"{'leaked ' + row['key']:20}{before.get('leaked', '-')!s:>8}{row['leaked']!s:>8}")


def main() -> int:
    """Run the product over the set and print issue 11's figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("set", nargs="?", type=Path, default=Path("/work/devset"))
    parser.add_argument("--jobs", type=int, default=1, help="analyze --jobs")
    parser.add_argument("--work", type=Path, help="keep and reuse the database here")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--verbose", action="store_true", help="print every track's verdict")
    parser.add_argument("--compare", type=Path, help="an earlier --json output to compare with")
    args = parser.parse_args()
    folder = args.set.resolve()
    if not (folder / "labels.csv").is_file():
        print(f"no labels.csv in {folder}: build the set with benchmarks/devset/build.py", file=sys.stderr)
        return 2
    truths = read_labels(folder)
    with tempfile.TemporaryDirectory(prefix="classify-by-ear-") as tmp:
        work = args.work.resolve() if args.work else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        views, info = run_pipeline(folder, truths, work, args.jobs)
    analysed = info["analyze"]
    print(
        f"pipeline: analyser {analysed.get('analyzer_version')}, "
        f"rules {info['classify'].get('rules_version')}, "
        f"offline; "
        + ", ".join(f"{k} {v:.0f} s" for k, v in info["timings"].items())
        + f" ({analysed.get('audio_seconds', 0) / 60:.0f} min of audio analysed, jobs {args.jobs}, "
        f"{analysed.get('audio_seconds', 0) / max(info['timings']['analyze'], 1e-9):.0f}x real time "
        f"wall, load average {os.getloadavg()[0]:.1f})"
    )
    figures = report(truths, views, folder, args.verbose)
    figures["pipeline"] = info
    if args.compare:
        compare(args.compare, figures)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=str))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    sys.exit(main())
