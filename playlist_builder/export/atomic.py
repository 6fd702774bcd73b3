"""Atomic file writing: a temp file beside the target, fsync, rename, fsync the folder; no half files."""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

from playlist_builder.errors import ExportError

# A short temp name independent of the final one: a final name near the 255-byte limit must not push
# its temp sibling over it. The leading dot hides it if a crash ever leaves one behind.
TEMP_PREFIX = ".pb-"
TEMP_SUFFIX = ".part"
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
    if exc.errno == errno.ENOENT:
        return f"cannot write {target.name}: the folder {folder} does not exist"
    if exc.errno == errno.ENAMETOOLONG:
        return f"cannot write {target.name}: the name is too long for this device"
    return f"cannot write {target}: {exc.strerror or exc}"


def temp_path_for(target: Path) -> Path:
    """A fresh temp name in the target's folder (same file system, so the rename is atomic)."""
    return target.parent / f"{TEMP_PREFIX}{secrets.token_hex(6)}{TEMP_SUFFIX}"


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
    untouched; OSErrors become ExportError with a plain reason.
    """
    target = Path(target)
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
