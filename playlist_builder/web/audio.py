"""Audio for the browser's player: files streamed with HTTP Range, others transcoded to WAV on the fly.

A transcoded track is sent as 16-bit PCM WAV whose size is known in advance (length x rate x
channels), so Range requests work on it too: a byte offset maps to a sample, ffmpeg starts decoding
there, and the bytes are cut or padded to exactly the declared length. Memory stays flat either way:
both paths send fixed-size chunks.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import struct
from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response, StreamingResponse

from playlist_builder.audio.decode import ffmpeg_binary, open_audio
from playlist_builder.errors import AudioError
from playlist_builder.services.listening import PlayableFile

CHUNK_BYTES = 64 * 1024
WAV_HEADER_BYTES = 44
SAMPLE_BYTES = 2  # 16-bit PCM: plenty for listening, half the size of float
MAX_TRANSCODE_CHANNELS = 2  # browsers play stereo; a surround file is folded down
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def audio_response(request: Request, playable: PlayableFile) -> Response:
    """The response that plays `playable` in the browser, honouring a Range header."""
    if playable.media_type is not None:
        return FileResponse(playable.path, media_type=playable.media_type, headers=_private())
    return _transcoded(request, playable)


def _private() -> dict[str, str]:
    return {"Cache-Control": "private, max-age=300", "X-Content-Type-Options": "nosniff"}


def wav_header(frames: int, rate: int, channels: int) -> bytes:
    """A 44-byte RIFF/WAVE header for `frames` frames of 16-bit PCM."""
    data_bytes = frames * channels * SAMPLE_BYTES
    block_align = channels * SAMPLE_BYTES
    return (
        b"RIFF"
        + struct.pack("<I", 36 + data_bytes)
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * block_align, block_align, 16)
        + b"data"
        + struct.pack("<I", data_bytes)
    )


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(start, end exclusive) of a single `bytes=` range, None for no range; ValueError if unsatisfiable."""
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if match is None:
        return None  # several ranges or another unit: send the whole file, as RFC 9110 allows
    first, last = match.groups()
    if first == "" and last == "":
        return None
    if first == "":
        start, end = max(0, size - int(last)), size
    else:
        start = int(first)
        end = min(size, int(last) + 1) if last else size
    if start >= size or start >= end:
        raise ValueError("range not satisfiable")
    return start, end


def _transcoded(request: Request, playable: PlayableFile) -> Response:
    binary = ffmpeg_binary()
    if binary is None:
        raise AudioError("this track's format needs ffmpeg to play in a browser, and ffmpeg is not installed")
    with open_audio(playable.path) as source:
        info = source.info
    if not info.duration_s:
        raise AudioError("this track's length is unknown, so it cannot be streamed")
    channels = min(info.channels, MAX_TRANSCODE_CHANNELS)
    rate = info.sample_rate
    frames = round(info.duration_s * rate)
    header = wav_header(frames, rate, channels)
    size = len(header) + frames * channels * SAMPLE_BYTES
    try:
        wanted = parse_range(request.headers.get("range"), size)
    except ValueError:
        return PlainTextResponse("range not satisfiable", 416, headers={"Content-Range": f"bytes */{size}"})
    start, end = wanted if wanted is not None else (0, size)
    headers = {**_private(), "Accept-Ranges": "bytes", "Content-Length": str(end - start)}
    if wanted is not None:
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
    body = _wav_bytes(binary, playable.path, header, rate, channels, start, end)
    return StreamingResponse(
        body, status_code=206 if wanted else 200, media_type="audio/wav", headers=headers
    )


async def _wav_bytes(
    binary: str, path: str, header: bytes, rate: int, channels: int, start: int, end: int
) -> AsyncIterator[bytes]:
    """Bytes [start, end) of the WAV: header part, then PCM from ffmpeg, cut or padded to fit."""
    position = start
    if position < len(header):
        piece = header[position : min(end, len(header))]
        position += len(piece)
        yield piece
    if position >= end:
        return
    block_align = channels * SAMPLE_BYTES
    first_frame, skip = divmod(position - len(header), block_align)
    command = [binary, "-hide_banner", "-nostdin", "-v", "error"]
    if first_frame:
        command += ["-ss", f"{first_frame / rate:.6f}"]
    command += ["-i", path, "-map", "0:a:0", "-vn", "-f", "s16le", "-acodec", "pcm_s16le"]
    command += ["-ac", str(channels), "-ar", str(rate), "-"]
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL
    )
    assert process.stdout is not None
    try:
        while position < end:
            chunk = await process.stdout.read(CHUNK_BYTES)
            if not chunk:
                break
            if skip:
                chunk, skip = chunk[skip:], max(0, skip - len(chunk))
            chunk = chunk[: end - position]
            position += len(chunk)
            if chunk:
                yield chunk
        while position < end:  # the decoder stopped short of the stated length: pad with silence
            pad = min(CHUNK_BYTES, end - position)
            position += pad
            yield bytes(pad)
    finally:
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
        await process.wait()
