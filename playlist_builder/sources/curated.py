"""Curated libraries: load and validate `libraries/*.toml`, errors naming file, entry, field and line."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playlist_builder.errors import ConfigError, NotFoundError
from playlist_builder.model import Category, Source, Track
from playlist_builder.text import format_duration as format_duration
from playlist_builder.text import normalise_text  # re-exported for linking messages
from playlist_builder.tomlfile import locate_key

# The phase names of the session arcs an entry's note may point to (rules/arcs use the same words).
PHASE_NAMES = ("settle", "descend", "deep", "return", "ground")
# `unclassified` is what the classifier says when nothing fits; a curator always knows the kind.
CURATED_CATEGORIES = tuple(c for c in Category if c is not Category.UNCLASSIFIED)
# Longer than any single recording a session could use; a bigger number is a typing slip.
MAX_DURATION_S = 6 * 3600
# Long enough for a few sentences, short enough for `library show`.
MAX_NOTE_CHARS = 400
# A problem list longer than this is cut: the first ones are what a curator fixes first.
MAX_PROBLEMS_REPORTED = 25

ENTRY_REQUIRED = ("title", "artist", "duration", "category", "lyrics", "phases", "note")
ENTRY_OPTIONAL = ("album", "composer", "artist_aliases", "title_aliases", "id", "isrc", "spotify_uri")
LIBRARY_REQUIRED = ("name", "description")
LIBRARY_OPTIONAL = ("notes",)

_SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_DURATION_RE = re.compile(r"^(?:(\d+):)?(\d{1,3}):([0-5]\d)(?:\.(\d+))?$")
_ISRC_RE = re.compile(r"^[A-Z]{2}[A-Z0-9]{3}\d{7}$")
_SPOTIFY_TRACK_URI_RE = re.compile(r"^spotify:track:[0-9A-Za-z]{22}$")


@dataclass(frozen=True)
class CuratedEntry:
    """One recording a curator vouches for: no lyrics, a known category, a note on where it fits."""

    title: str
    artist: str
    album: str | None
    duration_s: float
    category: Category
    note: str
    isrc: str | None
    spotify_uri: str | None
    library: str
    entry_id: str = ""
    phases: tuple[str, ...] = ()
    composer: str | None = None
    artist_aliases: tuple[str, ...] = ()  # other credits a copy may carry (performers, ensemble)
    title_aliases: tuple[str, ...] = ()  # other titles a copy may carry (classical naming varies)

    @property
    def source_key(self) -> str:
        """The stable key of this entry's library row: `<library>/<entry id>`."""
        return f"{self.library}/{self.entry_id}"

    @property
    def titles(self) -> tuple[str, ...]:
        """Every title a copy of this recording may be tagged with."""
        return (self.title, *self.title_aliases)

    @property
    def artist_names(self) -> tuple[str, ...]:
        """Every name a copy of this recording may be tagged with."""
        names = [self.artist, *self.artist_aliases]
        if self.composer:
            names.append(self.composer)
        return tuple(names)


@dataclass(frozen=True)
class CuratedLibrary:
    """A named list of curated entries from one file."""

    name: str
    description: str
    notes: str
    entries: tuple[CuratedEntry, ...]
    path: Path | None = None

    @property
    def total_s(self) -> float:
        """Total length of the entries (approximate, like the durations)."""
        return sum(entry.duration_s for entry in self.entries)


def slugify(text: str) -> str:
    """A lowercase ASCII slug: diacritics dropped, anything else non-alphanumeric becomes one dash."""
    return re.sub(r"[^a-z0-9]+", "-", normalise_text(text)).strip("-")


