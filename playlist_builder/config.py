"""Settings: database URL, data dir, rules and libraries dirs, service URLs (env `PLAYLIST_BUILDER_*`)."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import platformdirs

from playlist_builder.errors import ConfigError

APP_NAME = "playlist-builder"
ENV_PREFIX = "PLAYLIST_BUILDER_"

_PACKAGE_DIR = Path(__file__).resolve().parent
# In a source checkout (editable install) rules/ and libraries/ sit beside the package;
# a built wheel carries copies under playlist_builder/_data/.
_SOURCE_ROOT = _PACKAGE_DIR.parent

DEFAULT_LRCLIB_URL = "https://lrclib.net"
DEFAULT_MUSICBRAINZ_URL = "https://musicbrainz.org"
DEFAULT_SPOTIFY_API_URL = "https://api.spotify.com/v1/"
DEFAULT_SPOTIFY_ACCOUNTS_URL = "https://accounts.spotify.com"
DEFAULT_SPOTIFY_REDIRECT_PORT = 8765
DEFAULT_DB_NAME = "library.sqlite3"  # in the data dir, unless PLAYLIST_BUILDER_DB or --db says otherwise


def _shipped_dir(name: str) -> Path:
    """Find a data folder shipped with the tool (source checkout first, then the wheel copy)."""
    for candidate in (_SOURCE_ROOT / name, _PACKAGE_DIR / "_data" / name):
        if candidate.is_dir():
            return candidate
    return _SOURCE_ROOT / name


@dataclass(frozen=True)
class Settings:
    """Everything configurable, resolved once at start-up and passed down explicitly."""

    data_dir: Path
    db_url: str
    rules_dir: Path
    libraries_dir: Path
    lrclib_url: str = DEFAULT_LRCLIB_URL
    musicbrainz_url: str = DEFAULT_MUSICBRAINZ_URL
    spotify_api_url: str = DEFAULT_SPOTIFY_API_URL
    spotify_accounts_url: str = DEFAULT_SPOTIFY_ACCOUNTS_URL
    spotify_token: str | None = None
    spotify_client_id: str | None = None
    spotify_redirect_port: int = DEFAULT_SPOTIFY_REDIRECT_PORT
    # Longest total wait for Spotify's rate limits and retries in one command (None: the client's own).
    spotify_max_wait_s: float | None = None
    offline: bool = False

    @property
    def arcs_dir(self) -> Path:
        """Folder of session arc templates."""
        return self.rules_dir / "arcs"

    @property
    def token_cache_path(self) -> Path:
        """Where the Spotify sign-in is cached (mode 0600)."""
        return self.data_dir / "spotify-token.json"

    def with_overrides(self, **changes: object) -> Settings:
        """A copy with some values replaced (for command-line options)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def sqlite_url(path: Path) -> str:
    """SQLAlchemy URL of a SQLite file."""
    return f"sqlite:///{path}"


def _seconds(name: str, value: str | None) -> float | None:
    """A number of seconds from the environment (finite, not negative); None when unset."""
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds < 0:
        raise ConfigError(f"{name} must be a number of seconds (0 or more), not {value!r}")
    return seconds


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Resolve settings from the environment, falling back to per-user defaults."""
    env = os.environ if environ is None else environ

    def get(name: str) -> str | None:
        value = env.get(ENV_PREFIX + name)
        return value if value else None

    data_dir = Path(get("DATA_DIR") or platformdirs.user_data_dir(APP_NAME, appauthor=False))
    port = get("SPOTIFY_REDIRECT_PORT")
    return Settings(
        data_dir=data_dir,
        db_url=get("DB") or sqlite_url(data_dir / DEFAULT_DB_NAME),
        rules_dir=Path(get("RULES_DIR") or _shipped_dir("rules")),
        libraries_dir=Path(get("LIBRARIES_DIR") or _shipped_dir("libraries")),
        lrclib_url=get("LRCLIB_URL") or DEFAULT_LRCLIB_URL,
        musicbrainz_url=get("MUSICBRAINZ_URL") or DEFAULT_MUSICBRAINZ_URL,
        spotify_api_url=get("SPOTIFY_API_URL") or DEFAULT_SPOTIFY_API_URL,
        spotify_accounts_url=get("SPOTIFY_ACCOUNTS_URL") or DEFAULT_SPOTIFY_ACCOUNTS_URL,
        spotify_token=get("SPOTIFY_TOKEN"),
        spotify_client_id=get("SPOTIFY_CLIENT_ID") or env.get("SPOTIFY_CLIENT_ID") or None,
        spotify_redirect_port=int(port) if port and port.isdigit() else DEFAULT_SPOTIFY_REDIRECT_PORT,
        spotify_max_wait_s=_seconds(ENV_PREFIX + "SPOTIFY_MAX_WAIT_S", get("SPOTIFY_MAX_WAIT_S")),
        offline=(get("OFFLINE") or "").lower() in ("1", "true", "yes"),
    )
