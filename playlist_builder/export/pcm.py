"""Stream any audio file as float stereo blocks at one sample rate, with bounded memory."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import soundfile as sf

from playlist_builder.errors import ExportError
from playlist_builder.export.ffmpeg import find_ffmpeg

SAMPLE_WIDTH = (
    2  # the mix is 16-bit: what every player reads; gains and fades add far less noise than sources have
)
CHANNELS = 2
MIX_RATES = (44100, 48000)  # CD and video/DAW rates: every player plays both
FLOAT_BYTES = 4
BLOCK_FRAMES = 1 << 16  # ~1.5 s per block: big enough for speed, small enough for memory


def file_rate(path: Path) -> int | None:
    """The sample rate soundfile reads from the header, or None if it cannot open the file."""
    try:
        return int(sf.info(str(path)).samplerate)
    except (sf.LibsndfileError, RuntimeError, OSError):
        return None


def mix_rate(paths: Sequence[Path], asked: int | None = None) -> int:
    """The mix's sample rate: one of MIX_RATES, never below the best source (up to the highest mix rate).

    A mix is never rendered below CD quality, however low-rate some sources are: a 16 kHz track is
    resampled up, and the 44.1 kHz tracks beside it keep their detail. `asked` (a MIX_RATES value)
    is honoured unless a source is better than it.
    """
    if asked is not None and asked not in MIX_RATES:
        raise ExportError(
            f"the mix rate must be one of {', '.join(str(r) for r in MIX_RATES)} Hz, not {asked}"
        )
    best = max((rate for rate in (file_rate(p) for p in paths) if rate), default=0)
    floor = next((rate for rate in MIX_RATES if rate >= best), MIX_RATES[-1])
    return max(asked or MIX_RATES[0], floor)


def _to_stereo(block: np.ndarray) -> np.ndarray:
    """Mono doubled; stereo as is; more channels: the front pair (good enough for calm music beds)."""
    if block.shape[1] == 1:
        return np.repeat(block, 2, axis=1)
    return np.ascontiguousarray(block[:, :2])


def _soundfile_blocks(path: Path) -> Iterator[np.ndarray]:
    with sf.SoundFile(str(path)) as handle:
        while True:
            # float keeps the overs of lossy files (decoded peaks above full scale) until the gain is applied
            block = handle.read(BLOCK_FRAMES, dtype="float32", always_2d=True)
            if block.shape[0] == 0:
                return
            yield _to_stereo(block)


def _ffmpeg_blocks(path: Path, rate: int) -> Iterator[np.ndarray]:
    """Decode and resample with ffmpeg (its resampler is far better than a linear one)."""
    exe = find_ffmpeg()
    if exe is None:
        raise ExportError(f"{path.name} needs ffmpeg to be decoded or resampled; install ffmpeg")
    command = [exe, "-hide_banner", "-nostdin", "-loglevel", "error", "-i", str(path),
               "-vn", "-f", "f32le", "-ac", str(CHANNELS), "-ar", str(rate), "-"]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    frame_bytes = CHANNELS * FLOAT_BYTES
    try:
        while data := process.stdout.read(BLOCK_FRAMES * frame_bytes):
            usable = len(data) - len(data) % frame_bytes
            yield np.frombuffer(data[:usable], dtype=np.float32).reshape(-1, CHANNELS)
        error = process.stderr.read().decode("utf-8", "replace").strip()
        if process.wait() != 0:
            raise ExportError(f"cannot decode {path}: {error.splitlines()[-1] if error else 'ffmpeg failed'}")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
        process.stderr.close()


def pcm_blocks(path: Path, rate: int) -> Iterator[np.ndarray]:
    """Blocks of float32 stereo frames (frames, 2) of `path` at `rate`; ExportError if it cannot be read."""
    if file_rate(path) == rate:
        try:
            yield from _soundfile_blocks(path)
            return
        except (sf.LibsndfileError, RuntimeError) as exc:
            raise ExportError(f"cannot decode {path}: {exc}") from exc
    yield from _ffmpeg_blocks(path, rate)


def to_int16(block: np.ndarray, gain: float = 1.0) -> np.ndarray:
    """Float frames times a linear gain as 16-bit samples (rounded; anything past full scale clipped)."""
    scaled = block * np.float32(gain * 32768.0)
    np.rint(scaled, out=scaled)  # in place: long fades are converted in one piece, so temporaries count
    np.clip(scaled, -32768, 32767, out=scaled)
    return scaled.astype(np.int16)


def int16_to_float(block: np.ndarray) -> np.ndarray:
    """16-bit frames as floats in ±1.0 (what the loudness meter expects)."""
    return block.astype(np.float32) * np.float32(1.0 / 32768.0)
