"""Scan use-case: register library roots and bring their tracks up to date, incrementally."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from playlist_builder.db.library import FileFacts, Library
from playlist_builder.errors import InputError
from playlist_builder.model import Track
from playlist_builder.services.progress import ProgressCallback, ProgressEvent, report
from playlist_builder.services.workers import cpu_count, die_with_parent_quietly
from playlist_builder.sources import local
from playlist_builder.sources.local import FoundFile, WalkProblem, walk_audio_files

# Files are written to the database in batches: an interrupted scan keeps every finished batch, and a
# rerun skips those files because their size and mtime are then on record.
BATCH_SIZE = 200
# Below this many files to read, starting worker processes costs more than it saves.
PARALLEL_READ_THRESHOLD = 400
MAX_READ_WORKERS = 4
READ_CHUNK = 128
# Forked readers only pay when cores are idle: on a busy machine the kernel shares CPU time between
# sessions, not processes, so extra readers add forking and pickling and gain nothing. They start only
# when the load average leaves at least this many cores spare.
SPARE_CORES_FOR_READERS = 1.0


@dataclass
class ScanReport:
    """What a scan did, for the summary line and `--json`."""

    roots: list[str] = field(default_factory=list)
    seen: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    marked_missing: int = 0
    returned: int = 0
    problems: list[tuple[str, str]] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)  # passed over on purpose, nothing lost

    @property
    def failed(self) -> int:
        """How many files or folders could not be read."""
        return len(self.problems)


def scan_paths(
    library: Library,
    paths: list[str],
    *,
    progress: ProgressCallback | None = None,
    include_hidden: bool = False,
) -> ScanReport:
    """Register each path as a root and scan it; raises InputError for a missing path or no audio at all.

    Hidden folders and files inside a root are skipped unless `include_hidden`.
    """
    roots = [_validate_root(path) for path in paths]
    scan_report = ScanReport()
    for root in roots:
        _scan_root(library, root, scan_report, progress, include_hidden=include_hidden)
    if scan_report.seen == 0:
        where = ", ".join(roots)
        raise InputError(f"no audio files found in {where} (looked for mp3, flac, ogg, opus, m4a, wav, aiff)")
    return scan_report


def rescan_all(library: Library, *, progress: ProgressCallback | None = None) -> ScanReport:
    """Scan every registered root again (roots that vanished mark their tracks missing)."""
    scan_report = ScanReport()
    for _root_id, root in library.roots():
        _scan_root(library, root, scan_report, progress)
    return scan_report


def _validate_root(path: str) -> str:
    absolute = os.path.abspath(os.path.expanduser(path))
    if not os.path.exists(absolute):
        raise InputError(f"no such file or folder: {path}")
    if not (os.path.isdir(absolute) or os.path.isfile(absolute)):
        raise InputError(f"not a file or folder: {path}")
    return absolute


def _scan_root(
    library: Library,
    root: str,
    out: ScanReport,
    progress: ProgressCallback | None,
    *,
    include_hidden: bool = False,
) -> None:
    root_id = library.add_root(root)
    out.roots.append(root)
    known = library.file_facts(root_id)
    found: list[FoundFile] = []
    unreadable_dirs: list[str] = []
    for item in walk_audio_files(root, include_hidden=include_hidden):
        if isinstance(item, WalkProblem) and item.passed_over:
            out.notes.append((item.path, item.reason))
        elif isinstance(item, WalkProblem):
            out.problems.append((item.path, item.reason))
            if os.path.lexists(item.path):  # a root that is gone entirely means its files are missing
                unreadable_dirs.append(item.path)
        else:
            found.append(item)
    seen_keys = {file.relative for file in found}
    out.seen += len(found)
    to_read: list[tuple[FoundFile, FileFacts | None]] = []
    returned_ids: list[int] = []
    for file in found:
        facts = known.get(file.relative)
        if facts is not None and facts.size == file.size and facts.mtime == file.mtime:
            out.unchanged += 1
            if facts.missing:
                returned_ids.append(facts.track_id)
        else:
            to_read.append((file, facts))
    batch: list[Track] = []
    total = len(to_read)
    results = _read_all([file for file, _ in to_read])
    for index, ((file, facts), outcome) in enumerate(zip(to_read, results, strict=False), start=1):
        if isinstance(outcome, str):
            out.problems.append((file.path, outcome))
            outcome = _unreadable_track(file, outcome)
        batch.append(outcome)
        if facts is None:
            out.added += 1
        else:
            out.updated += 1
            if facts.missing:
                out.returned += 1
        report(progress, ProgressEvent(done=index, total=total, item=file.relative))
        if len(batch) >= BATCH_SIZE:
            library.upsert_tracks(batch, root_id)
            batch = []
    if batch:
        library.upsert_tracks(batch, root_id)
    out.returned += library.set_missing(returned_ids, False)
    vanished = [
        facts.track_id
        for key, facts in known.items()
        if key not in seen_keys and not facts.missing and not _under_any(root, key, unreadable_dirs)
    ]
    out.marked_missing += library.set_missing(vanished, True)
    library.touch_root(root_id)


def _read_all(files: list[FoundFile]) -> Iterator[Track | str]:
    """Read tags in order; large scans use one forked worker per core (mutagen is CPU-bound Python).

    Fork, not spawn: a spawned worker re-imports the whole command line before reading a single file,
    which costs more than it saves. The workers never touch the parent's database connections, and
    where fork is not available the files are read in this process.
    """
    workers = _reader_count()
    forkable = "fork" in multiprocessing.get_all_start_methods()
    if len(files) < PARALLEL_READ_THRESHOLD or workers < 2 or not forkable:
        yield from (local.read_or_reason(file) for file in files)
        return
    context = multiprocessing.get_context("fork")
    pool = ProcessPoolExecutor(
        workers, mp_context=context, initializer=die_with_parent_quietly, initargs=(os.getpid(),)
    )
    try:
        yield from pool.map(local.read_or_reason, files, chunksize=READ_CHUNK)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _reader_count() -> int:
    """How many forked readers to use: one per core, or none (1) when the machine has no spare core."""
    cores = cpu_count()
    try:
        busy = os.getloadavg()[0]
    except OSError:  # not available on this system: assume the cores are free
        busy = 0.0
    if cores - busy < SPARE_CORES_FOR_READERS:
        return 1
    return min(cores, MAX_READ_WORKERS)


def _unreadable_track(file: FoundFile, reason: str) -> Track:
    """A row for a file that could not be read: kept (with its reason) so it is listed, never used."""
    from playlist_builder.model import Source

    return Track(
        source=Source.LOCAL,
        source_key=file.relative,
        title=Path(file.path).stem,
        size=file.size,
        mtime=file.mtime,
        scan_error=reason,
        has_lrc_sidecar=file.has_lrc_sidecar,
    )


def _under_any(root: str, key: str, directories: list[str]) -> bool:
    """Whether a stored file lies under a folder this scan could not read (so it is not 'missing')."""
    if not directories:
        return False
    absolute = os.path.join(root, key)
    return any(absolute == d or absolute.startswith(d.rstrip(os.sep) + os.sep) for d in directories)
