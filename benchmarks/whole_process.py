"""Time whole commands the way a user meets them: a fresh process each run, alternating A B A B.

Shared by the benchmarks here. Each run is one process started from scratch; its wall time comes from
the clock, its CPU time and peak memory from the kernel's own accounting (`os.wait4`: the peak is the
largest single process of the command's tree, workers included), taken by a small launcher process
so that the benchmark's own memory never shows in a command's peak. Commands are run in turn after a
warm-up, so a comparison holds while a shared machine's speed drifts; figures are medians, and a
ratio is the median of the per-pair ratios.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Run:
    """One finished run of a command."""

    wall_s: float
    cpu_s: float  # user + system, every process of the command that was waited for
    peak_mb: float  # the largest single process
    exit_code: int
    # With `per_process`: CPU seconds of the command's own process, then of each process it started
    # (workers), each as last seen by polling /proc every 50 ms (so a few hundredths short at most).
    process_cpu_s: tuple[float, ...] = ()

    @property
    def critical_cpu_s(self) -> float:
        """CPU seconds on the longest chain if every process had a core of its own: the command's own
        process plus its busiest worker. On an idle machine with a core per worker this is about the
        wall time; on a shared one it is the figure that carries over."""
        if not self.process_cpu_s:
            return self.cpu_s
        return self.process_cpu_s[0] + max(self.process_cpu_s[1:], default=0.0)


# Each command is started by a small launcher process, not by the benchmark itself. Linux gives a child
# started with vfork and exec (as `subprocess` starts it) the peak memory of the process it was started
# from as its own starting peak: a command started from a benchmark that had once held 1.3 GB (music
# synthesised in numpy, a library built in memory) reported a 1,355 MB peak it never had. The launcher
# is a fresh interpreter of about 10 MB, which is the floor of every peak figure.
_LAUNCHER = """
import json, os, subprocess, sys, time
per_process = sys.argv[1] == "per-process"
started = time.perf_counter()
process = subprocess.Popen(
    sys.argv[2:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL
)
tick = os.sysconf("SC_CLK_TCK")
seen = {}


def descendants(pid):
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{parent}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{parent}/task/{task}/children") as handle:
                    children = [int(child) for child in handle.read().split()]
            except OSError:
                continue
            found += children
            todo += children
    return found


def poll():
    for pid in descendants(process.pid):
        try:
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        seen[pid] = (int(fields[11]) + int(fields[12])) / tick


while True:
    pid, status, usage = os.wait4(process.pid, os.WNOHANG if per_process else 0)
    if pid:
        break
    poll()
    time.sleep(0.05)
wall = time.perf_counter() - started
cpu = usage.ru_utime + usage.ru_stime
workers = sorted(seen.values(), reverse=True)
own = [max(0.0, cpu - sum(workers)), *workers] if per_process else []
code = os.waitstatus_to_exitcode(status)
print(json.dumps([wall, cpu, usage.ru_maxrss / 1024, code, own]))
"""


def run_once(command: Sequence[str], *, env: dict[str, str] | None = None, per_process: bool = False) -> Run:
    """Run `command` once through the launcher (output discarded) and measure it."""
    launched = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, "per-process" if per_process else "whole", *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        env=env,
        check=True,
        text=True,
    )
    wall, cpu, peak, code, own = json.loads(launched.stdout)
    return Run(wall, cpu, peak, code, tuple(own))


def alternate(
    commands: dict[str, Sequence[str]],
    runs: int,
    *,
    warmup: int = 1,
    env: dict[str, str] | None = None,
    per_process: bool = False,
    prepare: dict[str, Callable[[], None]] | None = None,
) -> dict[str, list[Run]]:
    """Each command `runs` times in turn (after `warmup` uncounted rounds); every run must succeed.
    `prepare[name]`, if given, runs (untimed) before every run of that command."""
    results: dict[str, list[Run]] = {name: [] for name in commands}
    for round_index in range(warmup + runs):
        for name, command in commands.items():
            if prepare and name in prepare:
                prepare[name]()
            run = run_once(command, env=env, per_process=per_process)
            if run.exit_code != 0:
                raise SystemExit(f"{name} failed with exit code {run.exit_code}: {' '.join(command)}")
            if round_index >= warmup:
                results[name].append(run)
    return results


def median(values: Sequence[float]) -> float:
    """The median (the figure to quote on a shared machine)."""
    return statistics.median(values)


def paired_ratio(a: list[Run], b: list[Run], field: str = "wall_s") -> tuple[float, float, float]:
    """Median, min and max of A/B over runs made side by side."""
    ratios = [getattr(x, field) / getattr(y, field) for x, y in zip(a, b, strict=True)]
    return statistics.median(ratios), min(ratios), max(ratios)


def spread(runs: list[Run], field: str = "wall_s") -> str:
    """`median (min–max)` of one figure, for printing."""
    values = [getattr(run, field) for run in runs]
    return f"{median(values):.3f} ({min(values):.3f}–{max(values):.3f})"
