"""Local folders: walk them safely and read each audio file's tags and stream facts with mutagen."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

import mutagen
import mutagen.oggflac
from mutagen.id3 import ID3
from mutagen.mp4 import MP4Tags

from playlist_builder.model import Source, Track
from playlist_builder.text import clean_tag, has_line_break_or_control

# Extensions we treat as audio. Anything else in a music folder (covers, .lrc, .cue, notes) is ignored.
AUDIO_EXTENSIONS = frozenset(
    {
        ".mp3",
        ".flac",
        ".ogg",
        ".oga",
        ".opus",
        ".m4a",
        ".mp4",
        ".m4b",
        ".aac",
        ".wav",
        ".wave",
        ".aif",
        ".aiff",
        ".aifc",
    }
)

# mutagen class name -> our short format name
_FORMAT_NAMES = {
    "MP3": "mp3",
    "EasyMP3": "mp3",
    "FLAC": "flac",
    "OggVorbis": "ogg",
    "OggOpus": "opus",
    "OggFLAC": "flac",
    "OggSpeex": "speex",
    "MP4": "m4a",
    "EasyMP4": "m4a",
    "WAVE": "wav",
    "AIFF": "aiff",
    "AAC": "aac",
}


class FoundFile(NamedTuple):
    """An audio file met while walking a root (a tuple: thousands are made per scan)."""

    path: str
    relative: str
    size: int
    mtime: float
    has_lrc_sidecar: bool


@dataclass(frozen=True)
class WalkProblem:
    """Something under a root that could not be visited (permission, bad name), or was passed over."""

    path: str
    reason: str
    passed_over: bool = False  # True for a link back into folders already scanned: nothing is lost


def clean_text(value: Any) -> str | None:
    """A tag value as one clean line of text, or None when empty."""
    if value is None:
        return None
    if isinstance(value, list | tuple):
        parts = [clean_text(v) for v in value]
        value = "; ".join(p for p in parts if p)
    elif isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    text = clean_tag(str(value))  # line breaks and control characters become spaces: one line
    return text or None


def walk_audio_files(root: str, *, include_hidden: bool = False) -> Iterator[FoundFile | WalkProblem]:
    """Yield every audio file under `root` (a folder or one file); problems are yielded, not raised.

    Directory symlinks are followed once: a directory already visited (same device and inode) is skipped,
    so symlink loops cannot hang the walk. Hidden folders and files under the root (`.Trash-1000`,
    `.venv`, macOS `._*` copies) are skipped unless `include_hidden`; a hidden root named itself is walked.
    """
    try:
        root_stat = os.stat(root)
    except OSError as exc:
        yield WalkProblem(root, exc.strerror or str(exc))
        return
    if stat.S_ISREG(root_stat.st_mode):
        lrc = os.path.exists(os.path.splitext(root)[0] + ".lrc")
        yield FoundFile(root, ".", root_stat.st_size, root_stat.st_mtime, lrc)
        return
    visited: set[tuple[int, int]] = {(root_stat.st_dev, root_stat.st_ino)}
    stack: list[tuple[str, str]] = [(root, "")]  # (folder, its path relative to the root with a trailing /)
    while stack:
        directory, prefix = stack.pop()
        try:
            with os.scandir(directory) as iterator:
                entries = sorted(iterator, key=lambda e: e.name)
        except OSError as exc:
            yield WalkProblem(directory, exc.strerror or str(exc))
            continue
        lrc_stems = {os.path.splitext(e.name)[0] for e in entries if e.name.lower().endswith(".lrc")}
        subdirs: list[tuple[str, str]] = []
        for entry in entries:
            if entry.name.startswith(".") and not include_hidden:
                continue
            item = _visit(entry, prefix, lrc_stems, visited, subdirs)
            if item is not None:
                yield item
        stack.extend(reversed(subdirs))


def _visit(
    entry: os.DirEntry[str],
    prefix: str,
    lrc_stems: set[str],
    visited: set[tuple[int, int]],
    subdirs: list[tuple[str, str]],
) -> FoundFile | WalkProblem | None:
    """One directory entry: a sub-folder is queued, an audio file returned, anything else ignored."""
    try:
        if entry.is_dir(follow_symlinks=True):
            info = entry.stat(follow_symlinks=True)
            key = (info.st_dev, info.st_ino)
            if key in visited:
                if entry.is_symlink():
                    reason = "link to a folder already scanned (not scanned twice)"
                    return WalkProblem(entry.path, reason, passed_over=True)
                return None
            visited.add(key)
            subdirs.append((entry.path, f"{prefix}{entry.name}/"))
            return None
        stem, ext = os.path.splitext(entry.name)
        if ext.lower() not in AUDIO_EXTENSIONS or not entry.is_file(follow_symlinks=True):
            return None
        info = entry.stat(follow_symlinks=True)
    except OSError as exc:
        return WalkProblem(entry.path, exc.strerror or str(exc))
    relative = prefix + entry.name
    if not relative.isascii():
        try:
            relative.encode("utf-8")
        except UnicodeEncodeError:
            return WalkProblem(entry.path, "file name is not valid UTF-8 (rename it to scan it)")
    if not relative.isprintable() and has_line_break_or_control(relative):
        # No playlist line can hold such a path, so the track could never be exported: say so now.
        return WalkProblem(
            entry.path,
            "file or folder name contains a line break or control character (rename it to scan it)",
        )
    return FoundFile(entry.path, relative, info.st_size, info.st_mtime, stem in lrc_stems)


class TagReadError(Exception):
    """A file mutagen could not read as audio; the message is the reason shown to the user."""


def read_track(found: FoundFile) -> Track:
    """Read one file's tags and stream facts into a Track (raises TagReadError with a reason)."""
    if found.size == 0:
        raise TagReadError("empty file (0 bytes)")
    try:
        with open(found.path, "rb") as handle:
            options = _options_for_header(handle.read(12))
            handle.seek(0)
            audio = mutagen.File(handle, options=options)
    except PermissionError as exc:
        raise TagReadError("permission denied") from exc
    except (mutagen.MutagenError, OSError, ValueError, EOFError, IndexError, KeyError, TypeError) as exc:
        raise TagReadError(f"unreadable or corrupt audio ({type(exc).__name__}: {_first_line(exc)})") from exc
    if audio is None:
        raise TagReadError("not a recognised audio file (unknown or damaged format)")
    info = audio.info
    length = float(getattr(info, "length", 0.0) or 0.0)
    if length <= 0:
        raise TagReadError("no audio stream (zero length; truncated or damaged file)")
    tags = _extract_tags(audio.tags)
    file_name_title = clean_tag(os.path.splitext(os.path.basename(found.path))[0])
    return Track(
        source=Source.LOCAL,
        source_key=found.relative,
        title=tags.get("title") or file_name_title,
        artist=tags.get("artist"),
        album_artist=tags.get("album_artist"),
        album=tags.get("album"),
        genre=tags.get("genre"),
        composer=tags.get("composer"),
        track_number=_parse_track_number(tags.get("track_number")),
        duration_s=round(length, 3),
        sample_rate=getattr(info, "sample_rate", None) or None,
        channels=getattr(info, "channels", None) or None,
        isrc=(tags.get("isrc") or "").replace("-", "").upper() or None,
        bpm=_parse_float(tags.get("bpm")),
        comment=tags.get("comment"),
        has_embedded_lyrics=bool(tags.get("lyrics")),
        has_lrc_sidecar=found.has_lrc_sidecar,
        file_format=_FORMAT_NAMES.get(type(audio).__name__, type(audio).__name__.lower()),
        size=found.size,
        mtime=found.mtime,
    )


