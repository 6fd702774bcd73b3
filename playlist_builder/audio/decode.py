"""Streaming decode with bounded memory: soundfile first, an ffmpeg binary for what it cannot read.

A file is opened with `open_audio`, which learns its length, rate and channels without decoding it,
and windows of it are then read block by block (`AudioSource.read_window`), seeking rather than
decoding what lies between. `sampling_plan` chooses which windows a track is analysed on.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import IO

import numpy as np
import soundfile

from playlist_builder.errors import AudioError

BLOCK_FRAMES = 65_536  # 1.5 s at 44.1 kHz: large enough for fast numpy, small enough for bounded memory

# Sampling plan. A track up to WHOLE_TRACK_S long is analysed whole (short clips are where a voice is
# easiest to miss by sampling); a longer one on windows of WINDOW_S
# seconds spread evenly over it, about one per SECONDS_PER_WINDOW of audio, between MIN_WINDOWS and
# MAX_WINDOWS. Time per track is then bounded (an 8-hour file costs as much as a 20-minute one) while
# every part of a long track is heard from.
WHOLE_TRACK_S = 60.0
WINDOW_S = 15.0
SECONDS_PER_WINDOW = 75.0
MIN_WINDOWS = 2
MAX_WINDOWS = 8

FFMPEG_PROBE_TIMEOUT_S = 30.0
FFMPEG_READ_RATE = 44_100  # used when ffmpeg does not report the stream's rate
FFMPEG_MAX_CHANNELS = 8

SOUNDFILE = "soundfile"
FFMPEG = "ffmpeg"


class DecodeError(AudioError):
    """A file opened but its audio could not be decoded (another decoder may still manage).

    `at_s` is where decoding failed (seconds from the start), when known; `reason` the decoder's words.
    """

    def __init__(self, message: str, *, at_s: float | None = None, reason: str = "") -> None:
        super().__init__(message)
        self.at_s = at_s
        self.reason = reason or message


@dataclass(frozen=True)
class AudioInfo:
    """What decoding will give: length (None when unknown), rate, channels, decoder and container."""

    path: str
    duration_s: float | None
    sample_rate: int
    channels: int
    decoder: str
    format: str


def sampling_plan(duration_s: float | None) -> tuple[tuple[float, float], ...]:
    """The (start_s, length_s) windows to analyse a track of `duration_s` on, in order."""
    if duration_s is None:  # read consecutive windows from the start; reading stops where the file does
        return tuple((index * WINDOW_S, WINDOW_S) for index in range(MAX_WINDOWS))
    if duration_s <= WHOLE_TRACK_S:
        return ((0.0, max(0.0, duration_s)),)
    count = min(MAX_WINDOWS, max(MIN_WINDOWS, round(duration_s / SECONDS_PER_WINDOW)))
    length = min(WINDOW_S, duration_s / count)
    # window centres at (i + 0.5) / count of the track: the ends (fades, silence) weigh no more than the rest
    starts = [(index + 0.5) * duration_s / count - length / 2 for index in range(count)]
    return tuple((round(max(0.0, start), 3), round(length, 3)) for start in starts)


class AudioSource:
    """An open audio file that reads windows as float32 blocks shaped (frames, channels).

    `errors` collects what the decoder reported while reading but got past (a FLAC frame or an Ogg
    page failing its checksum, an unreadable MP3 frame): (seconds from the start or None, message).
    """

    info: AudioInfo
    errors: list[tuple[float | None, str]]

    def read_window(self, start_s: float, length_s: float) -> Iterator[np.ndarray]:
        """Yield the blocks of [start_s, start_s + length_s), fewer frames if the file ends first."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the file (and any decoder process)."""

    def __enter__(self) -> AudioSource:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class SoundfileSource(AudioSource):
    """libsndfile through soundfile: wav, flac, ogg vorbis/opus, mp3, aiff, with sample-exact seeking."""

    def __init__(self, path: str) -> None:
        self.errors = []
        self._file = soundfile.SoundFile(path)
        frames = self._file.frames
        rate = self._file.samplerate
        duration = frames / rate if frames > 0 and rate > 0 else None
        self.info = AudioInfo(
            path=path,
            duration_s=duration,
            sample_rate=rate,
            channels=self._file.channels,
            decoder=SOUNDFILE,
            format=f"{self._file.format}/{self._file.subtype}",
        )

    def read_window(self, start_s: float, length_s: float) -> Iterator[np.ndarray]:
        """Seek to the window and read it block by block."""
        rate = self.info.sample_rate
        start = round(start_s * rate)
        remaining = round(length_s * rate)
        if 0 < self._file.frames <= start:
            return  # libsndfile cannot seek to or past the end
        position = start
        try:
            if start:
                self._file.seek(start)
            elif self._file.tell() != 0:
                self._file.seek(0)
            while remaining > 0:
                block = self._file.read(min(BLOCK_FRAMES, remaining), dtype="float32", always_2d=True)
                if block.shape[0] == 0:
                    return
                remaining -= block.shape[0]
                position += block.shape[0]
                yield block
        except (RuntimeError, soundfile.LibsndfileError) as error:
            # libsndfile does not say which frame failed: the block being read started at `position`
            at_s = position / rate
            reason = _reason(error, self.info.path)
            message = f"{self.info.path}: decoding failed at {at_s:.1f} s: {reason}"
            raise DecodeError(message, at_s=at_s, reason=reason) from error

    def close(self) -> None:
        """Close the file."""
        self._file.close()


