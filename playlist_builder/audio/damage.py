"""Damage heard or checked anywhere in a file: decoder errors, clicks, non-finite samples, broken containers.

A `DamageWatch` is fed every decoded block of a file in order (`add`, the raw float32 block before any
cleaning) and every error the decoder reports (`decoder_error`); `result()` gives the problems found,
each with where it starts, so a clinician can listen there. `conclude` adds what only the whole file
can tell (`container_problems`: an MP3's own checksum over its audio, in the LAME header written by
LAME and ffmpeg; whether an Ogg stream reaches its end-of-stream page) and asks ffmpeg for a second
opinion on a file libsndfile decodes short.

What is looked for, and why it is damage rather than music:
- decoder errors: a FLAC frame or an Ogg page failing its checksum, an MP3 frame that cannot be read.
  The decoder conceals or skips the bad part; the file plays with a gap or a burst of noise there.
- clicks: PCM (WAV, AIFF) has no checksum, and a flipped high bit in a sample is an isolated impulse:
  one sample far off the line through its neighbours, while the neighbours agree with each other,
  and one bit away from fitting that line. Music rarely makes an impulse that stands out so far (it
  would need energy at the Nyquist frequency in one sample and none beside it: steps, transients and
  noise spread over several samples), and where it comes close it lacks the bit error's signature.
  A flip in a low bit moves a sample by less than CLICK_FLOOR and is not heard; it is not counted.
  Limits: a synthetic one-sample impulse in digital silence is indistinguishable from a flipped bit
  (no instrument or microphone makes one), and a flipped bit that moves a sample by less than the
  music's own sample-to-sample roughness is not found (nor heard).
- non-finite samples (NaN, infinity) in a float file: no player can play them.
- an MP3 whose audio no longer matches its encoder's checksum, or that ends before the byte count its
  LAME header records; an Ogg stream without its end-of-stream page (cut short at a page boundary,
  which leaves a file whose own length fields look whole).
"""

from __future__ import annotations

import math
import os
import zlib
from functools import cache
from typing import BinaryIO

import numpy as np

from playlist_builder.audio import decode
from playlist_builder.audio.decode import AudioInfo
from playlist_builder.errors import AudioError
from playlist_builder.model import AudioProblem, ProblemKind

# Click detector (uncompressed PCM only: every other format carries checksums its decoder checks).
# A candidate is an isolated one-sample impulse: its residual e (its distance from the mean of its two
# neighbours) is at least CLICK_FLOOR (-40 dBFS: a one-sample step that small is not heard), and each
# neighbour's residual is CLICK_NEIGHBOUR_LOW..HIGH of it the other way (an impulse d gives -d/2, d,
# -d/2; a step gives d/2, -d/2; a transient or noise a spread of unrelated values). It is a click when
# it stands out from everything within CLICK_CONTEXT samples either side (the impulse left out): |e| is
# at least CLICK_RATIO times their RMS residual and CLICK_ISOLATION times their largest; and, for
# integer PCM, when it carries a bit error's signature: toggling one of the sample's bits (one worth at
# least CLICK_FLOOR) puts it back within FLIP_FIT RMS residuals of the line through its neighbours
# (the original sample was off that line by its own residual: within 2.5 RMS 99 % of the time; a
# raindrop in the corpus's rain recording is a one-sample impulse too, but 2.96 RMS from fitting).
# A click under LOUD_CLICK (-20 dBFS) must stand out far more (QUIET_CLICK_RATIO, QUIET_ISOLATION):
# in a quiet passage a flipped bit does, while music with sharp samples (8 kHz speech, rain, plucked
# strings) makes small impulse-shaped samples that only stand out a little. On the shared corpus of
# healthy recordings natural samples reach a ratio of 23 or an isolation of 3.1, never together with
# the bit signature; a flipped high bit of a 16-bit sample in music has all three. Float files
# (no bits to toggle) need the quiet thresholds at every size.
CLICK_FLOOR = 0.01
CLICK_NEIGHBOUR_LOW = 0.25
CLICK_NEIGHBOUR_HIGH = 0.75
CLICK_CONTEXT = 256
LOUD_CLICK = 0.1
CLICK_RATIO = 6.0
CLICK_ISOLATION = 1.5
QUIET_CLICK_RATIO = 30.0
QUIET_ISOLATION = 4.0
FLIP_FIT = 2.5
# Integer sample formats whose float32 decode is exact (so a sample's bits can be read back).
PCM_BITS = {"PCM_S8": 8, "PCM_U8": 8, "PCM_16": 16, "PCM_24": 24}
FLOAT_PCM = ("FLOAT", "DOUBLE", "PCM_32")
COMPRESSED_CONTAINERS = ("FLAC", "OGG", "MP3", "MPEG")

