"""File and folder names that are safe on FAT32/exFAT cards and can never leave their folder (pure)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# 120 bytes of UTF-8 (never more UTF-16 units than that, so within FAT32/exFAT's 255-unit limit) leaves
# room for the card's root and a session folder inside the 255-260 character paths that Windows and
# many hardware players still cap at.
MAX_NAME_BYTES = 120
MAX_FOLDER_BYTES = 64  # the session folder; shorter so file paths stay well under those caps
FALLBACK_STEM = "Track"

# Characters FAT32/exFAT (and Windows) refuse in names; '/' and '\\' would also make a path.
_FORBIDDEN = set('"*/:<>?\\|')
_RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"} | {
    f"{device}{suffix}" for device in ("COM", "LPT") for suffix in [*"0123456789", "¹", "²", "³"]
}
_SPACES = re.compile(r"\s+")


def _clean_characters(text: str) -> str:
    """NFC, forbidden characters as '_', control and invisible format characters removed."""
    out = []
    for char in unicodedata.normalize("NFC", text):
        kind = unicodedata.category(char)
        if char in _FORBIDDEN:
            out.append("_")
        elif kind in ("Cc", "Zl", "Zp"):
            out.append(" ")
        elif kind not in ("Cf", "Cs", "Co", "Cn"):
            out.append(char)
    return _SPACES.sub(" ", "".join(out))


def _trim_ends(text: str) -> str:
    """No leading dots/spaces (hidden or '..' names) and no trailing dots/spaces (FAT drops them)."""
    return text.strip(" .")


def _truncate_utf8(text: str, max_bytes: int) -> str:
    """The longest prefix of `text` whose UTF-8 form fits `max_bytes`, cut between code points."""
    encoded = text.encode("utf-8")
    if len(encoded) <= max_bytes:
        return text
    return encoded[:max_bytes].decode("utf-8", errors="ignore")


def _is_reserved(name: str) -> bool:
    """Windows device names are reserved with any extension too ("con.flac")."""
    stem = name.split(".", 1)[0].rstrip(" ")
    return stem.upper() in _RESERVED


def safe_extension(suffix: str) -> str:
    """A file extension like '.flac': lower case, letters and digits only, at most 8 of them."""
    letters = re.sub(r"[^0-9a-z]", "", suffix.lower())[:8]
    return f".{letters}" if letters else ""


def safe_name(stem: str, extension: str = "", *, max_bytes: int = MAX_NAME_BYTES) -> str:
    """One path component from any text (tags included) that FAT32/exFAT accept and that stays put."""
    extension = safe_extension(extension) if extension else ""
    room = max(1, max_bytes - len(extension.encode("utf-8")))
    cleaned = _trim_ends(_truncate_utf8(_trim_ends(_clean_characters(stem)), room))
    if not cleaned:
        cleaned = FALLBACK_STEM
    if _is_reserved(cleaned + extension):
        cleaned = _trim_ends(_truncate_utf8("_" + cleaned, room))
    return cleaned + extension


def folder_key(name: str) -> str:
    """How FAT/exFAT compare names: case-insensitive, and we normalise to NFC."""
    return unicodedata.normalize("NFC", name).casefold()


def unique_name(name: str, taken: Iterable[str], *, max_bytes: int = MAX_NAME_BYTES) -> str:
    """`name`, or `name (2)`, `(3)`… when a case-insensitive twin is already taken."""
    keys = {folder_key(existing) for existing in taken}
    if folder_key(name) not in keys:
        return name
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem:
        stem, extension = name, ""
    else:
        extension = "." + extension
    number = 2
    while True:
        marker = f" ({number})"
        room = max_bytes - len((marker + extension).encode("utf-8"))
        candidate = _trim_ends(_truncate_utf8(stem, room)) + marker + extension
        if folder_key(candidate) not in keys:
            return candidate
        number += 1


def track_file_name(position: int, count: int, artist: str | None, title: str | None, extension: str) -> str:
    """`07 Artist - Title.flac`: the number keeps play order for players that just sort the folder."""
    width = max(2, len(str(count)))
    label = " - ".join(part for part in (artist, title) if part and part.strip()) or FALLBACK_STEM
    return safe_name(f"{position:0{width}d} {label}", extension)
