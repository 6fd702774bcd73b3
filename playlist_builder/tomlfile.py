"""Reading a TOML rules file with errors that name the file, the key and the line."""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playlist_builder.errors import ConfigError

KeyPath = tuple[str | int, ...]

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY = re.compile(r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_\-]+(?:\s*\.\s*[A-Za-z0-9_\-]+)*)\s*=""")
_TOML_POSITION = re.compile(r"\(at line (\d+), column \d+\)")


def _split_dotted(name: str) -> list[str]:
    """Split a TOML dotted key into its parts, unquoting quoted parts."""
    parts = re.findall(r'"[^"]*"|\'[^\']*\'|[^.\s]+', name)
    return [p[1:-1] if p[:1] in "\"'" else p for p in parts]


def locate_key(text: str, path: KeyPath) -> int | None:
    """The 1-based line where `path` (table names, array-of-table indexes, key) is defined, if found.

    Falls back to the line of the nearest enclosing table header.
    """
    table: list[str | int] = []
    array_counts: dict[tuple[str | int, ...], int] = {}
    best_line: int | None = None
    best_depth = -1
    target = tuple(path)
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            names = _split_dotted(header.group(2))
            table = _resolve_header(names, header.group(1) == "[[", table, array_counts)
            depth = _common_prefix(tuple(table), target)
            if depth == len(table) and depth > best_depth:
                best_line, best_depth = number, depth
            continue
        key = _KEY.match(line)
        if key:
            full = (*table, *_split_dotted(key.group(1)))
            if full == target:
                return number
            depth = _common_prefix(full, target)
            if depth == len(full) and depth > best_depth:
                best_line, best_depth = number, depth
    return best_line


def _resolve_header(
    names: list[str], is_array: bool, _current: list[str | int], counts: dict[tuple[str | int, ...], int]
) -> list[str | int]:
    """The key path a table header opens, with indexes for arrays of tables."""
    resolved: list[str | int] = []
    for name in names[:-1]:
        resolved.append(name)
        index = counts.get(tuple(resolved))
        if index is not None:
            resolved.append(index)
    resolved.append(names[-1])
    if is_array:
        key = tuple(resolved)
        counts[key] = counts.get(key, -1) + 1
        resolved.append(counts[key])
    return resolved


def _common_prefix(a: tuple[str | int, ...], b: tuple[str | int, ...]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def dotted(path: KeyPath) -> str:
    """A key path as people read it: `names.categories[2].weight`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out


@dataclass(frozen=True)
class TomlDoc:
    """A parsed TOML file with its text, so errors can point at lines."""

    path: Path
    text: str
    data: dict[str, Any]

    def error(self, path: KeyPath, message: str) -> ConfigError:
        """A ConfigError naming this file, the key and its line."""
        line = locate_key(self.text, path)
        where = f"{self.path}, line {line}" if line is not None else str(self.path)
        key = dotted(path)
        return ConfigError(f"{where}: `{key}` {message}" if key else f"{where}: {message}")

    def get(self, path: KeyPath, default: Any = ..., *, required: bool = True) -> Any:
        """The value at `path`; a missing required key is an error."""
        node: Any = self.data
        for part in path:
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                if default is not ...:
                    return default
                raise self.error(path, "is missing") from None
        return node

    def number(
        self, path: KeyPath, *, low: float | None = None, high: float | None = None, default: Any = ...
    ) -> float:
        """A finite number within [low, high] (TOML allows nan and inf; no rule means either)."""
        value = self.get(path, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(path, f"must be a number, not {value!r}")
        if not math.isfinite(value):
            raise self.error(path, f"must be a finite number, not {value!r}")
        if (low is not None and value < low) or (high is not None and value > high):
            raise self.error(path, f"must be between {low:g} and {high:g}, not {value!r}")
        return float(value)

    def weight(self, path: KeyPath, default: Any = ...) -> float:
        """A weight or probability in 0..1."""
        return self.number(path, low=0.0, high=1.0, default=default)

    def string(self, path: KeyPath, *, choices: Sequence[str] | None = None, default: Any = ...) -> str:
        """A non-empty string, optionally one of `choices`."""
        value = self.get(path, default)
        if not isinstance(value, str) or not value.strip():
            raise self.error(path, f"must be a non-empty string, not {value!r}")
        if choices is not None and value not in choices:
            raise self.error(path, f"must be one of {', '.join(choices)}, not {value!r}")
        return value

    def strings(self, path: KeyPath, *, default: Any = ..., allow_empty: bool = False) -> tuple[str, ...]:
        """A list of non-empty strings."""
        value = self.get(path, default)
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.error(path, "must be a list of non-empty strings")
        if not value and not allow_empty:
            raise self.error(path, "must not be empty")
        return tuple(value)

    def table(self, path: KeyPath, default: Any = ...) -> Mapping[str, Any]:
        """A table."""
        value = self.get(path, default)
        if not isinstance(value, dict):
            raise self.error(path, "must be a table")
        return value

    def tables(self, path: KeyPath, default: Any = ...) -> list[Mapping[str, Any]]:
        """An array of tables (`[[...]]`)."""
        value = self.get(path, default)
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.error(path, "must be an array of tables ([[...]])")
        return value

    def regex(self, path: KeyPath) -> re.Pattern[str]:
        """A regular expression, compiled case-insensitively."""
        source = self.string(path)
        try:
            return re.compile(source, re.IGNORECASE)
        except re.error as exc:
            raise self.error(path, f"is not a valid regular expression: {exc}") from None

    def only_keys(self, path: KeyPath, allowed: Sequence[str]) -> None:
        """Reject unknown keys in a table (usually typos that would otherwise be ignored silently)."""
        node = self.get(path) if path else self.data
        for key in node:
            if key not in allowed:
                raise self.error((*path, key), f"is not a known setting (known: {', '.join(allowed)})")


def read_toml(path: Path) -> TomlDoc:
    """Read and parse a TOML file; syntax errors name the file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: rules file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read rules file: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = _TOML_POSITION.search(message)
        where = f"{path}, line {match.group(1)}" if match else str(path)
        reason = _TOML_POSITION.sub("", message).strip()
        raise ConfigError(f"{where}: not valid TOML: {reason}") from None
    return TomlDoc(path=path, text=text, data=data)
