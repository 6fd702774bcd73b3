"""Fixtures for curated-library tests: small library files in a temp folder and local tracks in a Library."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from playlist_builder.config import Settings
from playlist_builder.db.library import Library
from playlist_builder.model import Source, Track

ENTRY_DEFAULTS: dict[str, Any] = {
    "category": "minimal",
    "lyrics": "none",
    "phases": ["deep"],
    "note": "Test entry.",
}


def _toml_value(value: Any) -> str:
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return str(value)


def library_text(name: str, entries: list[dict[str, Any]], *, description: str = "Test library.") -> str:
    """TOML text of a library; entries get the defaults above unless a key is given (None drops a key)."""
    lines = ["[library]", f'name = "{name}"', f'description = "{description}"', ""]
    for entry in entries:
        lines.append("[[entries]]")
        for key, value in {**ENTRY_DEFAULTS, **entry}.items():
            if value is not None:
                lines.append(f"{key} = {_toml_value(value)}")
        lines.append("")
    return "\n".join(lines)


@pytest.fixture
def libraries_dir(tmp_path: Path) -> Path:
    """An empty folder for library files."""
    folder = tmp_path / "libraries"
    folder.mkdir()
    return folder


@pytest.fixture
def write_library(libraries_dir: Path) -> Callable[..., Path]:
    """Write `<name>.toml` into the temp libraries folder."""

    def write(name: str, entries: list[dict[str, Any]], **kwargs: Any) -> Path:
        path = libraries_dir / f"{name}.toml"
        path.write_text(library_text(name, entries, **kwargs), encoding="utf-8")
        return path

    return write


@pytest.fixture
def curated_settings(settings: Settings, libraries_dir: Path) -> Settings:
    """Test settings whose libraries dir is the temp folder."""
    return settings.with_overrides(libraries_dir=libraries_dir)


@pytest.fixture
def add_local(library: Library, tmp_path: Path) -> Callable[..., Track]:
    """Add one local track row (no file needed: linking reads tags and lengths only)."""
    root = tmp_path / "music"
    root.mkdir(exist_ok=True)
    root_id = library.add_root(str(root))

    def add(
        title: str, artist: str | None, duration_s: float | None, *, key: str | None = None, **tags: Any
    ) -> Track:
        source_key = key or f"{artist or 'unknown'} - {title} ({duration_s}).flac"
        track = Track(
            source=Source.LOCAL,
            source_key=source_key,
            title=title,
            artist=artist,
            duration_s=duration_s,
            **tags,
        )
        (track_id,) = library.upsert_tracks([track], root_id)
        return library.require_track(track_id)

    return add
