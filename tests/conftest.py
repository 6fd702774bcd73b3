"""Shared fixtures: temp home, an opened Library (SQLite, or PostgreSQL when asked), a CLI runner."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from playlist_builder.config import Settings, load_settings, sqlite_url
from playlist_builder.db.library import Library

PG_URL_ENV = "PLAYLIST_BUILDER_TEST_PG"
REPO_ROOT = Path(__file__).resolve().parent.parent


def _db_params() -> list[object]:
    """SQLite always; PostgreSQL shows as skipped (not absent) when no server is configured."""
    no_server = pytest.mark.skipif(
        not os.environ.get(PG_URL_ENV), reason=f"no PostgreSQL server: set {PG_URL_ENV} to a server URL"
    )
    return ["sqlite", pytest.param("postgresql", marks=no_server)]


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point HOME, the data dir and every service URL away from the real machine and network."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("PLAYLIST_BUILDER_DATA_DIR", str(home / "data"))
    for name in list(os.environ):
        if name.startswith("PLAYLIST_BUILDER_") and name not in ("PLAYLIST_BUILDER_DATA_DIR", PG_URL_ENV):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("SPOTIFY_CLIENT_ID", raising=False)
    # Nothing in the suite may reach the internet: unroutable defaults for every online service.
    monkeypatch.setenv("PLAYLIST_BUILDER_LRCLIB_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("PLAYLIST_BUILDER_MUSICBRAINZ_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("PLAYLIST_BUILDER_SPOTIFY_API_URL", "http://127.0.0.1:9/v1/")
    monkeypatch.setenv("PLAYLIST_BUILDER_SPOTIFY_ACCOUNTS_URL", "http://127.0.0.1:9")
    return home


def _postgres_database(base_url: str) -> Iterator[str]:
    """A fresh, uniquely named database on the test PostgreSQL server, dropped afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from playlist_builder.db.library import normalise_db_url

    admin_url = make_url(normalise_db_url(base_url))
    name = f"pb_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=_db_params())
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database URL: SQLite always; also PostgreSQL when PLAYLIST_BUILDER_TEST_PG holds a server URL."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "library.sqlite3")
    else:
        yield from _postgres_database(os.environ[PG_URL_ENV])


@pytest.fixture
def settings(isolated_home: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings with a temp data dir and the test database (also exported for CLI runs).

    The database exists already (as after a clinic's first command), so a command's output is
    not preceded by the one-time "created a new library" note.
    """
    monkeypatch.setenv("PLAYLIST_BUILDER_DB", db_url)
    Library.open(db_url).close()
    return load_settings()


@pytest.fixture
def library(settings: Settings) -> Iterator[Library]:
    """An opened, migrated Library on the test database."""
    lib = Library.open(settings.db_url)
    yield lib
    lib.close()


@pytest.fixture
def runner() -> CliRunner:
    """A click CliRunner (stderr kept apart from stdout)."""
    return CliRunner()


def write_tone(
    path: Path,
    *,
    seconds: float = 1.0,
    rate: int = 22050,
    freq: float = 220.0,
    channels: int = 1,
    amplitude: float = 0.2,
    **kwargs: object,
) -> Path:
    """Write a short sine tone in the format the suffix names (wav, flac, ogg, mp3)."""
    t = np.arange(int(seconds * rate)) / rate
    mono = (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    data = np.repeat(mono[:, None], channels, axis=1) if channels > 1 else mono
    return make_wav(path, data, rate, **kwargs)


def make_wav(path: Path, samples: np.ndarray, rate: int, **kwargs: object) -> Path:
    """Write samples with soundfile; the format follows the file suffix (wav, flac, ogg, mp3)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    fmt = {".wav": "WAV", ".flac": "FLAC", ".ogg": "OGG", ".mp3": "MP3", ".aiff": "AIFF", ".aif": "AIFF"}[
        suffix
    ]
    subtype = {"OGG": "VORBIS", "MP3": "MPEG_LAYER_III", "FLAC": "PCM_16", "WAV": "PCM_16", "AIFF": "PCM_16"}[
        fmt
    ]
    sf.write(str(path), samples, rate, format=fmt, subtype=kwargs.pop("subtype", subtype))  # type: ignore[arg-type]
    return path


@pytest.fixture(name="make_wav")
def make_wav_fixture() -> object:
    """The `make_wav(path, samples, rate)` helper as a fixture."""
    return make_wav


@pytest.fixture(name="write_tone")
def write_tone_fixture() -> object:
    """The `write_tone(path, ...)` helper as a fixture."""
    return write_tone
