#!/usr/bin/env python3
"""Build the clinic-like development set: untagged, neutrally named tracks plus labels.csv.

    python benchmarks/devset/build.py [DEST] [--cache DIR] [--force]

DEST defaults to /work/devset. Needs the programs fluidsynth and espeak-ng (build.sh installs them)
and apt-get (the source packages are downloaded and unpacked into the cache, never installed).
Deterministic: every track has its own seed derived from its id. Files that exist are kept unless
--force; labels.csv is always rewritten. See README.md beside this file for what is in the set.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
import zlib
from pathlib import Path

import numpy as np
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parent))

import audio
import sources
from catalogue import Item, items
from recipes import SR, Ctx, Meta, stereo

FIELDS = [
    "path", "group", "kind", "voice", "voice_kind", "level_db", "density", "expected", "duration_s",
    "voice_windows", "rms_dbfs", "licence", "source", "notes",
]  # fmt: skip
ESPEAK_LICENCE = "espeak-ng output (program GPL-3+); texts written for this set"
GENERATED_LICENCE = "generated with numpy by build.py (no third-party material)"


# ---------------------------------------------------------------- build


def licence_of(meta: Meta) -> str:
    parts = [
        f"{p}: {sources.PACKAGE_BY_NAME[p].licence}"
        for p in sorted(meta.packages)
        if p in sources.PACKAGE_BY_NAME
    ]
    if meta.espeak:
        parts.append(ESPEAK_LICENCE)
    if meta.generated:
        parts.append(GENERATED_LICENCE)
    return " + ".join(parts)


def neutral_names(all_items: list[Item]) -> dict[str, str]:
    """track_NNN.flac in an order that depends only on the ids, so numbers give no hint of the group."""
    order = sorted(all_items, key=lambda it: (it.generation, zlib.crc32(("devset:" + it.id).encode())))
    return {it.id: f"track_{i + 1:03d}.flac" for i, it in enumerate(order)}


def build(dest: Path, cache: Path, force: bool) -> list[dict[str, str]]:
    """Make every missing track; return the label rows."""
    versions = sources.fetch(cache)
    versions["espeak-ng"] = os.popen("dpkg-query -W -f='${Version}' espeak-ng").read().strip()
    versions["fluidsynth"] = os.popen("dpkg-query -W -f='${Version}' fluidsynth").read().strip()
    ctx = Ctx(cache / "root")
    all_items = items()
    names = neutral_names(all_items)
    rows = []
    for it in all_items:
        path = dest / "library" / names[it.id]
        meta_path = dest / ".meta" / (it.id + ".csv")
        if force or not (path.exists() and meta_path.exists()):
            t0 = time.time()
            rng = np.random.default_rng(zlib.crc32(it.id.encode()))
            meta = Meta()
            y = stereo(it.make(rng, meta, ctx))
            if not np.abs(y).max() > 0:
                raise RuntimeError(f"{it.id}: silent track")
            target = float(rng.uniform(-24, -16))
            y = audio.set_rms(y, target)
            peak = np.abs(y).max()
            if peak > 0.98:
                y *= 0.98 / peak
            audio.write(path, y, SR, "FLAC", "PCM_16")
            used_packages = sorted(meta.packages | ({"espeak-ng"} if meta.espeak else set()))
            row = {
                "path": f"library/{names[it.id]}",
                "group": it.group,
                "kind": it.kind,
                "voice": it.voice,
                "voice_kind": it.voice_kind,
                "level_db": it.level_db,
                "density": it.density,
                "expected": it.expected,
                "duration_s": f"{len(y) / SR:.2f}",
                "voice_windows": ";".join(f"{a:.2f}-{b:.2f}" for a, b in meta.windows),
                "rms_dbfs": f"{audio.rms_db(y.mean(axis=1)):.1f}",
                "licence": licence_of(meta),
                "source": "; ".join(f"{p} {versions.get(p, '?')}" for p in used_packages)
                + " | "
                + meta.source,
                "notes": f"id={it.id}" + (f"; {meta.notes}" if meta.notes else ""),
            }
            meta_path.parent.mkdir(parents=True, exist_ok=True)
            with open(meta_path, "w", newline="") as f:
                w = csv.DictWriter(f, fieldnames=FIELDS)
                w.writeheader()
                w.writerow(row)
            print(f"{names[it.id]}  {it.id:40s} {len(y) / SR:6.1f} s  ({time.time() - t0:.1f} s)", flush=True)
        with open(meta_path, newline="") as f:
            rows.append(next(csv.DictReader(f)))
    return rows


def write_labels(dest: Path, rows: list[dict[str, str]]) -> None:
    tmp = dest / "labels.csv.part"
    with open(tmp, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=FIELDS)
        w.writeheader()
        w.writerows(sorted(rows, key=lambda r: r["path"]))
    os.replace(tmp, dest / "labels.csv")


def summary(rows: list[dict[str, str]]) -> None:
    groups: dict[str, list[float]] = {}
    for r in rows:
        groups.setdefault(r["group"], []).append(float(r["duration_s"]))
    print(f"\n{'group':15} {'files':>5} {'minutes':>8}")
    for g, d in sorted(groups.items()):
        print(f"{g:15} {len(d):5d} {sum(d) / 60:8.1f}")
    total = sum(sum(d) for d in groups.values())
    print(f"{'TOTAL':15} {sum(len(d) for d in groups.values()):5d} {total / 60:8.1f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dest", nargs="?", type=Path, default=Path("/work/devset"))
    ap.add_argument("--cache", type=Path, help="where packages are unpacked (default DEST/.sources)")
    ap.add_argument("--force", action="store_true", help="remake tracks that already exist")
    args = ap.parse_args()
    dest = args.dest.resolve()
    rows = build(dest, (args.cache or dest / ".sources").resolve(), args.force)
    write_labels(dest, rows)
    summary(rows)
    for r in rows:  # sanity: every file decodes to its labelled length
        info = sf.info(str(dest / r["path"]))
        assert abs(info.duration - float(r["duration_s"])) < 0.05, r["path"]
        assert float(r["rms_dbfs"]) > -60, f"{r['path']} is silent"


if __name__ == "__main__":
    main()
