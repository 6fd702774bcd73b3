"""Clinic app speed and memory: page server times on a 10,000-track library, and streaming a 500 MB file.

Run: .venv/bin/python benchmarks/web_speed.py [N_TRACKS]   (default 10000)
Prints median and p95 server times of the library page (a few filters), the track page and the review
queue, measured in-process through the ASGI app the `serve` command runs; then starts the product's own
`playlist-builder serve` on that library and streams a 500 MB WAV (sent as is, with Range) and a
500 MB AIFF (transcoded on the fly), sampling the server's resident memory.
Targets: every page well under a second (p95); the server's memory flat while streaming.
"""

from __future__ import annotations

import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from starlette.testclient import TestClient

from playlist_builder.config import load_settings, sqlite_url
from playlist_builder.db.library import Library
from playlist_builder.model import (
    Category,
    Classification,
    Evidence,
    LyricsStatus,
    Override,
    OverrideAction,
    Source,
    Track,
)
from playlist_builder.web.app import create_app

BIG_BYTES = 500 * 1024 * 1024
HELD_SHARE = 0.05  # one track in twenty waits for review, as in a fresh clinic library
RUNS = 30
CATEGORIES = (Category.AMBIENT, Category.BINAURAL, Category.MINIMAL, Category.NATURE)


