"""A cheap content fingerprint of a local file: how a moved or renamed file is recognised.

The fingerprint is the file's size and a hash of a few fixed blocks spread over it (the first, the
last and evenly spaced ones between). It reads FINGERPRINT_BLOCKS x FINGERPRINT_BLOCK_BYTES (12 KB)
whatever the file's length, so a scan stays fast; two different recordings of exactly the same size
that agree on every sampled block are, for compressed or recorded audio, not met in practice.
"""

from __future__ import annotations

import hashlib
import os

FINGERPRINT_BLOCKS = 6
FINGERPRINT_BLOCK_BYTES = 2048
# Files smaller than this are not fingerprinted: empty and header-only files all look alike, and
# recognising "a move" between two of them would carry decisions to the wrong file.
MIN_FINGERPRINT_BYTES = 1024


def file_fingerprint(path: str | os.PathLike[str], size: int) -> str | None:
    """`<size>:<hash of sampled blocks>` of a file, or None when it is too small or cannot be read."""
    if size < MIN_FINGERPRINT_BYTES:
        return None
    digest = hashlib.blake2b(digest_size=16)
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:  # unbuffered positioned reads: a handful of system calls, whatever the file's size
        if size <= FINGERPRINT_BLOCKS * FINGERPRINT_BLOCK_BYTES:
            digest.update(os.pread(descriptor, size, 0))
        else:
            last = size - FINGERPRINT_BLOCK_BYTES
            for index in range(FINGERPRINT_BLOCKS):
                offset = last * index // (FINGERPRINT_BLOCKS - 1)
                digest.update(os.pread(descriptor, FINGERPRINT_BLOCK_BYTES, offset))
    except OSError:
        return None
    finally:
        os.close(descriptor)
    return f"{size}:{digest.hexdigest()}"