def read_or_reason(found: FoundFile) -> Track | str:
    """Read one file's tags; a string is the reason it could not be read (picklable for worker processes)."""
    try:
        return read_track(found)
    except TagReadError as exc:
        return str(exc)


def _options_for_header(head: bytes) -> list[type] | None:
    """The mutagen readers to try, by the file's own magic bytes (so a mis-named file is read right)."""
    from mutagen.aiff import AIFF
    from mutagen.flac import FLAC
    from mutagen.mp4 import MP4
    from mutagen.oggopus import OggOpus
    from mutagen.oggvorbis import OggVorbis
    from mutagen.wave import WAVE

    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return [WAVE]
    if head[:4] == b"fLaC":
        return [FLAC]
    if head[:4] == b"OggS":
        return [OggVorbis, OggOpus, mutagen.oggflac.OggFLAC]
    if head[:4] == b"FORM":
        return [AIFF]
    if head[4:8] == b"ftyp":
        return [MP4]
    return None  # MP3 and others: let mutagen score by content and name


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [""])[0][:120]


def _parse_track_number(value: str | None) -> int | None:
    if not value:
        return None
    head = value.split("/")[0].strip()
    return int(head) if head.isdigit() else None


def _parse_float(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


_ID3_FRAMES = {
    "TIT2": "title",
    "TPE1": "artist",
    "TPE2": "album_artist",
    "TALB": "album",
    "TCON": "genre",
    "TCOM": "composer",
    "TRCK": "track_number",
    "TSRC": "isrc",
    "TBPM": "bpm",
}
_MP4_ATOMS = {
    "\xa9nam": "title",
    "\xa9ART": "artist",
    "aART": "album_artist",
    "\xa9alb": "album",
    "\xa9gen": "genre",
    "\xa9wrt": "composer",
    "\xa9cmt": "comment",
    "\xa9lyr": "lyrics",
    "----:com.apple.iTunes:ISRC": "isrc",
}
_VORBIS_KEYS = {
    "title": "title",
    "artist": "artist",
    "albumartist": "album_artist",
    "album artist": "album_artist",
    "album": "album",
    "genre": "genre",
    "composer": "composer",
    "tracknumber": "track_number",
    "isrc": "isrc",
    "bpm": "bpm",
    "comment": "comment",
    "description": "comment",
    "lyrics": "lyrics",
    "unsyncedlyrics": "lyrics",
    "unsynced lyrics": "lyrics",
}


def _extract_tags(tags: Any) -> dict[str, str]:
    """Our tag names from ID3, MP4 or Vorbis-comment tags (whichever the file has)."""
    out: dict[str, str] = {}
    if tags is None:
        return out
    if isinstance(tags, ID3):
        for frame_id, name in _ID3_FRAMES.items():
            frame = tags.get(frame_id)
            if frame is not None:
                _put(out, name, frame.text)
        for frame in tags.getall("COMM"):
            _put(out, "comment", frame.text)
        if any(clean_text(f.text) for f in tags.getall("USLT")) or tags.getall("SYLT"):
            out["lyrics"] = "yes"
        return out
    if isinstance(tags, MP4Tags):
        for atom, name in _MP4_ATOMS.items():
            if atom in tags:
                _put(out, name, tags[atom])
        if tags.get("trkn"):
            out["track_number"] = str(tags["trkn"][0][0])
        if tags.get("tmpo"):
            out["bpm"] = str(tags["tmpo"][0])
        return out
    try:
        items = list(tags.items())
    except (AttributeError, TypeError, ValueError):
        return out
    for key, value in items:
        name = _VORBIS_KEYS.get(str(key).lower())
        if name:
            _put(out, name, value)
    return out


def _put(out: dict[str, str], name: str, value: Any) -> None:
    if name in out:
        return
    if isinstance(value, list | tuple) and value and isinstance(value[0], bytes | bytearray):
        value = [bytes(v).decode("utf-8", errors="replace") for v in value]
    text = clean_text(value)
    if text:
        out[name] = text