def parse_duration(value: object) -> float:
    """Seconds from a number of seconds, "m:ss" or "h:mm:ss"; ValueError says what is wrong."""
    if isinstance(value, bool):
        raise ValueError('expected seconds or "m:ss", got true/false')
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        match = _DURATION_RE.match(value.strip())
        if match is None:
            raise ValueError(f'{value!r} is not seconds or "m:ss" / "h:mm:ss"')
        hours, minutes, secs, fraction = match.groups()
        seconds = int(hours or 0) * 3600 + int(minutes) * 60 + int(secs) + float(f"0.{fraction or 0}")
    else:
        raise ValueError(f'expected seconds or "m:ss", got {type(value).__name__}')
    if not 0 < seconds <= MAX_DURATION_S:
        raise ValueError(f"{seconds:g} s is outside 0 to {MAX_DURATION_S // 3600} hours")
    return seconds


def entry_to_track(entry: CuratedEntry) -> Track:
    """The library row of a curated entry: trusted category, the curator's note and phases."""
    note = entry.note
    if entry.phases:
        note = f"{note} [phases: {', '.join(entry.phases)}]"
    return Track(
        source=Source.CURATED,
        source_key=entry.source_key,
        title=entry.title,
        artist=entry.artist,
        album=entry.album,
        composer=entry.composer,
        duration_s=entry.duration_s,
        isrc=entry.isrc,
        spotify_uri=entry.spotify_uri,
        curated_library=entry.library,
        curated_category=entry.category,
        curated_note=note,
    )


def load_curated_libraries(libraries_dir: Path, name: str | None = None) -> list[CuratedLibrary]:
    """Every `*.toml` library in a folder (or just the one called `name`), validated; sorted by name."""
    if not libraries_dir.is_dir():
        raise ConfigError(f"curated libraries folder not found: {libraries_dir}")
    libraries: list[CuratedLibrary] = []
    seen: dict[str, Path] = {}
    for path in sorted(libraries_dir.glob("*.toml")):
        library = load_curated_file(path)
        if library.name in seen:
            raise ConfigError(
                f"{path}: [library] name: {library.name!r} is already used by {seen[library.name]}"
            )
        seen[library.name] = path
        libraries.append(library)
    if name is not None:
        chosen = [lib for lib in libraries if lib.name == name]
        if not chosen:
            known = ", ".join(sorted(seen)) or "none"
            raise NotFoundError(f"no curated library named {name!r} in {libraries_dir} (available: {known})")
        return chosen
    return sorted(libraries, key=lambda lib: lib.name)


