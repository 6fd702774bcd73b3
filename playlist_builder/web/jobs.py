"""Long jobs of the clinic app (analysis, mix, device copy, Spotify sync) on threads the app owns.

A job keeps running when the browser tab that started it is closed; its state lives in memory and
the page polls it. Failures are kept as the one-line message of the PlaylistBuilderError.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from playlist_builder.errors import PlaylistBuilderError
from playlist_builder.services.progress import ProgressCallback, ProgressEvent

log = logging.getLogger(__name__)
# Two workers: one long analysis need not block a device copy; the machine has few cores.
JOB_WORKERS = 2
KEPT_JOBS = 200  # finished jobs kept for the jobs page; older ones are forgotten


@dataclass
class Job:
    """One background job and its progress."""

    id: int
    kind: str
    label: str
    started_by: str
    session_id: int | None = None
    state: str = "queued"  # queued | running | done | failed
    done: int = 0
    total: int | None = None
    item: str = ""
    message: str = ""
    result: str = ""
    download: Path | None = None  # a file the job made that may be downloaded (a mix)
    error: str = ""
    created: float = field(default_factory=time.time)
    finished: float | None = None

    @property
    def percent(self) -> int | None:
        """Progress in percent when the total is known."""
        if not self.total:
            return None
        return max(0, min(100, round(100 * self.done / self.total)))

    @property
    def active(self) -> bool:
        """Still queued or running."""
        return self.state in ("queued", "running")


JobWork = Callable[[ProgressCallback], tuple[str, Path | None]]


class JobRunner:
    """Runs jobs on a small thread pool and remembers their state."""

    def __init__(self, workers: int = JOB_WORKERS) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="pb-job")
        self._jobs: dict[int, Job] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def submit(
        self, kind: str, label: str, started_by: str, work: JobWork, session_id: int | None = None
    ) -> Job:
        """Queue `work(progress) -> (result text, downloadable file or None)`; returns the job at once."""
        job = Job(next(self._ids), kind, label, started_by, session_id)
        with self._lock:
            self._jobs[job.id] = job
            self._forget_old()
        self._pool.submit(self._run, job, work)
        return job

    def _run(self, job: Job, work: JobWork) -> None:
        job.state = "running"

        def progress(event: ProgressEvent) -> None:
            job.done = event.done
            job.total = event.total if event.total is not None else job.total
            job.item = event.item or job.item
            if event.message:
                job.message = event.message

        try:
            job.result, job.download = work(progress)
            job.state = "done"
        except PlaylistBuilderError as exc:
            job.error = str(exc)
            job.state = "failed"
        except Exception:  # the job's own boundary: log the trace, show one line
            log.exception("job %s (%s) failed", job.id, job.kind)
            job.error = "an unexpected error stopped this job; the server log has the details"
            job.state = "failed"
        finally:
            job.finished = time.time()

    def _forget_old(self) -> None:
        finished = [j for j in self._jobs.values() if not j.active]
        for job in sorted(finished, key=lambda j: j.id)[: max(0, len(self._jobs) - KEPT_JOBS)]:
            del self._jobs[job.id]

    def get(self, job_id: int) -> Job | None:
        """A job by id."""
        with self._lock:
            return self._jobs.get(job_id)

    def all(self, session_id: int | None = None) -> list[Job]:
        """Jobs, newest first (one session's when given)."""
        with self._lock:
            jobs = list(self._jobs.values())
        if session_id is not None:
            jobs = [j for j in jobs if j.session_id == session_id]
        return sorted(jobs, key=lambda j: j.id, reverse=True)

    def wait(self, job_id: int, timeout_s: float) -> Job | None:
        """Wait until a job finishes (for tests and the command line); the job or None."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            job = self.get(job_id)
            if job is None or not job.active:
                return job
            time.sleep(0.05)
        return self.get(job_id)

    def shutdown(self) -> None:
        """Stop taking jobs; running ones finish with the process."""
        self._pool.shutdown(wait=False, cancel_futures=True)
