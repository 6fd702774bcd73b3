"""Use-case: analyse the library's local files that are new, changed, or were analysed by another version.

Only what must be redone is redone: a new version of one voice ear (audio/version.py) has that ear hear
the file again and keeps every other stored measurement (`analyzer.rehear`); a new features version, a
changed file or `force` analyses the file whole. A rules change re-analyses nothing (classify does it).

Work runs in a pool of `jobs` worker processes (a single file in-process), each decoding and analysing
one file at a time and returning its Features or the reason it failed; the parent saves every result
as it arrives, so an interruption keeps everything finished so far. The parent never loads the vocal
model: it only plans, saves and reports, so the command's largest process is one worker (with
`--jobs 1` too), and a worker hands freed memory back after every file.

Every analysis runs with its math libraries held to one thread (one worker per core is the
parallelism; a second BLAS thread per worker only fights the other workers). Workers die with the
parent (services/workers.py), so a killed command leaves no 250 MB process behind.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Generator, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from playlist_builder.audio.version import ANALYSIS_PARTS, ANALYZER_VERSION, VOCAL_MODEL_PATH, stale_parts
from playlist_builder.config import Settings
from playlist_builder.db.library import AnalysisState, Library
from playlist_builder.errors import AudioError, InputError, NotFoundError
from playlist_builder.model import Features, Source, Track
from playlist_builder.services import analysis_worker, workers
from playlist_builder.services.analysis_worker import WorkerResult, analyse_path
from playlist_builder.services.damage import damage_reason, load_damage_rules
from playlist_builder.services.progress import ProgressCallback, ProgressEvent, report

# Futures queued ahead per worker: enough to keep workers busy, few enough that Ctrl-C cancels quickly.
QUEUE_PER_WORKER = 2


@dataclass(frozen=True)
class AnalyzeFailure:
    """A file that could not be analysed, and why."""

    track_id: int
    path: str
    reason: str


@dataclass(frozen=True)
class AnalyzeReport:
    """What a run did: counts, failures, and how much audio it covered in how long."""

    total: int
    analysed: int
    skipped: int
    failed: int
    failures: tuple[AnalyzeFailure, ...]
    audio_seconds: float
    elapsed_s: float
    analyzer_version: str
    damaged: tuple[AnalyzeFailure, ...] = ()  # analysed, but damaged (services/damage.py says why)
    reheard: int = 0  # of `analysed`: files only a new version of an ear heard again (the rest kept)


@dataclass(frozen=True)
class _Job:
    """One file to analyse, with the file facts to store beside the result."""

    track_id: int
    path: str
    label: str
    file_size: int | None
    file_mtime: float | None
    stated_s: float | None = None  # the length the library counts (the header's): damage is a shortfall
    # What to redo: every part of the analysis, or only the ears whose version changed (the stored
    # analysis they complete is read when the job is handed to a worker, one at a time).
    parts: frozenset[str] = frozenset(ANALYSIS_PARTS)


def _file_facts(path: str) -> tuple[int | None, float | None]:
    """Current size and mtime of a file (None, None when it cannot be read)."""
    try:
        stat = os.stat(path)
    except OSError:
        return None, None
    return stat.st_size, stat.st_mtime


def analyzer_version() -> str:
    """The version stamped on stored features (from audio/version.py: the analyser is never imported here)."""
    return ANALYZER_VERSION


def stale(state: AnalysisState | None, size: int | None, mtime: float | None) -> frozenset[str]:
    """The parts of a file's analysis to redo (audio/version.py ANALYSIS_PARTS): all of them when it
    was never analysed or changed on disk; else those another analyser version would give differently
    (none: up to date)."""
    if state is None or state.file_size != size or state.file_mtime != mtime:
        return frozenset(ANALYSIS_PARTS)
    return stale_parts(state.analyzer_version, analyzer_version())


def plan_jobs(library: Library, *, force: bool, track_ids: Sequence[int] | None) -> tuple[list[_Job], int]:
    """The files to analyse now and how many local tracks are up to date (skipped)."""
    tracks = library.list_tracks(source=Source.LOCAL, missing=None if track_ids else False, ids=track_ids)
    if track_ids is not None:
        _check_requested(track_ids, tracks)
    states = library.analysis_state()
    jobs: list[_Job] = []
    skipped = 0
    for track in tracks:
        path = track.path
        if path is None or track.id is None:
            continue
        size, mtime = _file_facts(path)
        parts = frozenset(ANALYSIS_PARTS) if force else stale(states.get(track.id), size, mtime)
        if parts:
            jobs.append(_Job(track.id, path, track.source_key or path, size, mtime, track.duration_s, parts))
        else:
            skipped += 1
    return jobs, skipped


def _task(library: Library, job: _Job) -> tuple[str, frozenset[str], Features | None]:
    """What a worker is given for a job: the path, the parts to redo and, when only ears are redone, the
    stored analysis they complete (read now, so the parent holds one at a time; None: analyse whole)."""
    if "features" in job.parts:
        return job.path, job.parts, None
    return job.path, job.parts, library.get_features(job.track_id)


def _check_requested(track_ids: Sequence[int], found: list[Track]) -> None:
    """Every requested id must be a local track."""
    found_ids = {track.id for track in found}
    unknown = [str(tid) for tid in track_ids if tid not in found_ids]
    if unknown:
        raise NotFoundError(f"no local track with id {', '.join(unknown)}")


def analyze_library(
    library: Library,
    settings: Settings,
    *,
    jobs: int = 1,
    force: bool = False,
    track_ids: Sequence[int] | None = None,
    progress: ProgressCallback | None = None,
) -> AnalyzeReport:
    """Analyse new and changed local files (all of them with `force`), saving each result as it arrives."""
    if jobs < 1:
        raise InputError(f"--jobs must be at least 1, got {jobs}")
    version = analyzer_version()
    damage_rules = load_damage_rules(settings.rules_dir)
    started = time.monotonic()
    work, skipped = plan_jobs(library, force=force, track_ids=track_ids)
    total = len(work)
    if total:
        report(progress, ProgressEvent(done=0, total=total))
    else:
        report(progress, ProgressEvent(message="everything is up to date"))
    analysed = 0
    reheard = 0
    audio_seconds = 0.0
    failures: list[AnalyzeFailure] = []
    damaged: list[AnalyzeFailure] = []
    if total == 1:
        analysis_worker.load_model()  # fail clearly if the model is missing or broken
        results = _run_in_process(library, work)
    elif total:
        _check_model_file()  # the workers load it; the parent only checks it is there
        results = _run_in_pool(library, work, min(jobs, total))
    else:
        results = iter(())
    for done, (job, features, error, reheard_only) in enumerate(results, start=1):
        damage = damage_reason(job.stated_s, features, damage_rules) if features else None
        if damage:
            damaged.append(AnalyzeFailure(job.track_id, job.path, damage))
        library.save_features(
            job.track_id,
            features,
            error=error,
            damage=damage,
            file_size=job.file_size,
            file_mtime=job.file_mtime,
            analyzer_version=version,
        )
        if features is not None:
            analysed += 1
            reheard += reheard_only
            audio_seconds += features.duration_s
        else:
            failures.append(AnalyzeFailure(job.track_id, job.path, error or "unknown error"))
        report(progress, ProgressEvent(done=done, total=total, item=job.label))
    return AnalyzeReport(
        total=total + skipped,
        analysed=analysed,
        skipped=skipped,
        failed=len(failures),
        failures=tuple(failures),
        audio_seconds=round(audio_seconds, 1),
        elapsed_s=round(time.monotonic() - started, 2),
        analyzer_version=version,
        damaged=tuple(damaged),
        reheard=reheard,
    )


# A job, its Features (None: failed, and the error says why), and whether only ears were heard again.
Result = tuple[_Job, Features | None, str | None, bool]


def _check_model_file() -> None:
    """AudioError now, in the parent, when the shipped vocal model is missing (instead of per file)."""
    if not VOCAL_MODEL_PATH.is_file():
        raise AudioError(f"vocal model file missing: {VOCAL_MODEL_PATH} (reinstall playlist-builder)")


def _run_in_process(library: Library, work: list[_Job]) -> Iterator[Result]:
    """Analyse jobs one after another in this process, on one math thread."""
    with workers.single_threaded():
        for job in work:
            yield job, *analyse_path(*_task(library, job))


def pool_queue(work: Sequence[_Job]) -> list[_Job]:
    """The jobs as a queue taken from its end: longest stated length first (unknown lengths last).

    A long file started last would run on alone while the other workers sit idle; started first, the
    short files fill in around it. Files of equal length keep their order.
    """
    return sorted(reversed(work), key=lambda job: job.stated_s or 0.0)


def _run_in_pool(library: Library, work: list[_Job], jobs: int) -> Iterator[Result]:
    """Analyse jobs in worker processes, longest first, yielding results in completion order.

    A worker that dies (a decoder crashing on a damaged file) breaks the whole pool: the pool is
    started again and the files it was holding are retried; a file that breaks it twice is a failure.
    """
    queue = pool_queue(work)
    broke: dict[int, int] = {}
    while queue:
        crashed = yield from _pool_pass(library, queue, jobs)
        for job in crashed:
            broke[job.track_id] = broke.get(job.track_id, 0) + 1
            if broke[job.track_id] >= 2:
                yield job, None, f"{job.path}: the decoder crashed on this file", False
            else:
                queue.append(job)


def _pool_pass(library: Library, queue: list[_Job], jobs: int) -> Generator[Result, None, list[_Job]]:
    """Run queued jobs in one pool until done or the pool breaks; return the jobs a broken pool held."""
    # spawn, not fork: onnxruntime and BLAS threads do not survive a fork safely
    context = multiprocessing.get_context("spawn")
    workers.single_thread_environment()  # inherited by the workers before they load numpy
    executor = ProcessPoolExecutor(
        max_workers=jobs, mp_context=context, initializer=analysis_worker.init_worker, initargs=(os.getpid(),)
    )
    pending: dict[Future[WorkerResult], _Job] = {}
    crashed: list[_Job] = []
    try:
        _fill(library, executor, pending, queue, jobs * QUEUE_PER_WORKER)
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                job = pending.pop(future)
                try:
                    features, error, reheard_only = future.result()
                except BrokenProcessPool:
                    crashed.append(job)
                    continue
                except Exception as failure:  # e.g. a result that cannot be sent back: that file failed
                    features, error, reheard_only = (
                        None,
                        f"{job.path}: worker failed: {type(failure).__name__}: {failure}",
                        False,
                    )
                yield job, features, error, reheard_only
            if crashed:
                crashed.extend(pending.values())
                pending.clear()
                break
            _fill(library, executor, pending, queue, jobs * QUEUE_PER_WORKER)
    finally:
        # on Ctrl-C (or any error) drop queued work; files being analysed finish and are discarded
        executor.shutdown(wait=True, cancel_futures=True)
        del executor
        workers.stop_resource_tracker()
    return crashed


def _fill(
    library: Library,
    executor: ProcessPoolExecutor,
    pending: dict[Future[WorkerResult], _Job],
    queue: list[_Job],
    limit: int,
) -> None:
    """Submit queued jobs (taken from the end of `queue`) until `limit` are pending."""
    while queue and len(pending) < limit:
        job = queue.pop()
        pending[executor.submit(analyse_path, *_task(library, job))] = job
