"""Listening in the clinic app: which file plays a track, how a browser can play it, a loudness strip.

A track's audio is only ever found through its database row (root + relative key), never through a
path a request names; a key that would leave its root is refused.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np

from playlist_builder.audio.decode import open_audio
from playlist_builder.db.library import Library
from playlist_builder.errors import AudioError, NotFoundError
from playlist_builder.model import Source, Track

# Containers and codecs every current browser plays in an <audio> element; others are transcoded.
BROWSER_TYPES = {
    "mp3": "audio/mpeg",
    "ogg": "audio/ogg",
    "opus": "audio/ogg",
    "flac": "audio/flac",
    "wav": "audio/wav",
}
AAC_TYPE = "audio/mp4"  # m4a holding AAC plays; m4a holding ALAC does not
STRIP_BINS = 240  # one value per column of the strip: enough detail on a page-wide strip
SILENCE_DB = -70.0  # the floor of the strip: quieter than any session music


@dataclass(frozen=True)
class PlayableFile:
    """The local file that plays a track, and how to send it to a browser."""

    track: Track  # the local-file row (itself, or the file a curated/Spotify row is linked to)
    path: str
    media_type: str | None  # None: the browser cannot play it as it is; transcode it


def playable_file(library: Library, track_id: int) -> PlayableFile:
    """The file behind a track id; NotFoundError when the track has no local file on disk."""
    track = library.get_track(track_id)
    if track is None:
        raise NotFoundError(f"no track with id {track_id}")
    if track.source is not Source.LOCAL and track.linked_track_id is not None:
        linked = library.get_track(track.linked_track_id)
        track = linked if linked is not None else track
    path = _inside_root(track)
    if path is None or track.missing or not os.path.isfile(path):
        raise NotFoundError(f"track {track_id} has no audio file here to play")
    return PlayableFile(track, path, _media_type(track, path))


def _inside_root(track: Track) -> str | None:
    """The track's absolute path when its key stays inside its root (no `..`, no absolute key)."""
    if track.source is not Source.LOCAL or track.root_path is None or track.path is None:
        return None
    root = os.path.normpath(os.path.abspath(track.root_path))
    path = os.path.normpath(os.path.abspath(track.path))
    if path != root and not path.startswith(root.rstrip(os.sep) + os.sep):
        return None
    return path


def _media_type(track: Track, path: str) -> str | None:
    fmt = (track.file_format or os.path.splitext(path)[1].lstrip(".")).lower()
    if fmt in BROWSER_TYPES:
        return BROWSER_TYPES[fmt]
    if fmt in ("m4a", "mp4", "aac") and _is_aac(path):
        return AAC_TYPE
    return None


def _is_aac(path: str) -> bool:
    """Whether an MP4 file holds AAC (plays in a browser) rather than ALAC (does not)."""
    try:
        from mutagen.mp4 import MP4

        codec = getattr(MP4(path).info, "codec", "") or ""
    except Exception:  # unreadable tags: let the transcoder deal with it
        return False
    return codec.startswith("mp4a")


@dataclass(frozen=True)
class Strip:
    """Loudness over time: `levels_db[i]` is the RMS level of the i-th of equal slices of the track."""

    duration_s: float
    levels_db: tuple[float, ...]


def loudness_strip(path: str, bins: int = STRIP_BINS) -> Strip:
    """Decode a file block by block (bounded memory) and measure its level in `bins` equal slices."""
    with open_audio(path) as source:
        info = source.info
        duration = info.duration_s
        if not duration:
            raise AudioError(f"{path}: unknown length, no strip")
        total_frames = max(1, round(duration * info.sample_rate))
        sums = np.zeros(bins)
        counts = np.zeros(bins)
        position = 0
        for block in source.read_window(0.0, duration):
            mono = block.mean(axis=1) if block.shape[1] > 1 else block[:, 0]
            index = np.minimum((np.arange(position, position + mono.size) * bins) // total_frames, bins - 1)
            sums += np.bincount(index, weights=mono.astype(np.float64) ** 2, minlength=bins)
            counts += np.bincount(index, minlength=bins)
            position += mono.size
    levels = []
    for total, count in zip(sums, counts, strict=True):
        power = total / count if count else 0.0
        levels.append(round(max(SILENCE_DB, 10 * math.log10(power)) if power > 0 else SILENCE_DB, 1))
    return Strip(float(duration), tuple(levels))