def ffmpeg_binary() -> str | None:
    """The system's ffmpeg, else the one the imageio-ffmpeg wheel ships, else None."""
    found = shutil.which("ffmpeg")
    if found:
        return found
    try:
        import imageio_ffmpeg

        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except Exception:  # the wheel is missing or carries no binary for this platform
        return None


_DURATION = re.compile(r"Duration:\s*(\d+):(\d{2}):(\d{2}(?:\.\d+)?)")
_AUDIO_STREAM = re.compile(r"Stream #\d+:\d+.*?: Audio: ([^,\n]+)(?:, (\d+) Hz)?(?:, ([^,\n]+))?")
_LAYOUT_CHANNELS = {
    "mono": 1, "stereo": 2, "2.1": 3, "3.0": 3, "3.0(back)": 3, "quad": 4, "quad(side)": 4, "4.0": 4,
    "4.1": 5, "5.0": 5, "5.0(side)": 5, "5.1": 6, "5.1(side)": 6, "6.0": 6, "6.1": 7, "7.0": 7, "7.1": 8,
    "7.1(wide)": 8, "7.1(wide-side)": 8,
}  # fmt: skip


def parse_ffmpeg_probe(text: str) -> tuple[float | None, int | None, int | None, str]:
    """Duration, rate, channel count and codec of the first audio stream from `ffmpeg -i` output."""
    duration = None
    match = _DURATION.search(text)
    if match:
        hours, minutes, seconds = match.groups()
        duration = int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    stream = _AUDIO_STREAM.search(text)
    if stream is None:
        return duration, None, None, ""
    codec, rate, layout = stream.groups()
    channels = None
    if layout:
        layout = layout.strip()
        counted = re.match(r"(\d+) channels", layout)
        channels = int(counted.group(1)) if counted else _LAYOUT_CHANNELS.get(layout)
    return duration, int(rate) if rate else None, channels, codec.split()[0]