def load_curated_file(path: Path) -> CuratedLibrary:
    """One library file, validated; ConfigError lists every problem with file, entry, field and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    return _Validator(path, text).library(data)


class _Validator:
    """Checks one parsed file, collecting problems with the line each one is on."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.text = text
        self.problems: list[str] = []

    def library(self, data: Mapping[str, Any]) -> CuratedLibrary:
        """The validated library, or ConfigError with every problem found."""
        unknown = sorted(set(data) - {"library", "entries"})
        for key in unknown:
            self._problem(
                self._top_line(key), f"unknown top-level key {key!r} (expected [library] and [[entries]])"
            )
        header = data.get("library")
        if not isinstance(header, dict):
            self._problem(None, "[library] table with name and description is missing")
            header = {}
        name, description, notes = self._header(header)
        raw_entries = data.get("entries")
        if raw_entries is None or (isinstance(raw_entries, list) and not raw_entries):
            self._problem(None, "no [[entries]]: a library needs at least one entry")
            raw_entries = []
        elif not isinstance(raw_entries, list):
            self._problem(self._top_line("entries"), "entries must be written as [[entries]] tables")
            raw_entries = []
        parsed = [(i, self._entry(i, raw, name)) for i, raw in enumerate(raw_entries)]
        valid = [(i, entry) for i, entry in parsed if entry is not None]
        self._check_unique_ids(valid)
        if self.problems:
            shown = self.problems[:MAX_PROBLEMS_REPORTED]
            more = len(self.problems) - len(shown)
            tail = [f"... and {more} more"] if more > 0 else []
            raise ConfigError("\n".join([*shown, *tail]))
        return CuratedLibrary(
            name=name,
            description=description,
            notes=notes,
            entries=tuple(e for _, e in valid),
            path=self.path,
        )

    # --- the [library] table ------------------------------------------------------------------------

    def _header(self, header: Mapping[str, Any]) -> tuple[str, str, str]:
        line = self._table_line("library")
        for key in sorted(set(header) - set(LIBRARY_REQUIRED) - set(LIBRARY_OPTIONAL)):
            self._problem(line, f"[library] {key}: unknown field (allowed: name, description, notes)")
        values: dict[str, str] = {}
        for key in (*LIBRARY_REQUIRED, *LIBRARY_OPTIONAL):
            value = header.get(key)
            if value is None:
                if key in LIBRARY_REQUIRED:
                    self._problem(line, f"[library] {key}: missing")
                values[key] = ""
            elif not isinstance(value, str) or not value.strip():
                self._problem(line, f"[library] {key}: must be non-empty text")
                values[key] = ""
            else:
                values[key] = value.strip()
        if values["name"] and not _SLUG_RE.match(values["name"]):
            self._problem(
                line, f"[library] name: {values['name']!r} must be lowercase letters, digits and dashes"
            )
        return values["name"], values["description"], values["notes"]

    # --- one [[entries]] table ----------------------------------------------------------------------

    def _entry(self, index: int, raw: object, library: str) -> CuratedEntry | None:
        where = EntryWhere(self, index, raw)
        if not isinstance(raw, dict):
            where.problem(None, "must be a table of fields")
            return None
        before = len(self.problems)
        for key in sorted(set(raw) - set(ENTRY_REQUIRED) - set(ENTRY_OPTIONAL)):
            where.problem(key, f"unknown field (allowed: {', '.join((*ENTRY_REQUIRED, *ENTRY_OPTIONAL))})")
        for key in ENTRY_REQUIRED:
            if key not in raw:
                where.problem(key, "missing")
        title = where.text("title", required=True)
        artist = where.text("artist", required=True)
        note = where.text("note", required=True)
        if note and len(note) > MAX_NOTE_CHARS:
            where.problem("note", f"longer than {MAX_NOTE_CHARS} characters; keep it to a few sentences")
        duration = where.convert("duration", parse_duration)
        category = where.convert("category", _parse_category)
        where.convert("lyrics", _parse_lyrics)
        phases = where.convert("phases", _parse_phases)
        artist_aliases = where.convert("artist_aliases", _parse_names) if "artist_aliases" in raw else ()
        title_aliases = where.convert("title_aliases", _parse_names) if "title_aliases" in raw else ()
        isrc = where.convert("isrc", _parse_isrc) if "isrc" in raw else None
        uri = where.convert("spotify_uri", _parse_spotify_uri) if "spotify_uri" in raw else None
        entry_id = where.convert("id", _parse_entry_id) if "id" in raw else slugify(f"{artist}-{title}")
        album = where.text("album", required=False)
        composer = where.text("composer", required=False)
        if len(self.problems) > before or duration is None or category is None:
            return None
        return CuratedEntry(
            title=title,
            artist=artist,
            album=album or None,
            duration_s=duration,
            category=category,
            note=note,
            isrc=isrc,
            spotify_uri=uri,
            library=library,
            entry_id=entry_id or "",
            phases=phases or (),
            composer=composer or None,
            artist_aliases=artist_aliases or (),
            title_aliases=title_aliases or (),
        )

    def _check_unique_ids(self, entries: Iterable[tuple[int, CuratedEntry]]) -> None:
        first: dict[str, int] = {}
        for index, entry in entries:
            if not entry.entry_id:
                continue
            if entry.entry_id in first:
                other = first[entry.entry_id]
                where = EntryWhere(self, index, {"title": entry.title})
                where.problem(
                    "id",
                    f"{entry.entry_id!r} is the same as entry {other + 1}; give one of them its own id",
                )
            else:
                first[entry.entry_id] = index

    # --- line numbers (tomllib gives none; tomlfile.locate_key searches the raw text) -------------

    def entry_line(self, index: int, key: str | None) -> int | None:
        """1-based line of an entry's field (or of its [[entries]] header when the field is absent)."""
        return locate_key(self.text, ("entries", index) if key is None else ("entries", index, key))

    def _table_line(self, table: str) -> int | None:
        return locate_key(self.text, (table,))

    def _top_line(self, key: str) -> int | None:
        return locate_key(self.text, (key,))

    def _problem(self, line: int | None, message: str) -> None:
        place = f"{self.path}:{line}" if line is not None else f"{self.path}"
        self.problems.append(f"{place}: {message}")