# Bytes read at a time for the MP3 checksum, and the tail searched for the last Ogg page (a page is
# at most 65,307 bytes).
READ_BYTES = 8 * 1024 * 1024
OGG_TAIL_BYTES = 2 * 65_536


class DamageWatch:
    """Watches one file's decoded blocks, in order from its start, for damage."""

    def __init__(self, sample_rate: int, audio_format: str = "") -> None:
        """`audio_format` is the decoder's "CONTAINER/SUBTYPE" (e.g. "WAV/PCM_16"): clicks are looked
        for in uncompressed PCM only."""
        self.sample_rate = sample_rate
        self.frames = 0  # frames seen so far: the position of the next block
        container, _, subtype = audio_format.upper().partition("/")
        self._bits = PCM_BITS.get(subtype)
        self._clicks_wanted = container not in COMPRESSED_CONTAINERS and (
            self._bits is not None or subtype in FLOAT_PCM
        )
        self._context: np.ndarray | None = None  # the end of the previous block
        self._decoder_errors: list[tuple[float | None, str]] = []
        self._clicks: dict[int, float] = {}  # frame -> size
        self._non_finite = 0
        self._first_non_finite: float | None = None

    def add(self, block: np.ndarray) -> None:
        """Look at the next decoded block: float32 (frames, channels), exactly as the decoder gave it."""
        if block.ndim != 2 or block.shape[0] == 0:
            return
        if not np.isfinite(block.sum()):
            bad = ~np.isfinite(block)
            if bad.any():
                self._non_finite += int(bad.sum())
                if self._first_non_finite is None:
                    first = int(np.argmax(bad.any(axis=1)))
                    self._first_non_finite = (self.frames + first) / self.sample_rate
                block = np.where(bad, np.float32(0.0), block)
                self._context = None  # the zeros put in their place are no clicks: look past them
        if self._clicks_wanted and self._first_non_finite is None:
            self._look_for_clicks(block)
        self.frames += block.shape[0]

    def _look_for_clicks(self, block: np.ndarray) -> None:
        """Clicks in this block, seen with the previous block's end as context."""
        if self._context is not None and self._context.shape[1] == block.shape[1]:
            joined = np.concatenate([self._context, block])
        else:
            joined = block
        offset = self.frames - (joined.shape[0] - block.shape[0])
        for index, size in find_clicks(joined, self._bits):
            self._clicks[offset + index] = max(size, self._clicks.get(offset + index, 0.0))
        self._context = joined[-(2 * CLICK_CONTEXT + 4) :]

    def decoder_error(self, message: str, at_s: float | None) -> None:
        """Record an error the decoder reported, at `at_s` seconds (None: it did not say where)."""
        self._decoder_errors.append((at_s, message))

    @property
    def has_decoder_errors(self) -> bool:
        """Whether any decoder error has been recorded."""
        return bool(self._decoder_errors)

    @property
    def seconds(self) -> float:
        """Seconds decoded so far."""
        return self.frames / self.sample_rate if self.sample_rate else 0.0

    def result(self) -> tuple[AudioProblem, ...]:
        """The problems found, one per kind, each with where it first occurs."""
        problems = []
        if self._decoder_errors:
            placed = sorted((at_s, message) for at_s, message in self._decoder_errors if at_s is not None)
            first_s, message = placed[0] if placed else (None, self._decoder_errors[0][1])
            start = None if first_s is None else round(first_s, 3)
            count = len(self._decoder_errors)
            problems.append(AudioProblem(ProblemKind.DECODER_ERROR, start, count, detail=message))
        if self._clicks:
            first = min(self._clicks)
            peak = max(self._clicks, key=lambda frame: self._clicks[frame])
            problems.append(
                AudioProblem(
                    ProblemKind.CLICKS,
                    round(first / self.sample_rate, 3),
                    len(self._clicks),
                    peak_s=round(peak / self.sample_rate, 3),
                    detail=f"the largest {20 * math.log10(self._clicks[peak]):.0f} dBFS",
                )
            )
        if self._non_finite:
            start = round(self._first_non_finite or 0.0, 3)
            problems.append(AudioProblem(ProblemKind.NON_FINITE, start, self._non_finite))
        return tuple(problems)