class FfmpegSource(AudioSource):
    """An ffmpeg binary decoding to 32-bit float PCM through a pipe, one process per window."""

    def __init__(self, path: str, binary: str) -> None:
        self.errors = []
        self._binary = binary
        self._process: subprocess.Popen[bytes] | None = None
        try:
            probe = subprocess.run(
                [binary, "-hide_banner", "-nostdin", "-i", path],
                capture_output=True,
                timeout=FFMPEG_PROBE_TIMEOUT_S,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise AudioError(f"{path}: ffmpeg could not be run: {error}") from error
        text = probe.stderr.decode("utf-8", "replace")
        duration, rate, channels, codec = parse_ffmpeg_probe(text)
        if not codec:
            raise AudioError(f"{path}: no audio stream found ({_last_line(text)})")
        self.info = AudioInfo(
            path=path,
            duration_s=duration if duration and duration > 0 else None,
            sample_rate=rate or FFMPEG_READ_RATE,
            channels=min(channels or 2, FFMPEG_MAX_CHANNELS),
            decoder=FFMPEG,
            format=codec,
        )

    def read_window(self, start_s: float, length_s: float) -> Iterator[np.ndarray]:
        """Run ffmpeg on the window (input seeking) and read its float32 output in blocks."""
        channels, rate = self.info.channels, self.info.sample_rate
        # crccheck: ffmpeg verifies FLAC frame checksums only when asked (Ogg pages always)
        command = [self._binary, "-hide_banner", "-nostdin", "-v", "error", "-err_detect", "crccheck"]
        if start_s > 0:
            command += ["-ss", f"{start_s:.3f}"]
        command += ["-t", f"{length_s:.3f}", "-i", self.info.path, "-map", "0:a:0", "-vn"]
        command += ["-f", "f32le", "-acodec", "pcm_f32le", "-ac", str(channels), "-ar", str(rate), "-"]
        # stderr goes to a file: a pipe could fill up on a badly damaged file and stall ffmpeg
        with tempfile.TemporaryFile() as errors:
            self._process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors)
            try:
                yield from self._read_blocks(self._process.stdout, channels, round(length_s * rate))
                code = self._process.wait()
            finally:
                self._stop()
            errors.seek(0)
            text = errors.read().decode("utf-8", "replace")
            if code != 0:
                message = _last_line(text)
                raise DecodeError(
                    f"{self.info.path}: ffmpeg failed at {start_s:.1f} s: {message}",
                    at_s=start_s,
                    reason=message,
                )
            self.errors.extend(parse_ffmpeg_errors(text, rate))

    @staticmethod
    def _read_blocks(stream: IO[bytes] | None, channels: int, frames: int) -> Iterator[np.ndarray]:
        """Read up to `frames` frames of interleaved float32 from `stream`."""
        assert stream is not None
        frame_bytes = 4 * channels
        pending = b""
        while frames > 0:
            chunk = stream.read(min(BLOCK_FRAMES, frames) * frame_bytes - len(pending))
            if not chunk:
                return
            pending += chunk
            whole = len(pending) // frame_bytes
            if whole == 0:
                continue
            block = np.frombuffer(pending[: whole * frame_bytes], dtype="<f4").reshape(whole, channels)
            pending = pending[whole * frame_bytes :]
            frames -= whole
            yield block.astype(np.float32)

    def _stop(self) -> None:
        """End the decoder process if it is still running."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.stdout is not None:
            process.stdout.close()
        if process.poll() is None:
            process.kill()
        process.wait()

    def close(self) -> None:
        """Stop any running decoder."""
        self._stop()


_PTS = re.compile(r"\bat PTS (\d+)")
_COMPONENT = re.compile(r"^\[[^\]]*\]\s*")


def parse_ffmpeg_errors(text: str, rate: int) -> list[tuple[float | None, str]]:
    """The errors ffmpeg (`-v error`) reported while decoding, each with its position when it gives one.

    "CRC error at PTS 20480" gives its position (a FLAC PTS counts samples from the stream's start,
    whatever the window); other lines have none.
    "Last message repeated N times" counts as N more of the line before it.
    """
    found: list[tuple[float | None, str]] = []
    for line in (line.strip() for line in text.splitlines()):
        if not line:
            continue
        repeated = re.match(r"Last message repeated (\d+) times?", line)
        if repeated:
            if found:
                found.extend([found[-1]] * int(repeated.group(1)))
            continue
        message = _COMPONENT.sub("", line)
        pts = _PTS.search(message)
        at_s = int(pts.group(1)) / rate if pts and rate > 0 else None
        found.append((at_s, message))
    return found


def _last_line(text: str) -> str:
    """The most telling line of ffmpeg's output: the first error line, else the last line."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in lines:
        if re.search(r"error|invalid|no such|not supported", line, re.IGNORECASE):
            return re.sub(r"^\[[^\]]*\]\s*", "", line)
    return lines[-1] if lines else "no output"


def open_audio(
    path: str | os.PathLike[str], *, decoders: tuple[str, ...] = (SOUNDFILE, FFMPEG)
) -> AudioSource:
    """Open a file with the first of `decoders` that can; AudioError gives every decoder's reason."""
    name = os.fspath(path)
    if not os.path.isfile(name):
        raise AudioError(f"{name}: no such file")
    reasons = []
    for decoder in decoders:
        try:
            if decoder == SOUNDFILE:
                return SoundfileSource(name)
            binary = ffmpeg_binary()
            if binary is None:
                reasons.append("ffmpeg: not installed")
                continue
            return FfmpegSource(name, binary)
        except Exception as error:  # libsndfile raises several types for unknown or damaged files
            reasons.append(f"{decoder}: {_reason(error, name)}")
    raise AudioError(f"{name}: cannot decode ({'; '.join(reasons)})")


def _reason(error: Exception, path: str) -> str:
    """A decoder's error message without the path it repeats."""
    text = str(error)
    for prefix in (f"Error opening {path!r}: ", f"{path}: "):
        text = text.replace(prefix, "")
    if "does not exist or is not a regular file" in text:  # libsndfile's words for a file it cannot parse
        text = "not a readable audio file"
    return text.strip() or type(error).__name__


def plan_seconds(plan: tuple[tuple[float, float], ...]) -> float:
    """Total seconds a plan reads."""
    return math.fsum(length for _, length in plan)
