"""Scan throughput: first scan vs a bare `mutagen.File` loop, and rescan vs first scan (prints figures).

Run: .venv/bin/python benchmarks/scan_speed.py [N_FILES]   (default 5000 small tagged files, mixed formats)

The bare loop (`mutagen.File` on every path, nothing else) and the product's first scan (`scan_paths`
into a new SQLite library: walk, read tags, write rows) run in turn, pair by pair, in one process; the
throughput ratio is the median of the per-pair ratios. Forked readers start only when the load
average leaves a core spare, as in the product. Targets (issue 15): first scan >= 80% of the bare
loop's throughput; unchanged rescan >= 10x faster than the first scan.
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import mutagen
import numpy as np
import soundfile as sf
from mutagen.flac import FLAC
from mutagen.id3 import ID3, TIT2, TPE1
from mutagen.oggvorbis import OggVorbis
from mutagen.wave import WAVE

from playlist_builder.db.library import Library
from playlist_builder.services.scan import scan_paths

FORMATS = (
    ("flac", "FLAC", "PCM_16"),
    ("ogg", "OGG", "VORBIS"),
    ("mp3", "MP3", "MPEG_LAYER_III"),
    ("wav", "WAV", "PCM_16"),
)


def make_library(root: Path, count: int) -> list[Path]:
    """Write `count` tiny tagged files: one template per format, copied and re-tagged."""
    rate = 22050
    tone = (0.1 * np.sin(2 * np.pi * 220 * np.arange(rate // 5) / rate)).astype(np.float32)
    templates = {}
    for ext, fmt, subtype in FORMATS:
        path = root / f"template.{ext}"
        sf.write(str(path), tone, rate, format=fmt, subtype=subtype)
        templates[ext] = path
    files = []
    for index in range(count):
        ext = FORMATS[index % len(FORMATS)][0]
        folder = root / "lib" / f"album{index // 50:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"träck {index:05d}.{ext}"
        shutil.copyfile(templates[ext], path)
        title, artist = f"Titel {index} ☁", f"Künstler {index % 37}"
        if ext == "flac":
            audio = FLAC(str(path))
            audio["title"], audio["artist"] = title, artist
            audio.save()
        elif ext == "ogg":
            audio = OggVorbis(str(path))
            audio["title"], audio["artist"] = title, artist
            audio.save()
        elif ext == "wav":
            audio = WAVE(str(path))
            audio.add_tags()
            audio.tags.add(TIT2(encoding=3, text=title))
            audio.tags.add(TPE1(encoding=3, text=artist))
            audio.save()
        else:
            tags = ID3()
            tags.add(TIT2(encoding=3, text=title))
            tags.add(TPE1(encoding=3, text=artist))
            tags.save(str(path))
        files.append(path)
    return files


RUNS = 5  # each figure is the median of five runs: single runs on a shared machine jitter by 2x


def _timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def _median(work: Callable[[], object]) -> float:
    return statistics.median(_timed(work) for _ in range(RUNS))


def main() -> None:
    """Generate the library, time the bare loop, the first scan and the rescan, print the ratios."""
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        files = make_library(root, count)
        print(f"generated {count} files in {time.perf_counter() - t0:.1f} s")
        bares, firsts = [], []
        for attempt in range(RUNS):
            bares.append(_timed(lambda: [mutagen.File(path) for path in files]))
            library = Library.open(f"sqlite:///{root / f'bench{attempt}.sqlite3'}")
            firsts.append(_timed(lambda lib=library: scan_paths(lib, [str(root / "lib")])))
            if attempt < RUNS - 1:
                library.close()
        bare, first = statistics.median(bares), statistics.median(firsts)
        paired = statistics.median(b / f for b, f in zip(bares, firsts, strict=True))
        rescan = _median(lambda: scan_paths(library, [str(root / "lib")]))
        report = scan_paths(library, [str(root / "lib")])
        assert report.unchanged == count
        print(f"bare mutagen.File loop: {bare:.2f} s ({count / bare:.0f} files/s)")
        print(f"first scan:             {first:.2f} s ({count / first:.0f} files/s)")
        print(f"unchanged rescan:       {rescan:.2f} s ({count / rescan:.0f} files/s)")
        print(f"first-scan throughput vs bare loop: {paired:.0%} (median of {RUNS} pairs; target >= 80%)")
        print(f"rescan speed-up over first scan:    {first / rescan:.1f}x (target >= 10x)")
        library.close()


if __name__ == "__main__":
    main()
