"""A killed command leaves no worker behind: `kill -9` of `analyze --jobs 2` and of a large scan."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from playlist_builder.config import sqlite_url
from playlist_builder.db.library import Library
from playlist_builder.services import workers
from playlist_builder.services.scan import PARALLEL_READ_THRESHOLD, scan_paths

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

# How long orphans may take to go: the watchdog polls twice a second, the kernel's signal is at once;
# generous because the test machine is shared and busy.
GRACE_S = 10.0
START_TIMEOUT_S = 120.0


def _processes() -> dict[int, tuple[int, str, str]]:
    """Every process: pid -> (parent pid, state letter, start time in clock ticks)."""
    table: dict[int, tuple[int, str, str]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                stat = handle.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        table[int(entry)] = (int(fields[1]), fields[0], fields[19])
    return table


def _descendants(pid: int) -> dict[int, str]:
    """Live descendants of `pid`: pid -> start time (to tell a reused pid from the same process)."""
    table = _processes()
    found: dict[int, str] = {}
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        for child, (ppid, _state, start) in table.items():
            if ppid == parent and child not in found:
                found[child] = start
                frontier.append(child)
    return found


def _survivors(recorded: dict[int, str]) -> list[int]:
    """Those recorded processes that still run (a zombie is dead: only its exit status is left)."""
    table = _processes()
    return [
        pid
        for pid, start in recorded.items()
        if pid in table and table[pid][2] == start and table[pid][1] not in ("Z", "X")
    ]


def _kill_when_workers_run(command: list[str], env: dict[str, str], minimum: int) -> dict[int, str]:
    """Start `command`, wait until it has `minimum` child processes, kill -9 it; its descendants then."""
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        children: dict[int, str] = {}
        while time.monotonic() < deadline and process.poll() is None:
            children = _descendants(process.pid)
            if len(children) >= minimum:
                break
            time.sleep(0.02)
        assert process.poll() is None, "the command finished before its workers could be seen"
        assert len(children) >= minimum, f"no workers appeared within {START_TIMEOUT_S:.0f} s"
        time.sleep(0.3)  # let them get into their work (blocked on pipes, decoding)
        children = _descendants(process.pid)
        process.send_signal(signal.SIGKILL)
        process.wait()
        deadline = time.monotonic() + GRACE_S
        while _survivors(children) and time.monotonic() < deadline:
            time.sleep(0.1)
        return {pid: start for pid, start in children.items() if pid in _survivors(children)}
    finally:
        with contextlib.suppress(ProcessLookupError):  # whatever is left of this test's own group
            os.killpg(process.pid, signal.SIGKILL)


def _command(db_url: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "playlist_builder", "--db", db_url, *args]


def test_killed_analyze_leaves_no_worker(tmp_path: Path) -> None:
    music = tmp_path / "music"
    music.mkdir()
    rng = np.random.default_rng(3)
    for index in range(8):
        noise = (0.1 * rng.standard_normal(22_050 * 60)).astype(np.float32)
        sf.write(str(music / f"bruit {index}.flac"), noise, 22_050)
    db_url = sqlite_url(tmp_path / "library.sqlite3")
    library = Library.open(db_url)
    scan_paths(library, [str(music)])
    library.close()

    left = _kill_when_workers_run(_command(db_url, "analyze", "--jobs", "2"), dict(os.environ), minimum=2)

    assert left == {}, f"processes outlived the killed analyze: {sorted(left)}"


@pytest.mark.skipif(workers.cpu_count() < 2, reason="forked readers start only with two or more cores")
def test_killed_scan_leaves_no_forked_reader(tmp_path: Path) -> None:
    music = tmp_path / "music"
    template = tmp_path / "template.wav"
    sf.write(str(template), np.zeros(2_205, dtype=np.float32), 22_050)
    count = max(20 * PARALLEL_READ_THRESHOLD, 8_000)
    for index in range(count):
        folder = music / f"album {index // 100:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template, folder / f"piste {index:05d}.wav")
    db_url = sqlite_url(tmp_path / "library.sqlite3")

    # forked readers start only when cores look idle: make them start however busy the machine is
    forced = (
        "import sys, playlist_builder.services.scan as scan; scan.SPARE_CORES_FOR_READERS = float('-inf'); "
        "from playlist_builder.cli import main; sys.argv[0] = 'playlist-builder'; main()"
    )
    command = [sys.executable, "-c", forced, "--db", db_url, "library", "scan", str(music)]
    left = _kill_when_workers_run(command, dict(os.environ), minimum=2)

    assert left == {}, f"forked readers outlived the killed scan: {sorted(left)}"


def test_forked_readers_start_only_when_cores_are_spare(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from playlist_builder.services import scan

    monkeypatch.setattr(scan, "cpu_count", lambda: 2)
    stats = tmp_path / "loadavg"
    monkeypatch.setattr(scan, "LOADAVG_FILE", str(stats))
    stats.write_text("1.90 1.50 1.20 1/345 12345\n")  # only the scan runs now, whatever the average says
    assert scan._reader_count() == 2
    stats.write_text("0.20 0.20 0.20 3/345 12345\n")  # two other tasks runnable now: no core spare
    assert scan._reader_count() == 1
    monkeypatch.setattr(scan, "LOADAVG_FILE", str(tmp_path / "absent"))  # elsewhere: the load average
    monkeypatch.setattr(os, "getloadavg", lambda: (0.2, 0.2, 0.2))
    assert scan._reader_count() == 2
    monkeypatch.setattr(os, "getloadavg", lambda: (6.0, 6.0, 6.0))
    assert scan._reader_count() == 1