def find_clicks(block: np.ndarray, bits: int | None) -> list[tuple[int, float]]:
    """(frame index, size) of every isolated impulse in a finite float32 (frames, channels) block that
    stands out from its surroundings (and, with `bits`, carries a bit error's signature)."""
    if block.shape[0] < 5:
        return []
    residual = block[1:-1] - 0.5 * (block[:-2] + block[2:])  # residual[i] belongs to frame i + 1
    width = residual.shape[1]
    strong = np.flatnonzero(np.abs(residual[1:-1]) >= CLICK_FLOOR)  # flat indices into frames 2 .. n-3
    if strong.size == 0:
        return []
    at, channels = strong // width + 1, strong % width  # the candidate's own place in `residual`
    centre = residual[at, channels]
    squared = centre * centre
    impulse = np.ones(at.size, dtype=bool)
    for neighbour in (residual[at - 1, channels], residual[at + 1, channels]):
        product = -neighbour * centre  # the neighbour's share of the centre, times centre^2
        impulse &= (product >= CLICK_NEIGHBOUR_LOW * squared) & (product <= CLICK_NEIGHBOUR_HIGH * squared)
    if not impulse.any():
        return []
    at, channels, sizes = at[impulse], channels[impulse], np.abs(centre[impulse]).astype(np.float64)
    rms = _rms_around(residual, at, channels)
    loud = sizes >= LOUD_CLICK if bits is not None else np.zeros(sizes.size, dtype=bool)
    standing = sizes >= np.where(loud, CLICK_RATIO, QUIET_CLICK_RATIO) * rms
    found: list[tuple[int, float]] = []
    for place, channel, size, level, is_loud in zip(
        at[standing], channels[standing], sizes[standing], rms[standing], loud[standing], strict=True
    ):
        largest = _largest_around(residual[:, channel], int(place))
        if size < (CLICK_ISOLATION if is_loud else QUIET_ISOLATION) * largest:
            continue
        frame = int(place) + 1
        if bits is None or _one_bit_away(block, frame, int(channel), bits, float(level)):
            found.append((frame, float(size)))
    return found


_SEGMENT = 64  # the RMS around a candidate is summed from segments of this many residuals


