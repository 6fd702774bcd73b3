"""Find an ffmpeg binary (system first, then imageio-ffmpeg's), hand it to pydub, and transcode with it."""

from __future__ import annotations

import functools
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path

from playlist_builder.audio.decode import ffmpeg_binary
from playlist_builder.errors import ExportError


@dataclass(frozen=True)
class Codec:
    """A lossy target for players that cannot play FLAC/Ogg/Opus."""

    name: str
    extension: str
    ffmpeg_args: tuple[str, ...]
    kbps: int  # for the free-space estimate


# 192 kb/s MP3 and 160 kb/s AAC are transparent for calm, sparse music on clinic headphones, and
# every USB/SD player made in the last twenty years plays them.
CODECS: dict[str, Codec] = {
    "mp3": Codec("mp3", ".mp3", ("-c:a", "libmp3lame", "-b:a", "192k", "-id3v2_version", "3"), 192),
    "aac": Codec("aac", ".m4a", ("-c:a", "aac", "-b:a", "160k", "-movflags", "+faststart"), 160),
}
# Formats every player can open as they are; anything else is transcoded when a codec is asked for.
PLAYABLE_EVERYWHERE = {".mp3", ".m4a", ".aac", ".wav"}


@functools.cache
def find_ffmpeg() -> str | None:
    """Path of an ffmpeg executable, or None (the analyser's look-up, remembered for this process)."""
    return ffmpeg_binary()


def require_ffmpeg() -> str:
    """Path of ffmpeg; ExportError saying how to get one if there is none."""
    exe = find_ffmpeg()
    if exe is None:
        raise ExportError("ffmpeg is needed for this export: install it (e.g. `apt install ffmpeg`)")
    return exe


def pydub_audio_segment() -> type:
    """pydub's AudioSegment class, pointed at our ffmpeg (and without its import-time warning)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # "Couldn't find ffmpeg": we set it below
        warnings.simplefilter("ignore", DeprecationWarning)  # audioop; pyproject adds audioop-lts for 3.13+
        from pydub import AudioSegment
    exe = find_ffmpeg()
    if exe is not None:
        AudioSegment.converter = exe
    return AudioSegment


def run_ffmpeg(args: list[str], what: str) -> None:
    """Run ffmpeg quietly; ExportError with its last message line when it fails."""
    command = [require_ffmpeg(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args]
    try:
        result = subprocess.run(command, capture_output=True, check=False)
    except OSError as exc:
        raise ExportError(f"cannot run ffmpeg for {what}: {exc}") from exc
    if result.returncode != 0:
        lines = result.stderr.decode("utf-8", "replace").strip().splitlines()
        last = lines[-1] if lines else f"exit status {result.returncode}"
        raise ExportError(f"ffmpeg failed on {what}: {last}")


def transcode_file(source: Path, target: Path, codec: Codec, tags: dict[str, str]) -> None:
    """Encode `source` into `target` (a temp path the caller renames), streaming, tags carried over."""
    metadata: list[str] = []
    for key, value in tags.items():
        if value:
            metadata += ["-metadata", f"{key}={value}"]
    container = "mp3" if codec.extension == ".mp3" else "ipod"  # ipod = .m4a that old players accept
    inputs = ["-i", str(source), "-vn", "-map_metadata", "0"]
    outputs = [*codec.ffmpeg_args, "-f", container, str(target)]
    run_ffmpeg([*inputs, *metadata, *outputs], f"{source.name} -> {codec.name}")