class EntryWhere:
    """Where in the file one entry is, for messages that name file, entry (index and title), field, line."""

    def __init__(self, validator: _Validator, index: int, raw: object) -> None:
        self.validator = validator
        self.index = index
        self.raw: Mapping[str, Any] = raw if isinstance(raw, dict) else {}
        title = self.raw.get("title")
        self.label = f"entry {index + 1}" + (
            f" ({title!r})" if isinstance(title, str) and title.strip() else ""
        )

    def problem(self, key: str | None, message: str) -> None:
        """Record a problem with one field of this entry."""
        line = self.validator.entry_line(self.index, key)
        field = f" field {key!r}:" if key else ""
        self.validator._problem(line, f"{self.label}:{field} {message}")

    def text(self, key: str, *, required: bool) -> str:
        """A non-empty text field (missing optional fields give "")."""
        value = self.raw.get(key)
        if value is None:
            return ""
        if not isinstance(value, str) or not value.strip():
            self.problem(key, "must be non-empty text")
            return ""
        return " ".join(value.split()) if key != "note" else value.strip()

    def convert(self, key: str, parse: Any) -> Any:
        """Run a field's parser; a ValueError becomes a problem naming the field."""
        if key not in self.raw:
            return None
        try:
            return parse(self.raw[key])
        except ValueError as exc:
            self.problem(key, str(exc))
            return None


def _parse_category(value: object) -> Category:
    allowed = ", ".join(c.value for c in CURATED_CATEGORIES)
    if not isinstance(value, str) or value.strip().lower() not in {c.value for c in CURATED_CATEGORIES}:
        raise ValueError(f"{value!r} is not one of {allowed}")
    return Category(value.strip().lower())


def _parse_lyrics(value: object) -> str:
    if value != "none":
        raise ValueError(
            f'{value!r} is not allowed: curated entries must have no lyrics (lyrics = "none"); '
            "leave a recording with words or singing out of the library"
        )
    return "none"


def _parse_phases(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ValueError(f"must be a list of phase names from {', '.join(PHASE_NAMES)}")
    phases = tuple(v.strip().lower() for v in value)
    unknown = [p for p in phases if p not in PHASE_NAMES]
    if unknown:
        raise ValueError(f"{', '.join(map(repr, unknown))} not a phase ({', '.join(PHASE_NAMES)})")
    return tuple(dict.fromkeys(phases))


def _parse_names(value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError("must be a list of names")
    return tuple(" ".join(v.split()) for v in value)


def _parse_isrc(value: object) -> str:
    text = value.replace("-", "").strip().upper() if isinstance(value, str) else ""
    if not _ISRC_RE.match(text):
        raise ValueError(f"{value!r} is not an ISRC (CC-XXX-YY-NNNNN); leave it out unless it is verified")
    return text


def _parse_spotify_uri(value: object) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not _SPOTIFY_TRACK_URI_RE.match(text):
        raise ValueError(f"{value!r} is not a Spotify track URI (spotify:track:<22 characters>)")
    return text


def _parse_entry_id(value: object) -> str:
    if not isinstance(value, str) or not _SLUG_RE.match(value):
        raise ValueError(f"{value!r} must be lowercase letters, digits and dashes")
    return value