def _rms_around(residual: np.ndarray, at: np.ndarray, channels: np.ndarray) -> np.ndarray:
    """RMS residual of the whole segments within about CLICK_CONTEXT of each candidate, leaving out
    the impulse (its residual and its neighbours')."""
    frames, width = residual.shape
    count = -(-frames // _SEGMENT)
    sums = np.add.reduceat(np.square(residual), np.arange(0, frames, _SEGMENT), axis=0)
    segments = np.zeros((count + 1, width))
    np.cumsum(sums, axis=0, dtype=np.float64, out=segments[1:])
    first = np.maximum((at - CLICK_CONTEXT) // _SEGMENT, 0)
    last = np.minimum((at + CLICK_CONTEXT) // _SEGMENT + 1, count)
    own = sum(np.square(residual[at + shift, channels], dtype=np.float64) for shift in (-1, 0, 1))
    energy = segments[last, channels] - segments[first, channels] - own
    span = np.minimum(last * _SEGMENT, frames) - first * _SEGMENT - 3
    return np.sqrt(np.maximum(energy, 0.0) / np.maximum(span, 1))


def _largest_around(residual: np.ndarray, index: int) -> float:
    """The largest absolute residual within CLICK_CONTEXT samples of `index`, leaving out the impulse
    (index ± 1)."""
    low, high = max(0, index - CLICK_CONTEXT), min(residual.size, index + CLICK_CONTEXT + 1)
    before = np.abs(residual[low : max(low, index - 1)])
    after = np.abs(residual[index + 2 : high])
    return float(max(before.max(initial=0.0), after.max(initial=0.0)))


def _one_bit_away(block: np.ndarray, frame: int, channel: int, bits: int, level: float) -> bool:
    """Whether toggling one bit (worth at least CLICK_FLOOR) of the sample puts it back on the line
    through its neighbours, within FLIP_FIT local levels."""
    scale = float(1 << (bits - 1))
    sample = round(float(block[frame, channel]) * scale)
    line = 0.5 * float(block[frame - 1, channel] + block[frame + 1, channel]) * scale
    unsigned = sample & ((1 << bits) - 1)
    for bit in range(bits):
        if (1 << bit) / scale < CLICK_FLOOR:
            continue
        toggled = unsigned ^ (1 << bit)
        repaired = toggled - (1 << bits) if toggled >= 1 << (bits - 1) else toggled
        if abs(repaired - line) <= FLIP_FIT * level * scale:
            return True
    return False


# --- what only the whole file can say ---------------------------------------------------------------

SHORT_CHECK_S = 0.001  # decoding this much short of the stated length asks ffmpeg for a second opinion
WHOLE_FILE_LIMIT_S = 24 * 3600.0  # how far the second opinion reads a file whose length is unknown


def conclude(watch: DamageWatch, info: AudioInfo) -> tuple[tuple[AudioProblem, ...], float]:
    """The problems a watch fed the whole file found, plus the container's checks, and the seconds
    that decoded.

    When libsndfile quietly returns fewer frames than the file states, ffmpeg decodes it again: it
    names the errors behind a loss (an Ogg page failing its checksum), and it decodes the whole of some
    healthy Ogg Vorbis files whose last tenth of a second libsndfile drops (its count is then the
    file's). (When libsndfile stops on an error, the analyser decodes the file with ffmpeg instead,
    whose error reports place and name the damage.)"""
    short = info.duration_s is not None and watch.seconds < info.duration_s - SHORT_CHECK_S
    if info.decoder == decode.SOUNDFILE and short:
        second = DamageWatch(info.sample_rate, info.format)
        if not _feed(second, info.path, decode.FFMPEG, info.duration_s) and (
            second.has_decoder_errors or second.frames > watch.frames
        ):
            watch = second
    return watch.result() + container_problems(info.path, info.format, info.sample_rate), watch.seconds


def _feed(watch: DamageWatch, path: str, decoder: str, duration_s: float | None) -> bool:
    """Give `watch` every block `decoder` decodes from `path`; True when decoding stopped on an error."""
    length = duration_s + 30.0 if duration_s else WHOLE_FILE_LIMIT_S
    try:
        source = decode.open_audio(path, decoders=(decoder,))
    except AudioError as error:
        watch.decoder_error(str(error).split(": ", 1)[-1], 0.0)
        return True
    with source:
        try:
            for block in source.read_window(0.0, length):
                watch.add(block)
        except decode.DecodeError as error:
            watch.decoder_error(error.reason, watch.seconds)  # where decoding stopped
            return True
        finally:
            for at_s, message in source.errors:
                watch.decoder_error(message, at_s)
    return False


def container_problems(
    path: str | os.PathLike[str], audio_format: str, sample_rate: int = 0
) -> tuple[AudioProblem, ...]:
    """What the file's bytes say about damage, for the formats that carry such checks (MP3, Ogg)."""
    lowered = audio_format.lower()
    try:
        if "mp3" in lowered or "mpeg_layer_iii" in lowered:
            return mp3_problems(path)
        if lowered.startswith("ogg"):
            return ogg_problems(path, OPUS_GRANULE_RATE if "opus" in lowered else sample_rate)
    except OSError:
        return ()  # unreadable now: decoding will have said so
    return ()


# --- MP3: the LAME header's checksum over the audio ---------------------------------------------------

_MP3_BITRATES = {  # kbit/s by (MPEG-1, layer III) and (MPEG-2/2.5, layer III)
    True: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    False: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_MP3_RATES = {3: (44_100, 48_000, 32_000), 2: (22_050, 24_000, 16_000), 0: (11_025, 12_000, 8_000)}
_LAME_WRITERS = (b"LAME", b"Lavc", b"Lavf", b"L3.99")  # encoders that fill the header's checksums
_LAME_TAG_BYTES = 36


def mp3_problems(path: str | os.PathLike[str]) -> tuple[AudioProblem, ...]:
    """An MP3 whose audio fails its LAME header's checksum, or ends before the length it records."""
    with open(path, "rb") as handle:
        head = handle.read(64 * 1024)
        found = _find_lame_header(head)
        if found is None:
            return ()
        start, info = found
        frame_bytes, music_bytes, music_crc, tag_ok = info
        if not tag_ok:
            return (
                AudioProblem(
                    ProblemKind.CHECKSUM, None, detail="the MP3's LAME header fails its own checksum"
                ),
            )
        size = os.fstat(handle.fileno()).st_size
        if music_bytes <= frame_bytes:
            return ()  # no audio length recorded
        missing = start + music_bytes - size
        if missing > 0:
            detail = f"the file ends {missing:,} bytes before the end of the audio its LAME header records"
            return (AudioProblem(ProblemKind.CUT_SHORT, None, detail=detail),)
        if _mp3gain_edited(handle, head, size):
            return ()  # MP3Gain rewrote every frame's gain without updating the checksum
        handle.seek(start + frame_bytes)
        remaining = music_bytes - frame_bytes
        crc = 0
        while remaining > 0:
            chunk = handle.read(min(READ_BYTES, remaining))
            if not chunk:
                break
            crc = crc16_arc(chunk, crc)
            remaining -= len(chunk)
    if crc != music_crc:
        detail = "the MP3's audio does not match the checksum its encoder wrote (somewhere in the file)"
        return (AudioProblem(ProblemKind.CHECKSUM, None, detail=detail),)
    return ()


def _find_lame_header(head: bytes) -> tuple[int, tuple[int, int, int, bool]] | None:
    """Where the LAME header frame starts, and what it says: right after the ID3v2 tags, else (a tag
    whose size is damaged, junk before the audio) at the first frame in `head` that is one."""
    start = _id3v2_size(head)
    info = _lame_header(head, start) if start + 4 <= len(head) else None
    if info is not None:
        return start, info
    sync = head.find(b"\xff")
    while 0 <= sync < len(head) - 4:
        info = _lame_header(head, sync)
        if info is not None:
            return sync, info
        sync = head.find(b"\xff", sync + 1)
    return None


def _id3v2_size(head: bytes) -> int:
    """Bytes taken by ID3v2 tags at the start (several may follow one another)."""
    start = 0
    while head[start : start + 3] == b"ID3" and start + 10 <= len(head):
        size_bytes = head[start + 6 : start + 10]
        size = 0
        for byte in size_bytes:
            size = (size << 7) | (byte & 0x7F)
        footer = 10 if head[start + 5] & 0x10 else 0
        start += 10 + size + footer
    return start


def _lame_header(head: bytes, start: int) -> tuple[int, int, int, bool] | None:
    """(bytes of the header frame, music bytes, music CRC, whether the tag's own CRC holds), or None."""
    header = int.from_bytes(head[start : start + 4], "big")
    if header >> 21 != 0x7FF:
        return None
    version = (header >> 19) & 3
    layer = (header >> 17) & 3
    bitrate_index = (header >> 12) & 0xF
    rate_index = (header >> 10) & 3
    if version == 1 or layer != 1 or bitrate_index in (0, 15) or rate_index == 3:
        return None  # not a layer III frame with a bitrate: no LAME header to read
    mpeg1 = version == 3
    bitrate = _MP3_BITRATES[mpeg1][bitrate_index] * 1000
    rate = _MP3_RATES[version][rate_index]
    padding = (header >> 9) & 1
    frame_bytes = (144 if mpeg1 else 72) * bitrate // rate + padding
    mono = (header >> 6) & 3 == 3
    side = (17 if mono else 32) if mpeg1 else (9 if mono else 17)
    xing = start + 4 + (0 if header & 0x10000 else 2) + side
    if head[xing : xing + 4] not in (b"Xing", b"Info"):
        return None
    flags = int.from_bytes(head[xing + 4 : xing + 8], "big")
    lame = xing + 8 + 4 * bool(flags & 1) + 4 * bool(flags & 2) + 100 * bool(flags & 4) + 4 * bool(flags & 8)
    tag = head[lame : lame + _LAME_TAG_BYTES]
    if len(tag) < _LAME_TAG_BYTES or not _lame_writer(tag[:4]):
        return None
    music_bytes = int.from_bytes(tag[28:32], "big")
    music_crc = int.from_bytes(tag[32:34], "big")
    tag_crc = int.from_bytes(tag[34:36], "big")
    # The tag's CRC covers the header frame up to the CRC itself (LAME), or its first 190 bytes with
    # the CRC's place zeroed (ffmpeg; the same bytes when the side information is MPEG-1 stereo's)
    field = lame + 34 - start
    covered = bytearray(head[start : start + max(190, field + 2)])
    covered[field : field + 2] = b"\0\0"
    tag_ok = tag_crc in (crc16_arc(bytes(covered[:field])), crc16_arc(bytes(covered[:190])))
    return frame_bytes, music_bytes, music_crc, tag_ok


def _lame_writer(name: bytes) -> bool:
    """Whether a tag's encoder name is one a LAME header writer uses, or one flipped bit from it (a
    damaged header, which its checksum will then show)."""
    for writer in _LAME_WRITERS:
        distance = sum((a ^ b).bit_count() for a, b in zip(name, writer[:4], strict=True))
        if distance <= 1:
            return True
    return False


def _mp3gain_edited(handle: BinaryIO, head: bytes, size: int) -> bool:
    """Whether MP3Gain (or AACGain) has left its mark: an APE or ID3 item named MP3GAIN_…."""
    if b"MP3GAIN_" in head:
        return True
    handle.seek(max(0, size - 64 * 1024))
    return b"MP3GAIN_" in handle.read(64 * 1024)


_CRC16_ARC = np.zeros(256, dtype=np.uint16)
for _byte in range(256):
    _value = _byte
    for _ in range(8):
        _value = (_value >> 1) ^ 0xA001 if _value & 1 else _value >> 1
    _CRC16_ARC[_byte] = _value
_CRC16_TABLE = [int(value) for value in _CRC16_ARC]
_CRC_LANE_BYTES = 1024  # bytes each parallel lane checks before the lanes are combined


def crc16_arc(data: bytes, crc: int = 0) -> int:
    """CRC-16/ARC (the LAME header's checksum) of `data`, continuing from `crc`.

    Numpy runs many lanes of the table-driven loop side by side, then joins the lanes' results
    (the CRC is linear: a register followed by n bytes is the register shifted by n zero bytes,
    combined with the CRC of those bytes alone), so a 10 MB file takes milliseconds, not seconds.
    """
    lanes = len(data) // _CRC_LANE_BYTES
    if lanes >= 8:
        grid = np.frombuffer(data, dtype=np.uint8, count=lanes * _CRC_LANE_BYTES)
        grid = np.ascontiguousarray(grid.reshape(lanes, _CRC_LANE_BYTES).T)
        registers = np.zeros(lanes, dtype=np.uint16)
        for column in grid:
            registers = (registers >> 8) ^ _CRC16_ARC[(registers ^ column) & 0xFF]
        low, high = _crc16_shift_tables()
        for register in registers.tolist():
            crc = low[crc & 0xFF] ^ high[crc >> 8] ^ register
        data = data[lanes * _CRC_LANE_BYTES :]
    table = _CRC16_TABLE
    for byte in data:
        crc = (crc >> 8) ^ table[(crc ^ byte) & 0xFF]
    return crc


@cache
def _crc16_shift_tables() -> tuple[list[int], list[int]]:
    """Where a register's low and high byte end up after _CRC_LANE_BYTES zero bytes."""
    registers = np.concatenate([np.arange(256), np.arange(256) << 8]).astype(np.uint16)
    for _ in range(_CRC_LANE_BYTES):
        registers = (registers >> 8) ^ _CRC16_ARC[registers & 0xFF]
    values = registers.tolist()
    return values[:256], values[256:]


# --- Ogg: every page's checksum, and the stream's end-of-stream page -----------------------------------

# The Ogg page checksum is CRC-32 (polynomial 0x04C11DB7) unreflected, with no initial value and no
# final xor; zlib's crc32 is the same polynomial reflected, with both. Reversing the bits of every byte
# and of the result turns one into the other, and zlib runs at C speed.
_BIT_REVERSED = bytes(int(f"{value:08b}"[::-1], 2) for value in range(256))
OGG_SCAN_MAX_BYTES = 1 << 30  # larger files get only the end-of-stream check (a bounded read)
OPUS_GRANULE_RATE = 48_000  # an Opus stream counts its granule positions at 48 kHz, whatever it plays at


def ogg_page_crc(page: bytes) -> int:
    """The Ogg checksum of a whole page (its own checksum field counted as zeros)."""
    data = (page[:22] + b"\0\0\0\0" + page[26:]).translate(_BIT_REVERSED)
    raw = zlib.crc32(data) ^ zlib.crc32(bytes(len(data)))  # without zlib's initial value and final xor
    return int(f"{raw:032b}"[::-1], 2)


def ogg_problems(path: str | os.PathLike[str], granule_rate: int = 0) -> tuple[AudioProblem, ...]:
    """Ogg pages failing their checksum (where: the granule position before the first, at
    `granule_rate`), bytes between pages, and a stream that stops without its end-of-stream page."""
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > OGG_SCAN_MAX_BYTES:
            handle.seek(size - OGG_TAIL_BYTES)
            return _ogg_end_problems(handle.read())
        data = handle.read()
    bad = 0
    first_bad_s: float | None = None
    granule = 0  # the last good page's granule position: the audio decoded before a bad page
    position = 0
    last_header_type: int | None = None
    while position < len(data):
        page = _ogg_page_at(data, position)
        if page is None or ogg_page_crc(page) != int.from_bytes(page[22:26], "little"):
            found = data.find(b"OggS", position + 1)
            if page is None and found < 0:
                break  # bytes after the last page: a tag appended by a tagger, or a page cut off
            bad += 1
            if first_bad_s is None:
                first_bad_s = granule / granule_rate if granule_rate else 0.0
            if found < 0:
                break
            position = found
            continue
        page_granule = int.from_bytes(page[6:14], "little", signed=True)
        if page_granule > 0:
            granule = page_granule
        last_header_type = page[5]
        position += len(page)
    problems = []
    if bad:
        where = "an Ogg page fails its checksum" if bad == 1 else f"{bad} Ogg pages fail their checksum"
        problems.append(AudioProblem(ProblemKind.CHECKSUM, round(first_bad_s or 0.0, 3), bad, detail=where))
    if last_header_type is not None and not last_header_type & 0x04:
        detail = "the Ogg stream stops without its end-of-stream page"
        problems.append(AudioProblem(ProblemKind.CUT_SHORT, None, detail=detail))
    return tuple(problems)


def _ogg_end_problems(tail: bytes) -> tuple[AudioProblem, ...]:
    """From the file's last bytes: whether its last whole page ends the stream."""
    found = tail.rfind(b"OggS")
    while found >= 0:
        page = _ogg_page_at(tail, found)
        if page is not None and ogg_page_crc(page) == int.from_bytes(page[22:26], "little"):
            if page[5] & 0x04:
                return ()
            detail = "the Ogg stream stops without its end-of-stream page"
            return (AudioProblem(ProblemKind.CUT_SHORT, None, detail=detail),)
        found = tail.rfind(b"OggS", 0, found)
    return ()


def _ogg_page_at(data: bytes, start: int) -> bytes | None:
    """The whole Ogg page starting at `start` (its checksum unchecked), or None."""
    if data[start : start + 4] != b"OggS" or len(data) < start + 27 or data[start + 4] != 0:
        return None
    segments = data[start + 26]
    if len(data) < start + 27 + segments:
        return None
    end = start + 27 + segments + sum(data[start + 27 : start + 27 + segments])
    return data[start:end] if end <= len(data) else None
