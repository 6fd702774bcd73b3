"""Copy a session's files and playlist onto a USB stick or SD card: safe names, verified, no half files."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from playlist_builder.errors import ExportError
from playlist_builder.export.atomic import atomic_open, atomic_path, describe_os_error, write_bytes_atomic
from playlist_builder.export.ffmpeg import CODECS, PLAYABLE_EVERYWHERE, Codec, transcode_file

COPY_CHUNK_BYTES = 1 << 20
# Room kept free beyond the files themselves: FAT allocates whole clusters (up to 128 KiB on big
# cards) and the folder entries, playlist and manifest need space too.
FREE_SPACE_MARGIN_BYTES = 16 << 20
CLUSTER_BYTES = 128 << 10
# Manifest of transcoded files: lets a second run see that an .mp3 on the card came from the same source.
MANIFEST_NAME = ".playlist-builder.json"
TRANSCODE_LENGTH_TOLERANCE_S = 1.5  # encoders pad a few frames; more than this means a broken file


@dataclass(frozen=True)
class CopyJob:
    """One file to put on the device: from where, under which safe name, how."""

    source: Path
    name: str
    source_size: int
    codec: Codec | None = None
    duration_s: float | None = None
    tags: tuple[tuple[str, str], ...] = ()

    @property
    def expected_bytes(self) -> int:
        """Bytes the copy will take (an upper estimate for transcodes)."""
        if self.codec is None:
            return self.source_size
        return int((self.duration_s or 0) * self.codec.kbps * 1000 / 8 * 1.05) + 64 * 1024


@dataclass(frozen=True)
class CopyOutcome:
    """What happened to one job: `copied`, `transcoded`, `skipped` (identical one already there)."""

    name: str
    action: str
    bytes: int
    sha256: str


@dataclass(frozen=True)
class DevicePlan:
    """What a copy will do: jobs, which are already there, and the space it needs."""

    folder: Path
    jobs: tuple[CopyJob, ...]
    already_there: frozenset[str]
    needed_bytes: int
    free_bytes: int


def codec_for(source: Path, transcode: str | None) -> Codec | None:
    """The codec to transcode with, or None to copy as is (already MP3/AAC/WAV, or no transcode)."""
    if transcode is None:
        return None
    codec = CODECS[transcode]
    return None if source.suffix.lower() in PLAYABLE_EVERYWHERE else codec


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(COPY_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def _cluster_rounded(size: int) -> int:
    return -(-size // CLUSTER_BYTES) * CLUSTER_BYTES


def inside(folder: Path, name: str) -> Path:
    """`folder/name`, refusing anything that would land outside `folder` (defence behind safe names)."""
    target = folder / name
    if name in ("", ".", "..") or target.parent != folder or os.path.basename(name) != name:
        raise ExportError(f"refusing to write {name!r}: it is not a plain file name inside {folder}")
    return target


def load_manifest(folder: Path) -> dict[str, dict[str, object]]:
    """Per file name on the device: the source hash and codec it was made from (empty if none)."""
    try:
        data = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _is_there(job: CopyJob, folder: Path, manifest: dict[str, dict[str, object]]) -> bool:
    """True when the device already holds exactly what this job would write."""
    target = folder / job.name
    try:
        size = target.stat().st_size
    except OSError:
        return False
    if job.codec is None:
        return size == job.source_size and file_sha256(target) == file_sha256(job.source)
    entry = manifest.get(job.name, {})
    return (
        entry.get("codec") == job.codec.name
        and entry.get("source_sha256") == file_sha256(job.source)
        and entry.get("size") == size
        and entry.get("sha256") == file_sha256(target)
    )


def plan_copy(folder: Path, jobs: Sequence[CopyJob]) -> DevicePlan:
    """Work out what is already there and how much space the rest needs, writing nothing."""
    manifest = load_manifest(folder) if folder.is_dir() else {}
    there = frozenset(job.name for job in jobs if _is_there(job, folder, manifest))
    needed = sum(_cluster_rounded(job.expected_bytes) for job in jobs if job.name not in there)
    probe = folder if folder.exists() else _existing_ancestor(folder)
    try:
        free = shutil.disk_usage(probe).free
    except OSError as exc:
        raise ExportError(f"cannot read free space of {probe}: {exc.strerror or exc}") from exc
    return DevicePlan(folder, tuple(jobs), there, needed + FREE_SPACE_MARGIN_BYTES, free)


def _existing_ancestor(path: Path) -> Path:
    for parent in path.parents:
        if parent.exists():
            return parent
    return Path(path.anchor or ".")


def check_space(plan: DevicePlan) -> None:
    """ExportError before anything is written when the files cannot fit."""
    if plan.needed_bytes > plan.free_bytes:
        raise ExportError(
            f"not enough space on the device: the session needs {_mb(plan.needed_bytes)} "
            f"and only {_mb(plan.free_bytes)} is free in {plan.folder}"
        )


def _mb(size: int) -> str:
    return f"{size / 1e6:,.1f} MB"


def copy_verified(source: Path, target: Path) -> str:
    """Copy `source` to `target` atomically and read the copy back; returns its SHA-256."""
    digest = hashlib.sha256()
    try:
        reader = open(source, "rb")  # noqa: SIM115 - closed below; read errors are the source's fault
    except OSError as exc:
        raise ExportError(f"cannot read {source}: {exc.strerror or exc}") from exc
    with reader, atomic_open(target) as writer:
        while True:
            try:
                chunk = reader.read(COPY_CHUNK_BYTES)
            except OSError as exc:
                raise ExportError(f"cannot read {source}: {exc.strerror or exc}") from exc
            if not chunk:
                break
            digest.update(chunk)
            writer.write(chunk)
        writer.seek(0)
        copied = hashlib.sha256()
        while chunk := writer.read(COPY_CHUNK_BYTES):
            copied.update(chunk)
        if copied.hexdigest() != digest.hexdigest():
            raise ExportError(f"the copy of {source.name} on the device does not match the original")
    return digest.hexdigest()


def transcode_verified(job: CopyJob, target: Path) -> str:
    """Transcode into `target` atomically, checking the result plays for the right length."""
    assert job.codec is not None
    with atomic_path(target) as temp:
        transcode_file(job.source, temp, job.codec, dict(job.tags))
        length = _media_length(temp)
        if job.duration_s and (length is None or abs(length - job.duration_s) > TRANSCODE_LENGTH_TOLERANCE_S):
            raise ExportError(
                f"the {job.codec.name} made from {job.source.name} lasts {length or 0:.1f} s, "
                f"not {job.duration_s:.1f} s; nothing was kept"
            )
        sha = file_sha256(temp)
    return sha


def _media_length(path: Path) -> float | None:
    """Length of an encoded file per its headers (mutagen), or None if unreadable."""
    import mutagen

    try:
        media = mutagen.File(path)
    except Exception:  # any parse failure means the file is not playable
        return None
    return float(media.info.length) if media is not None and media.info else None


def make_folder(folder: Path) -> None:
    """Create the session folder (and parents), with a plain message on failure."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(describe_os_error(exc, folder / ".")) from exc


