"""LRCLIB and MusicBrainz look-ups: HTTP clients (session passed in) and what their answers mean.

Answers are reduced to a small payload before caching (no lyrics text is kept, only whether there is
any), and turned into Evidence by pure functions. A service that cannot be reached raises
`LookupServiceError`; the caller then treats it as unknown for the rest of the run.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests

from playlist_builder import HOMEPAGE, __version__
from playlist_builder.classify.rules import Rules
from playlist_builder.errors import LookupServiceError
from playlist_builder.model import Evidence, LyricsStatus, Track

USER_AGENT = f"playlist-builder/{__version__} ( {HOMEPAGE} )"
CONNECT_TIMEOUT_S = 3.0  # a host that does not answer at all is given up on quickly
MUSICBRAINZ_MIN_INTERVAL_S = 1.0  # MusicBrainz asks for at most one request per second
MUSICBRAINZ_MAX_RECORDINGS = 3  # one ISRC rarely maps to more; each costs a rate-limited request
MAX_BACKOFF_S = 4.0  # never wait longer than this for one retry
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

FOUND, NOT_FOUND, ERROR = "found", "not-found", "error"
INSTRUMENTAL, VOCAL, UNKNOWN = (
    s.value for s in (LyricsStatus.INSTRUMENTAL, LyricsStatus.VOCAL, LyricsStatus.UNKNOWN)
)


@dataclass(frozen=True)
class LookupAnswer:
    """A service's answer for one key: found (with a reduced payload), not found, or an error."""

    status: str
    payload: dict[str, Any] | None = None
    error: str | None = None


def new_http_session() -> requests.Session:
    """A requests session that identifies the tool (name, version, homepage) to every service."""
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    session.headers["Accept"] = "application/json"
    return session