def build_library(library: Library, root: Path, count: int) -> list[int]:
    """`count` tracks with verdicts (some held, some decided), written through the Library facade."""
    root_id = library.add_root(str(root))
    rng = random.Random(5)
    tracks = [
        Track(
            Source.LOCAL,
            f"Artist {n % 400}/Album {n % 900}/{n:05d} Track {n}.flac",
            f"Track {n} ({rng.random():.3f})",
            artist=f"Artist {n % 400}",
            album=f"Album {n % 900}",
            duration_s=120 + n % 400,
            file_format="flac",
        )
        for n in range(count)
    ]
    ids = library.upsert_tracks(tracks, root_id)
    for index, track_id in enumerate(ids):
        held = rng.random() < HELD_SHARE
        windows = ((40.0 + index % 60, 55.0 + index % 60),) if held else ()
        library.save_classification(
            track_id,
            Classification(
                category=CATEGORIES[index % 4],
                lyrics=LyricsStatus.UNKNOWN if held else LyricsStatus.INSTRUMENTAL,
                energy=round(0.1 + (index % 50) / 100, 3),
                confidence=0.5 if held else 0.9,
                rules_version="bench",
                reasons=(
                    Evidence("audio", "lyrics", "vocal" if held else "instrumental", 0.5, "vocal probability",
                             detector="musicnn-mtt", windows=windows),
                    Evidence("tags", "category", CATEGORIES[index % 4].value, 0.6, "genre", detector="tags"),
                ),
                review_reasons=("voice heard in one window",) if held else (),
            ),
            input_hash="bench",
        )  # fmt: skip
    for track_id in ids[:: max(1, count // 200)]:
        library.add_override(
            Override(track_id, OverrideAction.APPROVE, created_at=_now(), decided_by="bench")
        )
    return ids


def _now():  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    return datetime.now(UTC)


def timed(client: TestClient, path: str, runs: int = RUNS) -> tuple[float, float]:
    """Median and p95 of `runs` GETs of `path`, in milliseconds."""
    client.get(path)  # warm caches and imports once
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]


def page_times(settings, library: Library, ids: list[int]) -> None:  # type: ignore[no-untyped-def]
    app = create_app(settings, library, allowed_hosts=("testserver",))
    with TestClient(app) as client:
        rows = [
            ("library page 1 (no filter)", "/library"),
            ("library page 120 (no filter)", "/library?page=120"),
            ("library, held only", "/library?state=held"),
            ("library, nature + instrumental", "/library?category=nature&lyrics=instrumental"),
            ("library, text search", "/library?q=artist%2017"),
            ("track page", None),
            ("review queue", "/review"),
        ]
        print(f"{'page':34} {'median ms':>10} {'p95 ms':>10}")
        for label, path in rows:
            if path is None:
                sample = random.Random(1).sample(ids, RUNS)
                times = []
                for track_id in sample:
                    started = time.perf_counter()
                    assert client.get(f"/tracks/{track_id}").status_code == 200
                    times.append((time.perf_counter() - started) * 1000)
                times.sort()
                median, p95 = statistics.median(times), times[round(0.95 * (len(times) - 1))]
            else:
                median, p95 = timed(client, path)
            print(f"{label:34} {median:10.1f} {p95:10.1f}")
        times = []
        for track_id in ids[1:11]:  # a decision changes the library: the next page rebuilds its index
            library.add_override(
                Override(track_id, OverrideAction.BAN, created_at=_now(), decided_by="bench")
            )
            started = time.perf_counter()
            assert client.get("/library").status_code == 200
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        label = "library page just after a decision"
        print(f"{label:34} {statistics.median(times):10.1f} {times[-1]:10.1f} (max of 10)")


def write_big_files(folder: Path) -> tuple[Path, Path]:
    """A 500 MB WAV and a 500 MB AIFF of a quiet tone, written block by block."""
    import numpy as np
    import soundfile as sf

    rate, channels = 44100, 2
    frames = (BIG_BYTES - 100) // (channels * 2)
    block = 1 << 18
    t = np.arange(block) / rate
    tone = (3000 * np.sin(2 * np.pi * 220 * t)).astype(np.int16)
    stereo = np.stack([tone, tone], axis=1)
    paths = []
    for name, fmt in (("big.wav", "WAV"), ("big.aiff", "AIFF")):
        path = folder / name
        with sf.SoundFile(path, "w", rate, channels, subtype="PCM_16", format=fmt) as out:
            for start in range(0, frames, block):
                out.write(stereo[: min(block, frames - start)])
        paths.append(path)
    return paths[0], paths[1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _rss_mb(pid: int, field: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def stream_memory(db_url: str, data_dir: Path, track_ids: dict[str, int]) -> None:
    """Start `playlist-builder serve` and stream each big file, sampling the server's memory."""
    import requests

    port = _free_port()
    binary = Path(sys.executable).with_name("playlist-builder")
    env = {**os.environ, "PLAYLIST_BUILDER_DATA_DIR": str(data_dir)}
    server = subprocess.Popen([str(binary), "--db", db_url, "serve", "--port", str(port)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                requests.get(base + "/library", timeout=5)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        print(f"\nserver memory after start and one page: {_rss_mb(server.pid):.0f} MB RSS")
        for label, track_id in track_ids.items():
            samples: list[float] = []
            stop = threading.Event()

            def sample(samples: list[float] = samples, stop: threading.Event = stop) -> None:
                while not stop.is_set():
                    samples.append(_rss_mb(server.pid))
                    time.sleep(0.05)

            sampler = threading.Thread(target=sample)
            sampler.start()
            started = time.perf_counter()
            received = 0
            with requests.get(f"{base}/tracks/{track_id}/audio", stream=True, timeout=60) as response:
                response.raise_for_status()
                for chunk in response.iter_content(1 << 20):
                    received += len(chunk)
            elapsed = time.perf_counter() - started
            stop.set()
            sampler.join()
            low, high = min(samples), max(samples)
            print(
                f"{label}: {received / 2**20:.0f} MB in {elapsed:.1f} s; server RSS {low:.0f}-{high:.0f} MB "
                f"(+{high - samples[0]:.0f} MB over the stream)"
            )
        print(f"server peak RSS over the whole run (VmHWM): {_rss_mb(server.pid, 'VmHWM'):.0f} MB")
    finally:
        server.terminate()
        server.wait(10)


def main() -> None:
    """Build the library, time the pages, stream the big files."""
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    with tempfile.TemporaryDirectory(prefix="pb-web-bench-") as temp:
        folder = Path(temp)
        db_url = sqlite_url(folder / "bench.sqlite3")
        settings = load_settings().with_overrides(db_url=db_url, data_dir=folder)
        library = Library.open(db_url)
        started = time.perf_counter()
        ids = build_library(library, folder / "music", count)
        print(f"built a {count}-track library in {time.perf_counter() - started:.1f} s (SQLite)\n")
        page_times(settings, library, ids)
        big_wav, big_aiff = write_big_files(folder)
        root_id = library.add_root(str(folder))
        wav_id, aiff_id = library.upsert_tracks(
            [Track(Source.LOCAL, big_wav.name, "Big WAV", file_format="wav", duration_s=2972.0),
             Track(Source.LOCAL, big_aiff.name, "Big AIFF", file_format="aiff", duration_s=2972.0)],
            root_id,
        )  # fmt: skip
        library.close()
        stream_memory(db_url, folder, {"500 MB WAV, sent as is": wav_id, "500 MB AIFF, transcoded": aiff_id})


if __name__ == "__main__":
    main()
