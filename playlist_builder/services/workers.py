"""Worker-process plumbing shared by scan and analysis: one thread per worker, and dying with the parent.

A worker pool's processes must never outlive the command that started them: a `kill -9` of the
command (or a crash) leaves no one to tell them to stop, and analysis workers hold 200+ MB each.
Two guards, because either alone has gaps:

- Linux `prctl(PR_SET_PDEATHSIG, SIGKILL)`: the kernel kills the worker the moment its parent dies.
- A watchdog thread polling the parent's pid: covers systems without prctl, and the window between
  the fork and the prctl call (a parent that died in that window has already re-parented us).

Math libraries (OpenBLAS, OpenMP) start one thread per core in every process. With one worker per
core those pools fight over the cores and `--jobs 2` ran slower than `--jobs 1`, so every worker (and
an analysis running in the command's own process) is capped at one thread.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

# How often the watchdog checks that the parent is still alive: short enough that an orphaned worker
# is gone within a second, long enough to cost nothing.
WATCHDOG_INTERVAL_S = 0.5
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
# Environment variables the common math libraries read when they first load.
THREAD_ENV_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)


def cpu_count() -> int:
    """Cores this process may run on (its affinity mask where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def single_thread_environment() -> None:
    """Set the math libraries' thread counts to one for libraries not loaded yet (and for children)."""
    for name in THREAD_ENV_VARS:
        os.environ[name] = "1"


@contextmanager
def single_threaded() -> Iterator[None]:
    """Hold every loaded math library (OpenBLAS, OpenMP, MKL) to one thread inside the block."""
    single_thread_environment()
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


def die_with_parent(parent_pid: int) -> None:
    """Make this worker process end when `parent_pid` does (call first thing in a worker's initializer)."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass  # the watchdog below still covers us
    if os.getppid() != parent_pid:  # the parent died before the guard was in place
        os._exit(1)
    watchdog = threading.Thread(target=_watch_parent, args=(parent_pid,), name="parent-watchdog", daemon=True)
    watchdog.start()


def _watch_parent(parent_pid: int) -> None:
    """Exit this process at once when it has been re-parented (its parent is gone)."""
    stop = threading.Event()
    while not stop.wait(WATCHDOG_INTERVAL_S):
        if os.getppid() != parent_pid:
            os._exit(1)


def stop_resource_tracker() -> None:
    """Stop multiprocessing's resource tracker once a spawn pool is gone, so it cannot outlive us.

    The tracker (started for the pool's semaphores) otherwise exits only when it notices that every
    process holding its pipe has ended, which leaves it running after the command returns.
    """
    import gc
    from multiprocessing import resource_tracker

    gc.collect()  # the pool's queues release (unregister) their semaphores first
    stop = getattr(resource_tracker._resource_tracker, "_stop", None)
    if stop is not None:
        with contextlib.suppress(OSError, ChildProcessError):
            stop()


def die_with_parent_quietly(parent_pid: int) -> None:
    """A light worker's start (no math libraries): die with the parent, leave Ctrl-C to it."""
    die_with_parent(parent_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def init_worker(parent_pid: int) -> None:
    """A pool worker's start: die with the parent, leave Ctrl-C to it, use one math thread."""
    die_with_parent(parent_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    single_thread_environment()
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)  # for libraries this process loaded before the initializer ran
