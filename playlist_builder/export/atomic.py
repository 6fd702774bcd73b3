"""Atomic file writing: a temp file beside the target, fsync, rename, fsync the folder; no half files."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

from playlist_builder.errors import ExportError

# A short temp name independent of the final one: a final name near the 255-byte limit must not push
# its temp sibling over it. The leading dot hides it if a crash ever leaves one behind. The name
# carries a short key of the final name and the writing process's id
# (`.pb-<key>-<pid>-<random>.part`), so the next write of the same file can tell its own leftovers
# (from a killed run) from another file's temp or a run still going, and remove only those.
TEMP_PREFIX = ".pb-"
TEMP_SUFFIX = ".part"
TARGET_KEY_CHARS = 8
# Where a process id cannot be probed safely (Windows: os.kill would end the process), a leftover
# counts as abandoned once it has not been written to for this long; no export pauses that long.
STALE_AFTER_S = 6 * 3600
_NEW_FILE_MODE = 0o666  # like open(): the umask decides, so a shared device gets readable files


class AtomicFile:
    """An unbuffered binary file over a raw descriptor (write, read, seek, tell), as soundfile needs."""

    def __init__(self, fd: int, path: Path) -> None:
        self.fd = fd
        self.name = str(path)

    def write(self, data: bytes | bytearray | memoryview) -> int:
        """Write all of `data` (os.write may write less than asked)."""
        view = memoryview(data).cast("B")
        written = 0
        while written < len(view):
            written += os.write(self.fd, view[written:])
        return written

    def read(self, size: int = -1) -> bytes:
        """Read up to `size` bytes (soundfile re-reads headers it wrote)."""
        if size < 0:
            chunks = []
            while chunk := os.read(self.fd, 1 << 20):
                chunks.append(chunk)
            return b"".join(chunks)
        return os.read(self.fd, size)

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        """Move the file position."""
        return os.lseek(self.fd, offset, whence)

    def tell(self) -> int:
        """The file position."""
        return os.lseek(self.fd, 0, os.SEEK_CUR)

    def flush(self) -> None:
        """Nothing is buffered; present for file-object callers."""


def describe_os_error(exc: OSError, target: Path) -> str:
    """One line saying why `target` could not be written, in the clinic's terms."""
    folder = target.parent
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"not enough free space in {folder} to write {target.name}"
    if exc.errno == errno.EROFS:
        return f"cannot write {target.name}: {folder} is on a read-only device (is the card locked?)"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"cannot write {target.name}: no permission to write in {folder}"
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        if not os.path.lexists(folder):
            return f"cannot write {target.name}: the folder {folder} does not exist"
        if not os.path.isdir(folder):
            return f"cannot write {target.name}: {folder} is not a folder"
        return (
            f"cannot write {target.name}: {folder} does not accept new files "
            "(it is not a regular file system; choose a folder on a disk or card)"
        )
    if exc.errno == errno.ENAMETOOLONG:
        return f"cannot write {target.name}: the name is too long for this device"
    return f"cannot write {target}: {exc.strerror or exc}"


def target_key(target: Path) -> str:
    """A short, stable key of a target's file name: its temp files all start `.pb-<key>-`."""
    return hashlib.sha256(target.name.encode("utf-8", "surrogateescape")).hexdigest()[:TARGET_KEY_CHARS]


def temp_path_for(target: Path) -> Path:
    """A fresh temp name in the target's folder (same file system, so the rename is atomic)."""
    return (
        target.parent / f"{TEMP_PREFIX}{target_key(target)}-{os.getpid()}-{secrets.token_hex(6)}{TEMP_SUFFIX}"
    )


def _writer_gone(pid_text: str, temp: Path) -> bool:
    """Whether the process that wrote a temp file has ended (so the file is an abandoned leftover)."""
    if not pid_text.isdigit() or int(pid_text) == os.getpid():
        return False  # not ours to judge, or a write of this very process still under way
    if os.name == "nt":
        try:
            return time.time() - temp.stat().st_mtime > STALE_AFTER_S
        except OSError:
            return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False  # it exists (another user's process): leave its file alone
    return False


def remove_leftovers(target: Path) -> list[Path]:
    """Remove temp files an earlier, killed write of `target` left in its folder; returns them.

    Only files named for this target (`.pb-<key>-<pid>-….part`) whose writing process has ended are
    removed: other files' temps and writes still running are left alone.
    """
    target = Path(target)
    prefix = f"{TEMP_PREFIX}{target_key(target)}-"
    removed: list[Path] = []
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return removed  # the write itself will report what is wrong with the folder
    for entry in entries:
        name = entry.name
        if not (name.startswith(prefix) and name.endswith(TEMP_SUFFIX)):
            continue
        pid_text = name[len(prefix) :].split("-", 1)[0]
        path = Path(entry.path)
        if entry.is_file(follow_symlinks=False) and _writer_gone(pid_text, path):
            _remove_quietly(path)
            removed.append(path)
    return removed


def check_writable(target: Path) -> None:
    """ExportError now, before any work, when `target` could not be written (missing or read-only
    folder, no permission, a folder that is not a file system such as /proc): tries a temp file."""
    target = Path(target)
    if target.is_dir():
        raise ExportError(f"cannot write {target}: it is a folder; give a file name")
    temp = temp_path_for(target)
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), _NEW_FILE_MODE)
    except OSError as exc:
        raise ExportError(describe_os_error(exc, target)) from exc
    os.close(fd)
    _remove_quietly(temp)


def _fsync_folder(folder: Path) -> None:
    """Make the rename durable; some systems (Windows, some FAT drivers) cannot, which is harmless."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _remove_quietly(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def _sync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temp path to fill (by any writer, even another program); on success it becomes `target`.

    On any error, including a full disk or an interrupt, the temp file is removed and `target` is
    untouched; OSErrors become ExportError with a plain reason. What a killed earlier write of the
    same target left behind (kill -9 leaves no chance to clean up) is removed first.
    """
    target = Path(target)
    remove_leftovers(target)
    temp = temp_path_for(target)
    try:
        yield temp
        _sync_file(temp)
        os.replace(temp, target)
    except OSError as exc:
        _remove_quietly(temp)
        raise ExportError(describe_os_error(exc, target)) from exc
    except BaseException:
        _remove_quietly(temp)
        raise
    _fsync_folder(target.parent)


@contextlib.contextmanager
def atomic_open(target: Path) -> Iterator[AtomicFile]:
    """Yield a new file open for binary writing; on success it is fsynced and renamed to `target`."""
    target = Path(target)
    with atomic_path(target) as temp:
        fd = os.open(temp, os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), _NEW_FILE_MODE)
        try:
            yield AtomicFile(fd, temp)
            os.fsync(fd)
        finally:
            os.close(fd)


def write_bytes_atomic(target: Path, data: bytes) -> None:
    """Replace `target` with `data` atomically."""
    with atomic_open(target) as handle:
        handle.write(data)
