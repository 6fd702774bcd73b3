"""Scan use-case: register library roots and bring their tracks up to date, incrementally."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from playlist_builder.db.library import FileFacts, Library
from playlist_builder.errors import InputError
from playlist_builder.model import Override, OverrideAction, Source, Track
from playlist_builder.services.progress import ProgressCallback, ProgressEvent, report
from playlist_builder.services.workers import cpu_count, die_with_parent_quietly
from playlist_builder.sources import local
from playlist_builder.sources.fingerprint import file_fingerprint
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
LOADAVG_FILE = "/proc/loadavg"  # its fourth field: tasks runnable now / all tasks


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
    moved: int = 0  # files recognised by their content at a new path: the same row, decisions kept
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
    resolved_root = os.path.realpath(root)
    known = library.file_facts(resolved_root)
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
    keys = _resolved_keys(found)
    outside = [key for key in keys if key not in known and not _is_under(key, resolved_root)]
    if outside:  # reached through a link to a file kept elsewhere: still one row per file
        known.update(library.file_facts_for(outside))
    seen_keys = set(keys)
    out.seen += len(found)
    to_read: list[tuple[FoundFile, str, FileFacts | None]] = []
    returned_ids: list[int] = []
    backfill: dict[int, str] = {}
    for file, key in zip(found, keys, strict=True):
        facts = known.get(key)
        if facts is not None and facts.size == file.size and facts.mtime == file.mtime:
            out.unchanged += 1
            if facts.missing:
                returned_ids.append(facts.track_id)
            if facts.fingerprint is None:  # scanned before fingerprints existed: take it once
                fingerprint = file_fingerprint(file.path, file.size)
                if fingerprint is not None:
                    backfill[facts.track_id] = fingerprint
        else:
            to_read.append((file, key, facts))
    library.set_fingerprints(backfill)
    batch: list[Track] = []
    fingerprints: dict[str, str | None] = {}
    relocated: set[int] = set()
    stored = library.local_fingerprints() if any(facts is None for _, _, facts in to_read) else set()
    total = len(to_read)
    # the reader names each track by what it is given as `relative`: give it the resolved path (the key)
    results = _read_all([file._replace(relative=key) for file, key, _ in to_read])
    for index, ((file, key, facts), (outcome, fingerprint)) in enumerate(
        zip(to_read, results, strict=False), start=1
    ):
        if isinstance(outcome, str):
            out.problems.append((file.path, outcome))
            outcome = _unreadable_track(file._replace(relative=key), outcome)
        batch.append(outcome)
        fingerprints[key] = fingerprint
        if facts is None:
            out.added += 1
        else:
            out.updated += 1
            if facts.missing:
                out.returned += 1
        report(progress, ProgressEvent(done=index, total=total, item=file.relative))
        if len(batch) >= BATCH_SIZE:
            relocated |= _save_batch(library, batch, fingerprints, stored, known, seen_keys, root_id, out)
            batch, fingerprints = [], {}
    if batch:
        relocated |= _save_batch(library, batch, fingerprints, stored, known, seen_keys, root_id, out)
    out.returned += library.set_missing(returned_ids, False)
    vanished = [
        facts.track_id
        for key, facts in known.items()
        if key not in seen_keys
        and not facts.missing
        and _is_under(key, resolved_root)
        and not _under_any(root, key, unreadable_dirs)
        and facts.track_id not in relocated  # moved by this scan: the row now names its new path
    ]
    out.marked_missing += library.set_missing(vanished, True)
    library.touch_root(root_id)


def _save_batch(
    library: Library,
    batch: list[Track],
    fingerprints: dict[str, str | None],
    stored: set[str],
    known: dict[str, FileFacts],
    seen_keys: set[str],
    root_id: int,
    out: ScanReport,
) -> set[int]:
    """Store a batch of read files; a new path whose content is a moved file takes over that file's row.

    A moved file keeps its row (and so every decision, analysis and classification). A new copy of a
    file a clinician banned is banned too: the same audio must not come back under another name.
    """
    # only new paths whose content the library already holds (under another path) can be moves or copies
    new = {key: fp for key, fp in fingerprints.items() if fp in stored and key not in known}
    matches = library.fingerprint_matches(new.values()) if new else {}
    inherited: list[tuple[str, int]] = []
    relocated: set[int] = set()
    for key, fingerprint in new.items():
        stored = matches.get(fingerprint, [])
        gone = [m for m in stored if m.source_key not in seen_keys and not os.path.exists(m.source_key)]
        if gone:
            mover = max(gone, key=lambda m: (m.banned, m.missing, -m.track_id))
            library.relocate_track(mover.track_id, key, root_id)
            stored.remove(mover)
            relocated.add(mover.track_id)
            out.moved += 1
            out.added -= 1  # counted as moved, not new
        elif any(m.banned for m in stored):
            inherited.append((key, next(m.track_id for m in stored if m.banned)))
    ids = library.upsert_tracks(batch, root_id, fingerprints)
    by_key = {track.source_key: track_id for track, track_id in zip(batch, ids, strict=True)}
    for key, banned_id in inherited:
        library.add_override(
            Override(
                track_id=by_key[key],
                action=OverrideAction.BAN,
                created_at=datetime.now(UTC),
                note=f"same audio as track {banned_id}, which a clinician banned",
            )
        )
    return relocated


def _resolved_keys(found: list[FoundFile]) -> list[str]:
    """Each file's resolved absolute path: its key, however it was reached (one realpath per folder)."""
    folders: dict[str, str] = {}
    keys = []
    for file in found:
        folder, name = os.path.split(file.path)
        resolved = folders.get(folder)
        if resolved is None:
            resolved = folders[folder] = os.path.realpath(folder)
        path = os.path.join(resolved, name)
        keys.append(os.path.realpath(path) if os.path.islink(path) else path)
    return keys


