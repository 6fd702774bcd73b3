"""Text shared by every stage: durations as m:ss, how names are compared, and text safe to show.

One definition each, so classification, curated linking and Spotify matching agree on when two
names are the same, and every table, sheet and message writes a length the same way.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from playlist_builder.tomlfile import read_toml

# --- durations -------------------------------------------------------------------------------------


def format_duration(seconds: float | None) -> str:
    """`m:ss`, or `h:mm:ss` from an hour on, rounded to the second; `?` when unknown or not finite."""
    if seconds is None or not math.isfinite(seconds):
        return "?"
    total = round(seconds)
    sign = "-" if total < 0 else ""
    hours, rest = divmod(abs(total), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{sign}{hours}:{minutes:02d}:{secs:02d}" if hours else f"{sign}{minutes}:{secs:02d}"


# --- comparing names -------------------------------------------------------------------------------

_SPACES_AND_UNDERSCORES = re.compile(r"[\s_]+")
_BRACKETS = re.compile(r"[\(\[\{][^\)\]\}]*[\)\]\}]")
_DASH_SUFFIX = re.compile(r"\s+[-–—]\s+(.*)$")
# Words that mark a bracket or " - suffix" as a release variant rather than part of the title.
_VERSION_WORDS = re.compile(
    r"\b(remaster(ed)?|version|edit|mix|mono|stereo|anniversary|deluxe|bonus|reissue|digital|live|take)\b"
)
_NON_WORD = re.compile(r"[\W_]+")
# Between the names in one credit: "A, B", "A & B", "A / B", "A + B", "A x B", "A × B",
# "A feat. B", "A ft B", "A featuring B", "A and B", "A with B", "A vs. B".
_ARTIST_SEPARATORS = re.compile(
    r"\s*(?:[,;&/+×]|\b(?:feat|ft|vs)\b\.?|\b(?:featuring|and|with|x)\b)\s*", re.IGNORECASE
)


def normalise_text(text: str) -> str:
    """How names are compared: accents dropped, case folded, runs of spaces and underscores as one.

    Punctuation stays, so rules can look for phrases such as `(live)` or `feat.`.
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES_AND_UNDERSCORES.sub(" ", unicodedata.normalize("NFC", stripped)).strip()


def name_key(text: str) -> str:
    """A title or name as a lookup key: `normalise_text`, then no brackets, release-variant suffix
    ("- Remastered 2011") or punctuation. Letters of every script are kept."""
    plain = _BRACKETS.sub(" ", normalise_text(text))
    suffix = _DASH_SUFFIX.search(plain)
    if suffix is not None and _VERSION_WORDS.search(suffix.group(1)):
        plain = plain[: suffix.start()]
    return _NON_WORD.sub(" ", plain).strip()


def split_credit(credit: str | None) -> tuple[str, ...]:
    """The artists named in a credit, as written ("A + B feat. C" gives A, B, C)."""
    if not credit:
        return ()
    return tuple(part.strip() for part in _ARTIST_SEPARATORS.split(credit) if part.strip())


def artist_keys(credit: str | None) -> frozenset[str]:
    """The name keys in an artist credit: each artist named in it, and the whole credit.

    "Nils Frahm & Ólafur Arnalds feat. Kiasmos" gives `nils frahm`, `olafur arnalds`, `kiasmos`
    and `nils frahm olafur arnalds feat kiasmos`; two credits name the same artist when they share
    a key.
    """
    if not credit:
        return frozenset()
    parts = {name_key(part) for part in split_credit(normalise_text(credit))}
    return frozenset(key for key in (parts | {name_key(credit)}) if key)


# --- the same recording ----------------------------------------------------------------------------

MATCHING_RULES_FILE = "matching.toml"


@dataclass(frozen=True)
class MatchingRules:
    """How two sources' copies of a track are recognised as one recording (`rules/matching.toml`)."""

    duration_tolerance_s: float

    def same_length(self, a: float | None, b: float | None) -> bool:
        """Whether two lengths are close enough for one recording (unknown lengths never are)."""
        return a is not None and b is not None and abs(a - b) <= self.duration_tolerance_s


def load_matching_rules(rules_dir: Path) -> MatchingRules:
    """Read `matching.toml`; every key is required and checked (finite, in range)."""
    doc = read_toml(rules_dir / MATCHING_RULES_FILE)
    doc.only_keys((), ("matching",))
    doc.only_keys(("matching",), ("duration_tolerance_s",))
    tolerance = doc.number(("matching", "duration_tolerance_s"), low=0.0, high=60.0)
    if not math.isfinite(tolerance):  # NaN slips through range checks
        raise doc.error(("matching", "duration_tolerance_s"), "must be a finite number")
    return MatchingRules(duration_tolerance_s=tolerance)


# --- text safe to show -----------------------------------------------------------------------------

# Characters that reorder what a terminal shows (Trojan-Source style): embeddings, overrides,
# isolates and the marks. A title can hold them; printed raw they can make text lie about itself.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _escape(char: str) -> str:
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (a file name read with surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _is_unsafe(char: str, keep_layout: bool) -> bool:
    if char in BIDI_CONTROLS:
        return True
    kind = unicodedata.category(char)
    if kind == "Cs":
        return True
    if kind == "Cc":
        return not (keep_layout and char in "\n\t\r")
    return False


def display_text(text: str) -> str:
    """One line safe for a terminal, table or JSON: every control, bidi and undecodable character
    shown as an escape (`\\n`, `\\u202e`, `\\xff`) instead of acting on the screen."""
    if text.isprintable() and not BIDI_CONTROLS.intersection(text):
        return text
    special = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
    return "".join(special.get(ch, _escape(ch)) if _is_unsafe(ch, keep_layout=False) else ch for ch in text)


# The only escape sequences our own output writes: click's progress bar hides and shows the cursor.
_OWN_ESCAPES = re.compile(r"(\x1b\[\?25[lh])")


def neutralise_output(text: str) -> str:
    """What the CLI's output streams let through: our own layout (newlines, tabs, carriage returns,
    the progress bar's cursor sequences) stays; bidi controls, every other control character and
    escape sequence, and undecodable bytes are shown as escapes."""
    if text.isprintable() and not BIDI_CONTROLS.intersection(text):
        return text
    pieces = _OWN_ESCAPES.split(text)  # odd indexes: our own cursor sequences, kept as they are
    return "".join(piece if index % 2 else _escape_unsafe(piece) for index, piece in enumerate(pieces))


def _escape_unsafe(text: str) -> str:
    return "".join(_escape(ch) if _is_unsafe(ch, keep_layout=True) else ch for ch in text)


_LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


def has_line_break_or_control(text: str) -> bool:
    """Whether `text` holds a line break or a control character (no single line could carry it)."""
    return any(ch in _LINE_BREAKS or unicodedata.category(ch) == "Cc" for ch in text)


def clean_tag(text: str) -> str:
    """A title or tag as stored: control characters and line breaks become spaces, runs of spaces
    one, no surrounding spaces; undecodable bytes become U+FFFD. Bidi marks stay (they are part of
    right-to-left text) and are escaped on display."""
    out: list[str] = []
    for ch in text:
        kind = unicodedata.category(ch)
        if kind == "Cc" or ch in _LINE_BREAKS:
            out.append(" ")
        elif kind == "Cs":
            out.append("\ufffd")
        else:
            out.append(ch)
    return re.sub(r"\s+", " ", "".join(out)).strip()
