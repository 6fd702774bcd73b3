"""Pure M3U8/M3U text: render a playlist from entries, parse one back, and place paths (no I/O)."""

from __future__ import annotations

import ntpath
import posixpath
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

from playlist_builder.errors import ExportError
from playlist_builder.text import clean_tag as stored_tag

M3U8_ENCODING = "utf-8"
M3U_ENCODING = "latin-1"  # what players assume for a plain `.m3u`
UNKNOWN_DURATION = -1  # the #EXTINF convention for "length not known"

_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class PlaylistEntry:
    """One playlist line and its #EXTINF: where the file is and what to show for it."""

    location: str
    duration_s: float | None = None
    artist: str | None = None
    title: str | None = None


@dataclass(frozen=True)
class Playlist:
    """A parsed playlist: its #PLAYLIST name (or "") and its entries in order."""

    name: str
    entries: tuple[PlaylistEntry, ...]


def clean_tag(text: str | None) -> str:
    """A tag made safe for one playlist line: text.clean_tag (no control characters or line breaks,
    spaces collapsed), and no invisible format marks either (bidi overrides could reorder the line)."""
    if not text:
        return ""
    visible = "".join(ch for ch in stored_tag(text) if unicodedata.category(ch) != "Cf")
    return _SPACES.sub(" ", visible).strip()


def _display(entry: PlaylistEntry) -> str:
    artist, title = clean_tag(entry.artist), clean_tag(entry.title)
    if artist and title:
        return f"{artist} - {title}"
    return title or artist or posixpath.basename(entry.location)


def _extinf_seconds(duration_s: float | None) -> int:
    if duration_s is None or duration_s != duration_s or duration_s < 0:
        return UNKNOWN_DURATION
    return round(duration_s)


def _location_line(entry: PlaylistEntry) -> str:
    """The path line; refuses locations a player would misread rather than silently changing them."""
    location = entry.location
    if not location or clean_tag(location) != location.strip() or location != location.rstrip():
        raise ExportError(
            f"cannot put {_display(entry)!r} in a playlist: its path {location!r} contains a line break, "
            "a control character or trailing spaces"
        )
    if location.startswith("#") or location[0].isspace():
        # A leading '#' would read as a comment and leading spaces are stripped by players.
        return "./" + location
    return location


def render_playlist(name: str, entries: Sequence[PlaylistEntry], *, latin1: bool = False) -> str:
    """The playlist text: #EXTM3U, #PLAYLIST, then #EXTINF and path per entry, LF line ends.

    With `latin1` every line must fit ISO-8859-1 (a plain `.m3u`); the error names the track and the
    characters that do not fit.
    """
    if not entries:
        raise ExportError("refusing to write an empty playlist: the session has no playable files")
    lines = ["#EXTM3U"]
    owners = ["the playlist header"]  # what each line belongs to, for error messages
    title = clean_tag(name)
    if title:
        lines.append(f"#PLAYLIST:{title}")
        owners.append("the playlist name")
    for number, entry in enumerate(entries, start=1):
        lines.append(f"#EXTINF:{_extinf_seconds(entry.duration_s)},{_display(entry)}")
        lines.append(_location_line(entry))
        owners += [f"track {number} ({_display(entry)!r})"] * 2
    if latin1:
        _check_latin1(lines, owners)
    return "\n".join(lines) + "\n"


def _check_latin1(lines: list[str], owners: list[str]) -> None:
    """Raise naming the first line that Latin-1 cannot hold and what it belongs to."""
    for line, owner in zip(lines, owners, strict=True):
        bad = sorted({char for char in line if ord(char) > 0xFF})
        if bad:
            shown = ", ".join(f"{char!r} (U+{ord(char):04X})" for char in bad[:5])
            raise ExportError(
                f"a .m3u playlist is Latin-1 and cannot hold {shown} in {owner}; "
                "write a .m3u8 (UTF-8) instead"
            )


def encode_playlist(text: str, *, latin1: bool = False) -> bytes:
    """The bytes to write: UTF-8 without BOM, or strict Latin-1."""
    try:
        return text.encode(M3U_ENCODING if latin1 else M3U8_ENCODING, errors="strict")
    except UnicodeEncodeError as exc:
        bad = exc.object[exc.start : exc.end]
        raise ExportError(
            f"the playlist cannot be encoded as {exc.encoding}: {bad!r} at character {exc.start}"
        ) from exc


def parse_playlist(text: str) -> Playlist:
    """Read M3U/M3U8 text (BOM, CRLF and unknown directives tolerated) into a Playlist."""
    name = ""
    pending: tuple[float | None, str | None, str | None] | None = None
    entries: list[PlaylistEntry] = []
    for raw in text.removeprefix("\ufeff").splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#PLAYLIST:"):
            name = line.removeprefix("#PLAYLIST:").strip()
        elif line.startswith("#EXTINF:"):
            pending = _parse_extinf(line.removeprefix("#EXTINF:"))
        elif line.startswith("#"):
            continue
        else:
            duration, artist, title = pending or (None, None, None)
            entries.append(PlaylistEntry(line, duration, artist, title))
            pending = None
    return Playlist(name, tuple(entries))


def _parse_extinf(body: str) -> tuple[float | None, str | None, str | None]:
    seconds_text, _, display = body.partition(",")
    try:
        seconds: float | None = float(seconds_text.split()[0]) if seconds_text.split() else None
    except ValueError:
        seconds = None
    if seconds is not None and seconds < 0:
        seconds = None
    artist, separator, title = display.partition(" - ")
    if not separator:
        return seconds, None, display.strip() or None
    return seconds, artist.strip() or None, title.strip() or None


def relative_location(file_path: str, playlist_dir: str) -> str:
    """`file_path` relative to the playlist's folder, with `/` separators (both must be absolute)."""
    flavour = ntpath if _is_windows_path(file_path) else posixpath
    try:
        relative = flavour.relpath(file_path, playlist_dir)
    except ValueError:  # a different drive on Windows: only an absolute path can reach it
        return absolute_location(file_path)
    return relative.replace("\\", "/")


def absolute_location(file_path: str) -> str:
    """An absolute path with `/` separators."""
    return file_path.replace("\\", "/") if _is_windows_path(file_path) else file_path


def prefixed_location(prefix: str, relative_key: str) -> str:
    """`relative_key` (a path under the library root) placed under a device's root `prefix`.

    A URL prefix (`file:///…`, `http://…`) gets the path percent-encoded, as URLs require.
    """
    key = relative_key.replace("\\", "/").lstrip("/")
    if "://" in prefix:
        key = quote(key, safe="/")
    return prefix.rstrip("/") + "/" + key


def _is_windows_path(path: str) -> bool:
    return bool(re.match(r"^[A-Za-z]:[\\/]", path)) or path.startswith("\\\\")
