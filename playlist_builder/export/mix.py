"""One continuous, loudness-matched mix with crossfades, rendered segment by segment with pydub."""

from __future__ import annotations

import contextlib
import math
import subprocess
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from playlist_builder.audio.loudness import ABSOLUTE_GATE_LUFS, LoudnessMeter
from playlist_builder.errors import ExportError
from playlist_builder.export.atomic import atomic_open, atomic_path
from playlist_builder.export.ffmpeg import pydub_audio_segment, require_ffmpeg
from playlist_builder.export.pcm import (
    BLOCK_FRAMES,
    CHANNELS,
    SAMPLE_WIDTH,
    int16_to_float,
    mix_rate,
    pcm_blocks,
    to_int16,
)

PEAK_MARGIN_DB = 0.1  # 16-bit rounding and crossfade sums can add a hair; stay safely under the ceiling
SILENT_DB = -120.0  # pydub's own "silence" for the ends of fades
SILENT_AMPLITUDE = 10.0 ** (SILENT_DB / 20.0)
MP3_BITRATE = "256k"  # one long file: CBR so every player seeks and shows the time correctly
FORMATS = {".flac": "FLAC", ".wav": "WAV", ".mp3": "MP3"}


@dataclass(frozen=True)
class MixTrack:
    """One file in the mix: how long to play it and how long it overlaps the previous one."""

    path: Path
    label: str
    play_s: float | None = None  # None: the whole file
    crossfade_in_s: float = 0.0


@dataclass(frozen=True)
class MixOptions:
    """The loudness target, peak ceiling, the fades (from rules/) and the sample rate asked for."""

    target_lufs: float
    ceiling_dbtp: float
    max_gain_db: float
    fade_in_s: float  # the session's opening fade
    fade_out_s: float  # and its closing fade
    boundary_fade_s: float  # each track fades out and the next in over this at a change of track
    trim_fade_s: float  # a track cut short without an overlap fades out over this
    rate: int | None = None  # None: the lowest mix rate not below the best source (see pcm.mix_rate)


@dataclass(frozen=True)
class TrackLevel:
    """What was measured on one track and the gain it got."""

    label: str
    lufs: float
    true_peak_dbtp: float
    gain_db: float
    peak_limited: bool
    seconds: float


@dataclass(frozen=True)
class MixResult:
    """The written mix and its measured loudness and peak."""

    path: Path
    rate: int
    duration_s: float
    integrated_lufs: float
    true_peak_dbtp: float
    levels: tuple[TrackLevel, ...]


@dataclass(frozen=True)
class Placement:
    """Frame counts of one track in the mix: played, overlapping each neighbour, and its fades.

    The fade-in ramp covers the first `ramp_in` frames, of which the first `overlap_in` sound over
    the previous track's fade-out; the fade-out ramp covers the last `ramp_out` frames, of which the
    last `overlap_out` sound over the next track's fade-in. A ramp at least as long as its overlap
    makes one shape: a plain crossfade when they are equal, fade-out/fade-in with a short overlap when
    the ramp is longer (what keeps the mix as long as the tracks played back to back).
    """

    play: int
    overlap_in: int
    overlap_out: int
    ramp_in: int = 0
    ramp_out: int = 0


def track_gain(lufs: float, true_peak_dbtp: float, options: MixOptions) -> tuple[float, bool]:
    """Gain (dB) bringing a track to the target, lowered if its true peak would pass the ceiling."""
    if lufs <= ABSOLUTE_GATE_LUFS:
        return 0.0, False  # silence: nothing to match
    gain = min(options.target_lufs - lufs, options.max_gain_db)
    headroom = options.ceiling_dbtp - PEAK_MARGIN_DB - true_peak_dbtp
    return (headroom, True) if gain > headroom else (gain, False)


