"""A cheap content fingerprint of a local file: how a moved or renamed file is recognised.

The fingerprint is the file's size and a hash of a few fixed blocks spread over it (the first, the
last and evenly spaced ones between). It reads FINGERPRINT_BLOCKS x FINGERPRINT_BLOCK_BYTES bytes
whatever the file's length, so a scan stays fast; two different recordings of exactly the same size
that agree on every sampled block are, for compressed or recorded audio, not met in practice.
"""

from __future__ import annotations

import hashlib
import os

FINGERPRINT_BLOCKS = 8
FINGERPRINT_BLOCK_BYTES = 4096
# Files smaller than this are not fingerprinted: empty and header-only files all look alike, and
# recognising "a move" between two of them would carry decisions to the wrong file.
MIN_FINGERPRINT_BYTES = 1024


def file_fingerprint(path: str | os.PathLike[str], size: int) -> str | None:
    """`<size>:<hash of sampled blocks>` of a file, or None when it is too small or cannot be read."""
    if size < MIN_FINGERPRINT_BYTES:
        return None
    digest = hashlib.blake2b(digest_size=16)
    try:
        with open(path, "rb") as handle:
            if size <= FINGERPRINT_BLOCKS * FINGERPRINT_BLOCK_BYTES:
                digest.update(handle.read())
            else:
                last = size - FINGERPRINT_BLOCK_BYTES
                for index in range(FINGERPRINT_BLOCKS):
                    handle.seek(last * index // (FINGERPRINT_BLOCKS - 1))
                    digest.update(handle.read(FINGERPRINT_BLOCK_BYTES))
    except OSError:
        return None
    return f"{size}:{digest.hexdigest()}"