class _Client:
    """Shared GET with short timeouts, bounded retries on 429/5xx, and a clear error when unreachable."""

    service = ""
    label = ""

    def __init__(
        self,
        http: requests.Session,
        base_url: str,
        *,
        timeout_s: float = 4.0,
        retries: int = 2,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.timeout = (min(CONNECT_TIMEOUT_S, timeout_s), timeout_s)
        self.retries = retries
        self.sleep = sleep

    def _before_request(self) -> None:
        """Hook for rate limiting."""

    def _get(self, path: str, params: Mapping[str, Any] | None = None) -> requests.Response:
        url = f"{self.base_url}{path}"
        for attempt in range(self.retries + 1):
            self._before_request()
            try:
                response = self.http.get(
                    url, params=params, timeout=self.timeout, headers={"User-Agent": USER_AGENT}
                )
            except requests.Timeout as exc:
                raise LookupServiceError(f"{self.label} did not answer in time ({self.base_url})") from exc
            except requests.RequestException as exc:
                reason = _short_reason(exc)
                raise LookupServiceError(
                    f"{self.label} cannot be reached ({self.base_url}): {reason}"
                ) from exc
            if response.status_code not in RETRY_STATUSES:
                return response
            if attempt < self.retries:
                self.sleep(_backoff(response, attempt))
        raise LookupServiceError(
            f"{self.label} is unavailable (HTTP {response.status_code} from {self.base_url})"
        )


def _short_reason(exc: Exception) -> str:
    """The gist of a network error ("Connection refused", "Name or service not known"), not its repr chain."""
    found = re.search(r"\[Errno -?\d+\] ([^'\")\]]+)", str(exc))
    return found.group(1).strip() if found else type(exc).__name__


def _backoff(response: requests.Response, attempt: int) -> float:
    """Seconds to wait before a retry: Retry-After if given, else 1, 2, 4 s (capped)."""
    header = response.headers.get("Retry-After", "")
    if header.strip().isdigit():
        return min(float(header), MAX_BACKOFF_S)
    return min(2.0**attempt, MAX_BACKOFF_S)


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


# --- LRCLIB ---------------------------------------------------------------------------------------------

_TIMESTAMP = re.compile(r"\[[^\]]*\]")
_PLACEHOLDER = re.compile(r"\binstrumental\b|♪|♫", re.IGNORECASE)


def words_in_lyrics(text: object) -> int:
    """How many words a lyrics text holds, ignoring LRC timestamps and 'instrumental' placeholders."""
    if not isinstance(text, str):
        return 0
    cleaned = _PLACEHOLDER.sub(" ", _TIMESTAMP.sub(" ", text))
    return len(re.findall(r"[^\W\d_]{2,}", cleaned))


class LrclibClient(_Client):
    """`GET {base}/api/get?artist_name=&track_name=&album_name=&duration=` on LRCLIB."""

    service = "lrclib"
    label = "LRCLIB"

    @staticmethod
    def key(track: Track) -> str | None:
        """The cache key of a track (None when artist or title is missing)."""
        if not track.artist or not track.title:
            return None
        duration = round(track.duration_s) if track.duration_s else ""
        parts = (
            track.artist.casefold(),
            track.title.casefold(),
            (track.album or "").casefold(),
            str(duration),
        )
        return "\x1f".join(parts)

    def fetch(self, track: Track) -> LookupAnswer:
        """Look a track up by artist, title, album and duration."""
        params: dict[str, Any] = {"artist_name": track.artist, "track_name": track.title}
        if track.album:
            params["album_name"] = track.album
        if track.duration_s:
            params["duration"] = round(track.duration_s)
        response = self._get("/api/get", params)
        if response.status_code == 404:
            return LookupAnswer(NOT_FOUND)
        if response.status_code != 200:
            return LookupAnswer(ERROR, error=f"HTTP {response.status_code}")
        return reduce_lrclib(_json(response))


def reduce_lrclib(data: Any) -> LookupAnswer:
    """Keep what matters of an LRCLIB record: its id, names, the instrumental flag and a word count."""
    if not isinstance(data, dict) or not isinstance(data.get("instrumental", False), bool):
        return LookupAnswer(ERROR, error="malformed answer")
    for name in ("plainLyrics", "syncedLyrics"):
        if data.get(name) is not None and not isinstance(data[name], str):
            return LookupAnswer(ERROR, error=f"malformed answer ({name})")
    words = max(words_in_lyrics(data.get("plainLyrics")), words_in_lyrics(data.get("syncedLyrics")))
    payload = {
        "id": data.get("id"),
        "trackName": data.get("trackName"),
        "artistName": data.get("artistName"),
        "duration": data.get("duration"),
        "instrumental": bool(data.get("instrumental", False)),
        "lyrics_words": words,
    }
    return LookupAnswer(FOUND, payload)


def lrclib_evidence(answer: LookupAnswer, rules: Rules) -> list[Evidence]:
    """What an LRCLIB answer says about lyrics (404 means unknown, never instrumental)."""
    weights = rules.lookups
    if answer.status == NOT_FOUND:
        return [Evidence("lrclib", "lyrics", UNKNOWN, 0.0, "no LRCLIB entry (unknown, not instrumental)")]
    if answer.status != FOUND or answer.payload is None:
        return [
            Evidence("lrclib", "lyrics", UNKNOWN, 0.0, f"LRCLIB answer unusable: {answer.error or 'error'}")
        ]
    entry = f"LRCLIB entry {answer.payload.get('id')}"
    words = int(answer.payload.get("lyrics_words") or 0)
    found: list[Evidence] = []
    if answer.payload.get("instrumental"):
        found.append(
            Evidence(
                "lrclib",
                "lyrics",
                INSTRUMENTAL,
                weights.lrclib_instrumental_weight,
                f"{entry} is marked instrumental",
            )
        )
    if words > 0:
        found.append(
            Evidence(
                "lrclib",
                "lyrics",
                VOCAL,
                weights.lrclib_lyrics_weight,
                f"{entry} has lyrics ({words} words)",
            )
        )
    elif not answer.payload.get("instrumental"):
        found.append(
            Evidence(
                "lrclib",
                "lyrics",
                INSTRUMENTAL,
                weights.lrclib_empty_lyrics_weight,
                f"{entry} has no lyrics text",
            )
        )
    return found


# --- MusicBrainz ----------------------------------------------------------------------------------------

NO_LINGUISTIC_CONTENT = "zxx"  # ISO 639 code MusicBrainz uses for works without lyrics
NOT_A_LANGUAGE = frozenset({NO_LINGUISTIC_CONTENT, "und", ""})
_ISRC = re.compile(r"^[A-Z]{2}[A-Z0-9]{3}\d{7}$")


def normalise_isrc(isrc: str | None) -> str | None:
    """An ISRC in canonical form (12 characters, upper case, no dashes), or None if it is not one."""
    if not isrc:
        return None
    text = re.sub(r"[\s-]", "", isrc).upper()
    return text if _ISRC.match(text) else None


class MusicBrainzClient(_Client):
    """ISRC -> recordings -> their works, at most one request per second, retrying 503."""

    service = "musicbrainz"
    label = "MusicBrainz"

    def __init__(self, *args: Any, clock: Callable[[], float] = time.monotonic, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.clock = clock
        self._last_request: float | None = None

    def _before_request(self) -> None:
        now = self.clock()
        if self._last_request is not None:
            wait = MUSICBRAINZ_MIN_INTERVAL_S - (now - self._last_request)
            if wait > 0:
                self.sleep(wait)
                now = self.clock()
        self._last_request = now

    @staticmethod
    def key(track: Track) -> str | None:
        """The cache key of a track (its ISRC), or None without a valid one."""
        return normalise_isrc(track.isrc)

    def fetch(self, track: Track) -> LookupAnswer:
        """The recordings of a track's ISRC with their work relations, reduced."""
        isrc = normalise_isrc(track.isrc)
        if isrc is None:
            return LookupAnswer(NOT_FOUND)
        response = self._get(f"/ws/2/isrc/{isrc}", {"fmt": "json"})
        if response.status_code in (400, 404):
            return LookupAnswer(NOT_FOUND)
        if response.status_code != 200:
            return LookupAnswer(ERROR, error=f"HTTP {response.status_code}")
        data = _json(response)
        if not isinstance(data, dict) or not isinstance(data.get("recordings"), list):
            return LookupAnswer(ERROR, error="malformed ISRC answer")
        recordings = []
        for item in data["recordings"][:MUSICBRAINZ_MAX_RECORDINGS]:
            if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                return LookupAnswer(ERROR, error="malformed ISRC answer (recording)")
            detail = self._get(
                f"/ws/2/recording/{item['id']}",
                {"inc": "work-rels+work-level-rels+artist-rels", "fmt": "json"},
            )
            if detail.status_code == 404:
                continue
            if detail.status_code != 200:
                return LookupAnswer(ERROR, error=f"HTTP {detail.status_code} for recording {item['id']}")
            reduced = reduce_recording(_json(detail))
            if reduced is None:
                return LookupAnswer(ERROR, error=f"malformed recording answer ({item['id']})")
            recordings.append(reduced)
        if not recordings:
            return LookupAnswer(NOT_FOUND)
        return LookupAnswer(FOUND, {"isrc": isrc, "recordings": recordings})


def reduce_recording(data: Any) -> dict[str, Any] | None:
    """Keep a recording's id, title and, per performed work, the attributes, language and lyricists."""
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        return None
    relations = data.get("relations", [])
    if not isinstance(relations, list):
        return None
    works = []
    for relation in relations:
        if not isinstance(relation, dict) or relation.get("type") != "performance":
            continue
        work = relation.get("work")
        attributes = relation.get("attributes") or []
        if not isinstance(work, dict) or not isinstance(attributes, list):
            return None
        languages = [work.get("language"), *(work.get("languages") or [])]
        work_relations = work.get("relations") or []
        lyricist = any(
            isinstance(r, dict) and r.get("type") in ("lyricist", "librettist") for r in work_relations
        )
        works.append(
            {
                "id": work.get("id"),
                "title": work.get("title"),
                "attributes": sorted(str(a) for a in attributes),
                "languages": sorted({str(lang) for lang in languages if lang}),
                "lyricist": lyricist,
            }
        )
    return {"id": data["id"], "title": data.get("title"), "works": works}


def musicbrainz_evidence(answer: LookupAnswer, rules: Rules) -> list[Evidence]:
    """What MusicBrainz says: instrumental performance or a `zxx` work -> instrumental; lyricist or a
    lyrics language on a performance not marked instrumental -> vocal."""
    weights = rules.lookups
    if answer.status == NOT_FOUND:
        return [Evidence("musicbrainz", "lyrics", UNKNOWN, 0.0, "ISRC not in MusicBrainz (unknown)")]
    if answer.status != FOUND or answer.payload is None:
        return [
            Evidence("musicbrainz", "lyrics", UNKNOWN, 0.0, f"MusicBrainz answer unusable: {answer.error}")
        ]
    found: list[Evidence] = []
    for recording in answer.payload.get("recordings", []):
        for work in recording.get("works", []):
            title = work.get("title") or work.get("id")
            languages = set(work.get("languages", []))
            if "instrumental" in work.get("attributes", []):
                found.append(
                    Evidence(
                        "musicbrainz",
                        "lyrics",
                        INSTRUMENTAL,
                        weights.musicbrainz_instrumental_weight,
                        f"recording {recording['id']} is an instrumental performance of {title!r}",
                    )
                )
                continue
            if NO_LINGUISTIC_CONTENT in languages:
                found.append(
                    Evidence(
                        "musicbrainz",
                        "lyrics",
                        INSTRUMENTAL,
                        weights.musicbrainz_no_lyrics_language_weight,
                        f"work {title!r} has no lyrics (language zxx)",
                    )
                )
            sung = sorted(languages - NOT_A_LANGUAGE)
            if sung or work.get("lyricist"):
                why = f"lyrics in {', '.join(sung)}" if sung else "a lyricist"
                found.append(
                    Evidence(
                        "musicbrainz",
                        "lyrics",
                        VOCAL,
                        weights.musicbrainz_lyrics_weight,
                        f"work {title!r} has {why}",
                    )
                )
    if not found:
        found.append(Evidence("musicbrainz", "lyrics", UNKNOWN, 0.0, "recording found, nothing about lyrics"))
    return found