def layout(
    frames: Sequence[int], tracks: Sequence[MixTrack], rate: int, options: MixOptions
) -> list[Placement]:
    """Where each track's overlaps and fades fall, clamped so no region overlaps another."""
    plays = [min(f, round(t.play_s * rate)) if t.play_s else f for f, t in zip(frames, tracks, strict=True)]
    overlaps = [0] + [
        min(round(tracks[i].crossfade_in_s * rate), plays[i - 1] // 2, plays[i] // 2)
        for i in range(1, len(plays))
    ]
    boundary = round(options.boundary_fade_s * rate)
    placements = []
    for i, play in enumerate(plays):
        last = i == len(plays) - 1
        overlap_out = 0 if last else overlaps[i + 1]
        wanted_in = round(options.fade_in_s * rate) if i == 0 else boundary
        ramp_in = max(overlaps[i], min(wanted_in, play // 2))
        if last:
            wanted_out = round(options.fade_out_s * rate)
        elif overlap_out == 0 and plays[i] < frames[i]:
            wanted_out = round(options.trim_fade_s * rate)  # cut short by the plan: fade, never stop dead
        else:
            wanted_out = boundary
        ramp_out = max(overlap_out, min(wanted_out, play - ramp_in))
        placements.append(Placement(play, overlaps[i], overlap_out, ramp_in, ramp_out))
    return placements


class _FrameReader:
    """Exact frame counts from a track's float block stream, gain applied, as 16-bit pydub AudioSegments."""

    def __init__(self, blocks: Iterator[np.ndarray], gain_db: float, segment_class: Any, rate: int) -> None:
        self.blocks = blocks
        self.gain = 10.0 ** (gain_db / 20.0)
        self.segment_class = segment_class
        self.rate = rate
        self.pending = np.zeros((0, CHANNELS), dtype=np.float32)

    def take(self, count: int) -> Any:
        """The next `count` frames (silence-padded if the file ends early)."""
        parts, have = [self.pending], self.pending.shape[0]
        while have < count:
            block = next(self.blocks, None)
            if block is None:
                parts.append(np.zeros((count - have, CHANNELS), dtype=np.float32))
                break
            parts.append(block)
            have += block.shape[0]
        joined = np.concatenate(parts) if len(parts) > 1 else self.pending
        self.pending = joined[count:]
        # The gain is applied while leaving float, so overs in lossy sources are scaled, not clipped.
        data = to_int16(joined[:count], self.gain).tobytes()
        return self.segment_class(
            data=data, sample_width=SAMPLE_WIDTH, frame_rate=self.rate, channels=CHANNELS
        )


def measure(
    path: Path, rate: int, max_frames: int | None, tick: Callable[[int], None]
) -> tuple[float, float, int]:
    """Integrated loudness, true peak and frame count of the part of `path` that will play."""
    meter = LoudnessMeter(rate, CHANNELS)
    for block in pcm_blocks(path, rate):
        if max_frames is not None:
            block = block[: max(0, max_frames - meter.frames)]
        if block.shape[0] == 0:
            break
        meter.add(block)
        tick(block.shape[0])
    if meter.frames == 0:
        raise ExportError(f"{path} holds no audio")
    return meter.integrated(), meter.true_peak_dbtp(), meter.frames


@contextlib.contextmanager
def open_sink(out: Path, rate: int) -> Iterator[Callable[[bytes], None]]:
    """A function taking 16-bit stereo PCM bytes, written to `out` atomically (FLAC, WAV or MP3)."""
    kind = FORMATS[out.suffix.lower()]
    if kind == "MP3":
        with atomic_path(out) as temp, _mp3_encoder(temp, rate) as write:
            yield write
        return
    with atomic_open(out) as handle:
        guarded = _ErrorKeepingFile(handle)
        with sf.SoundFile(
            guarded, "w", samplerate=rate, channels=CHANNELS, format=kind, subtype="PCM_16"
        ) as sound:

            def write(data: bytes) -> None:
                try:
                    sound.buffer_write(data, dtype="int16")
                except (AssertionError, RuntimeError) as exc:  # soundfile's reaction to a short write
                    raise guarded.error or ExportError(f"cannot write {out.name}: {exc}") from exc
                if guarded.error is not None:
                    raise guarded.error

            yield write
        if guarded.error is not None:  # the header rewrite on close can fail too
            raise guarded.error


class _ErrorKeepingFile:
    """The file soundfile writes through: an OSError is kept and re-raised by us, not inside its C
    callback (where it would only be printed, and the write would look short to libsndfile)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.error: OSError | None = None

    def write(self, data: bytes) -> int:
        """Write, or remember why not and report nothing written."""
        if self.error is not None:
            return 0
        try:
            return int(self.inner.write(data))
        except OSError as exc:
            self.error = exc
            return 0

    def read(self, size: int = -1) -> bytes:
        """Read back (libsndfile re-reads headers)."""
        return bytes(self.inner.read(size))

    def seek(self, offset: int, whence: int = 0) -> int:
        """Move the position."""
        return int(self.inner.seek(offset, whence))

    def tell(self) -> int:
        """The position."""
        return int(self.inner.tell())


@contextlib.contextmanager
def _mp3_encoder(temp: Path, rate: int) -> Iterator[Callable[[bytes], None]]:
    """Pipe PCM into ffmpeg's LAME encoder writing `temp`."""
    command = [require_ffmpeg(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
               "-f", "s16le", "-ar", str(rate), "-ac", str(CHANNELS), "-i", "-",
               "-c:a", "libmp3lame", "-b:a", MP3_BITRATE, "-f", "mp3", str(temp)]  # fmt: skip
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdin is not None and process.stderr is not None

    def write(data: bytes) -> None:
        # If ffmpeg stopped, its exit status and message are reported below.
        with contextlib.suppress(BrokenPipeError):
            process.stdin.write(data)  # type: ignore[union-attr]

    try:
        yield write
        with contextlib.suppress(BrokenPipeError):
            process.stdin.close()
        error = process.stderr.read().decode("utf-8", "replace").strip()
        if process.wait() != 0:
            if "No space left" in error:
                raise OSError(28, "No space left on device")  # reported like any other full disk
            raise ExportError(f"the MP3 encoder failed: {error.splitlines()[-1] if error else 'no message'}")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        with contextlib.suppress(BrokenPipeError):
            process.stdin.close()
        process.stderr.close()


def _fit(segment: Any, frames: int) -> Any:
    """`segment` trimmed or silence-padded to exactly `frames` (pydub works in whole milliseconds)."""
    data = segment.raw_data
    size = frames * CHANNELS * SAMPLE_WIDTH
    data = data[:size] if len(data) >= size else data + bytes(size - len(data))
    return segment._spawn(data)


def _gain_db(amplitude: float) -> float:
    return SILENT_DB if amplitude <= SILENT_AMPLITUDE else 20.0 * math.log10(amplitude)


def ramp(piece: Any, start: int, total: int, rising: bool) -> Any:
    """`piece` (frames start..start+n of a fade `total` frames long) under a linear amplitude ramp.

    Long fades are applied piece by piece with pydub's fade between the ramp's values at the piece
    ends, so memory stays bounded however long the fade is; the joined result is one straight ramp.
    """
    frames = int(piece.frame_count())
    begin, end = start / total, (start + frames) / total
    if not rising:
        begin, end = 1.0 - begin, 1.0 - end
    if len(piece) < 1:  # under a millisecond: pydub cannot fade it; the mean gain is inaudibly close
        return piece.apply_gain(_gain_db((begin + end) / 2))
    faded = piece.fade(from_gain=_gain_db(begin), to_gain=_gain_db(end), start=0, end=len(piece))
    return _fit(faded, frames)


def _pieces(total: int) -> Iterator[tuple[int, int]]:
    """(start, length) of consecutive pieces of at most BLOCK_FRAMES covering `total` frames."""
    for start in range(0, total, BLOCK_FRAMES):
        yield start, min(BLOCK_FRAMES, total - start)


def render(
    tracks: Sequence[MixTrack],
    placements: Sequence[Placement],
    gains: Sequence[float],
    write: Callable[[bytes], None],
    rate: int,
    on_track: Callable[[MixTrack], None] = lambda _track: None,
) -> None:
    """Stream the mix into `write` piece by piece: fade-in, overlaps, bodies, fade-outs."""
    segment_class = pydub_audio_segment()
    tail: list[Any] = []  # the previous track's last frames, already faded, waiting for the next head
    for track, place, gain in zip(tracks, placements, gains, strict=True):
        on_track(track)
        blocks = pcm_blocks(track.path, rate)
        reader = _FrameReader(blocks, gain, segment_class, rate)
        try:
            for (start, count), old in zip(_pieces(place.overlap_in), tail, strict=True):
                # Linear ramps: over a full crossfade the two gains sum to 1, never peaking above either.
                new = ramp(reader.take(count), start, place.ramp_in, rising=True)
                write(_fit(old.overlay(new), count).raw_data)
            for start, count in _pieces(place.ramp_in - place.overlap_in):
                write(ramp(reader.take(count), place.overlap_in + start, place.ramp_in, rising=True).raw_data)
            for _start, count in _pieces(place.play - place.ramp_in - place.ramp_out):
                write(reader.take(count).raw_data)
            alone = place.ramp_out - place.overlap_out  # the part of the fade-out before the next track
            for start, count in _pieces(alone):
                write(ramp(reader.take(count), start, place.ramp_out, rising=False).raw_data)
            tail = [
                ramp(reader.take(count), alone + start, place.ramp_out, rising=False)
                for start, count in _pieces(place.overlap_out)
            ]
        finally:
            blocks.close()  # type: ignore[attr-defined]


def mix_to_file(
    tracks: Sequence[MixTrack],
    out: Path,
    options: MixOptions,
    on_progress: Callable[[float, float, str], None] | None = None,
) -> MixResult:
    """Measure every track, then render the mix into `out` (.flac, .wav or .mp3) atomically.

    `on_progress(done_s, total_s, label)` counts audio seconds through both passes.
    """
    if out.suffix.lower() not in FORMATS:
        raise ExportError(f"{out.name}: a mix must end in {', '.join(FORMATS)}")
    rate = mix_rate([track.path for track in tracks], options.rate)
    # Seconds of audio through both passes: measuring every track, then writing the crossfaded mix.
    planned = sum(track.play_s or 0.0 for track in tracks)
    state: dict[str, Any] = {
        "done": 0.0,
        "label": "",
        "total": 2 * planned - sum(t.crossfade_in_s for t in tracks),
    }

    def tick(frames: int) -> None:
        state["done"] += frames / rate
        if on_progress is not None:
            on_progress(state["done"], max(state["total"], state["done"]), state["label"])

    levels, frames, gains = [], [], []
    for track in tracks:
        state["label"] = f"measuring {track.label}"
        limit = round(track.play_s * rate) if track.play_s else None
        lufs, peak, count = measure(track.path, rate, limit, tick)
        gain, limited = track_gain(lufs, peak, options)
        levels.append(TrackLevel(track.label, lufs, peak, gain, limited, count / rate))
        frames.append(count)
        gains.append(gain)
    placements = layout(frames, tracks, rate, options)
    state["total"] = (sum(frames) + sum(p.play - p.overlap_in for p in placements)) / rate  # now exact
    meter = LoudnessMeter(rate, CHANNELS)
    written = {"frames": 0}
    with open_sink(out, rate) as sink:

        def write(data: bytes) -> None:
            sink(data)
            block = np.frombuffer(data, dtype=np.int16).reshape(-1, CHANNELS)
            for start in range(0, block.shape[0], BLOCK_FRAMES):  # the meter's float64 copies stay small
                meter.add(int16_to_float(block[start : start + BLOCK_FRAMES]))
            written["frames"] += block.shape[0]
            tick(block.shape[0])

        def starting(track: MixTrack) -> None:
            state["label"] = f"mixing {track.label}"

        render(tracks, placements, gains, write, rate, starting)
    return MixResult(
        out, rate, written["frames"] / rate, meter.integrated(), meter.true_peak_dbtp(), tuple(levels)
    )