def run_copy(
    plan: DevicePlan,
    playlist_name: str,
    playlist_bytes: bytes,
    on_progress: Callable[[int, int, str], None] | None = None,
) -> list[CopyOutcome]:
    """Copy every job not already there, then the playlist; each file appears only once complete."""
    check_space(plan)
    make_folder(plan.folder)
    manifest = load_manifest(plan.folder)
    outcomes: list[CopyOutcome] = []
    total = len(plan.jobs)
    try:
        for done, job in enumerate(plan.jobs):
            if on_progress is not None:
                on_progress(done, total, job.name)
            outcomes.append(_run_job(plan, job, manifest))
    except ExportError as exc:
        raise ExportError(
            f"{exc} ({len(outcomes)} of {total} files are complete on the device and kept; "
            "no playlist was written; run the same command again to finish)"
        ) from exc
    finally:
        # Even after a failure, remember the transcodes that did finish so a re-run skips them.
        if any(o.action == "transcoded" for o in outcomes):
            _save_manifest(plan.folder, manifest)
    write_bytes_atomic(inside(plan.folder, playlist_name), playlist_bytes)
    if on_progress is not None:
        on_progress(total, total, playlist_name)
    return outcomes


def _save_manifest(folder: Path, manifest: dict[str, dict[str, object]]) -> None:
    # Only an optimisation for the next run; the copy's own error (if any) is the one to show.
    with contextlib.suppress(ExportError):
        write_bytes_atomic(folder / MANIFEST_NAME, json.dumps(manifest, indent=1).encode("utf-8"))


def _run_job(plan: DevicePlan, job: CopyJob, manifest: dict[str, dict[str, object]]) -> CopyOutcome:
    target = inside(plan.folder, job.name)
    if job.name in plan.already_there:
        return CopyOutcome(job.name, "skipped", target.stat().st_size, "")
    if job.codec is None:
        sha = copy_verified(job.source, target)
        return CopyOutcome(job.name, "copied", job.source_size, sha)
    sha = transcode_verified(job, target)
    size = target.stat().st_size
    manifest[job.name] = {
        "codec": job.codec.name,
        "source_sha256": file_sha256(job.source),
        "size": size,
        "sha256": sha,
    }
    return CopyOutcome(job.name, "transcoded", size, sha)
