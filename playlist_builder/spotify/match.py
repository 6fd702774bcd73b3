"""Link a local or curated track to a Spotify track: by ISRC, or by artist, title and duration."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Literal

import spotipy

from playlist_builder.model import Source, Track
from playlist_builder.spotify.importer import SEARCH_LIMIT, search_tracks, track_from_spotify

# The same recording on two releases differs by a second or two at most (silence trimmed at the
# ends); a radio edit, a live take or a remix differs by more. ±3 s keeps the first and drops the rest.
DURATION_TOLERANCE_S = 3.0

MatchStatus = Literal["matched", "ambiguous", "none"]

_BRACKETS = re.compile(r"\s*[\(\[\{][^\)\]\}]*[\)\]\}]")
_VERSION_SUFFIX = re.compile(r"\s+-\s+.*$")  # "Title - Remastered 2011", "Title - Live"
_NON_WORD = re.compile(r"[^\w\s]+")
_SPACES = re.compile(r"\s+")
_ARTIST_SPLIT = re.compile(r"\s*(?:,|;|&|/|\bfeat\.?|\bft\.?|\bfeaturing\b|\band\b|\bx\b|\bwith\b)\s*", re.I)


@dataclass(frozen=True)
class Candidate:
    """A Spotify track considered for a match."""

    uri: str
    title: str
    artist: str | None
    album: str | None
    duration_s: float | None
    isrc: str | None


@dataclass(frozen=True)
class MatchResult:
    """The outcome: `matched` (with `uri`), `ambiguous` (see `candidates`), or `none`; `reason` says why."""

    status: MatchStatus
    uri: str | None = None
    candidates: tuple[Candidate, ...] = ()
    method: str = ""  # "isrc", "text" or "linked"
    reason: str = ""


def normalise_title(title: str) -> str:
    """A title for comparison: no brackets, version suffix, punctuation, case or accents variants."""
    text = unicodedata.normalize("NFKC", title).casefold()
    text = _BRACKETS.sub("", text)
    text = _VERSION_SUFFIX.sub("", text)
    text = _NON_WORD.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def artist_names(artist: str | None) -> set[str]:
    """The individual artists named in an artist string, normalised."""
    if not artist:
        return set()
    parts = _ARTIST_SPLIT.split(unicodedata.normalize("NFKC", artist))
    return {n for n in (_SPACES.sub(" ", _NON_WORD.sub(" ", p.casefold())).strip() for p in parts) if n}


def _candidate(obj: dict[str, Any]) -> Candidate:
    track = track_from_spotify(obj)
    return Candidate(track.source_key, track.title, track.artist, track.album, track.duration_s, track.isrc)


def _close_in_length(candidate: Candidate, duration_s: float | None) -> bool:
    return (
        duration_s is not None
        and candidate.duration_s is not None
        and abs(candidate.duration_s - duration_s) <= DURATION_TOLERANCE_S
    )


def _unique(candidates: list[Candidate]) -> list[Candidate]:
    seen: dict[str, Candidate] = {}
    for candidate in candidates:
        seen.setdefault(candidate.uri, candidate)
    return list(seen.values())


def _quoted(value: str) -> str:
    """A field-filter value: quotes removed (they would end the phrase), spaces kept."""
    return '"' + _SPACES.sub(" ", value.replace('"', " ")).strip() + '"'


def match_by_isrc(client: spotipy.Spotify, track: Track) -> MatchResult | None:
    """Search `isrc:CODE`; None when Spotify has no track with that ISRC (try text next)."""
    if not track.isrc:
        return None
    isrc = track.isrc.strip().upper()
    results = search_tracks(client, f"isrc:{isrc}", SEARCH_LIMIT)
    same = _unique([c for c in map(_candidate, results) if (c.isrc or "").upper() == isrc])
    if not same:
        return None
    fitting = [c for c in same if track.duration_s is None or _close_in_length(c, track.duration_s)]
    if not fitting:
        return MatchResult(
            "ambiguous",
            candidates=tuple(same),
            method="isrc",
            reason=f"Spotify has ISRC {isrc}, but its length is off ours by over {DURATION_TOLERANCE_S:g} s",
        )
    # One ISRC is one recording: releases that share it play the same audio, so the first is as good
    # as any. Spotify lists the original release first.
    return MatchResult("matched", fitting[0].uri, tuple(fitting), "isrc", f"same ISRC {isrc}")


def match_by_text(client: spotipy.Spotify, track: Track) -> MatchResult:
    """Search artist and title; accept only one recording whose length is within the tolerance."""
    ours = artist_names(track.artist)
    title = normalise_title(track.title or "")
    if not ours or not title:
        return MatchResult("none", method="text", reason="needs both artist and title to search")
    query = f"track:{_quoted(track.title)} artist:{_quoted(track.artist or '')}"
    results = search_tracks(client, query, SEARCH_LIMIT)
    alike = _unique(
        [
            c
            for c in map(_candidate, results)
            if normalise_title(c.title) == title and ours & artist_names(c.artist)
        ]
    )
    if not alike:
        return MatchResult("none", method="text", reason="no Spotify track with this artist and title")
    if track.duration_s is None:
        return MatchResult(
            "ambiguous",
            candidates=tuple(alike),
            method="text",
            reason="our length is unknown, so it cannot be confirmed",
        )
    fitting = [c for c in alike if _close_in_length(c, track.duration_s)]
    if not fitting:
        return MatchResult(
            "none",
            candidates=tuple(alike),
            method="text",
            reason=f"artist and title found, but no version within {DURATION_TOLERANCE_S:g} s of our length",
        )
    isrcs = {c.isrc for c in fitting}
    if len(fitting) == 1 or (len(isrcs) == 1 and None not in isrcs):
        return MatchResult(
            "matched", fitting[0].uri, tuple(fitting), "text", "artist, title and length agree"
        )
    return MatchResult(
        "ambiguous",
        candidates=tuple(fitting),
        method="text",
        reason=f"{len(fitting)} different recordings fit artist, title and length",
    )


def match_track(client: spotipy.Spotify, track: Track) -> MatchResult:
    """Find the Spotify track for a local or curated one; ambiguous results are reported, never guessed."""
    if track.spotify_uri:
        return MatchResult("matched", track.spotify_uri, method="linked", reason="already linked")
    if track.source is Source.SPOTIFY:
        return MatchResult("matched", track.source_key, method="linked", reason="a Spotify track")
    by_isrc = match_by_isrc(client, track)
    if by_isrc is not None:
        return by_isrc
    return match_by_text(client, track)