def _is_under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _read_one(file: FoundFile) -> tuple[Track | str, str | None]:
    """Tags (or the reason they cannot be read) and the content fingerprint of one file."""
    outcome = local.read_or_reason(file)
    fingerprint = file_fingerprint(file.path, file.size) if not isinstance(outcome, str) else None
    return outcome, fingerprint


def _read_all(files: list[FoundFile]) -> Iterator[tuple[Track | str, str | None]]:
    """Read tags in order; large scans use one forked worker per core (mutagen is CPU-bound Python).

    Fork, not spawn: a spawned worker re-imports the whole command line before reading a single file,
    which costs more than it saves. The workers never touch the parent's database connections, and
    where fork is not available the files are read in this process.
    """
    workers = _reader_count()
    forkable = "fork" in multiprocessing.get_all_start_methods()
    if len(files) < PARALLEL_READ_THRESHOLD or workers < 2 or not forkable:
        yield from (_read_one(file) for file in files)
        return
    context = multiprocessing.get_context("fork")
    pool = ProcessPoolExecutor(
        workers, mp_context=context, initializer=die_with_parent_quietly, initargs=(os.getpid(),)
    )
    try:
        yield from pool.map(_read_one, files, chunksize=READ_CHUNK)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _reader_count() -> int:
    """How many forked readers to use: one per core, or none (1) when the machine has no spare core."""
    cores = cpu_count()
    if cores - _busy_cores() < SPARE_CORES_FOR_READERS:
        return 1
    return min(cores, MAX_READ_WORKERS)


def _busy_cores() -> float:
    """Cores busy with other work now: the kernel's count of tasks runnable at this moment, this scan
    left out (Linux), else the one-minute load average. The average lags by a minute: right after other
    work ends it still reads busy, and a scan started then would read alone on an idle machine."""
    try:
        with open(LOADAVG_FILE, encoding="ascii") as stats:
            return max(0.0, float(stats.read().split()[3].split("/")[0]) - 1.0)
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.getloadavg()[0]
    except OSError:  # not available on this system: assume the cores are free
        return 0.0


def _unreadable_track(file: FoundFile, reason: str) -> Track:
    """A row for a file that could not be read: kept (with its reason) so it is listed, never used."""
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
    resolved = [os.path.realpath(d) for d in directories]
    return any(_is_under(absolute, d) for d in [*directories, *resolved])
