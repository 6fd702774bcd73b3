"""Link a local or curated track to a Spotify track: by ISRC, or by artist, title and duration."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

import spotipy

from playlist_builder.model import Source, Track
from playlist_builder.spotify.importer import SEARCH_LIMIT, search_tracks, track_from_spotify
from playlist_builder.text import MatchingRules, artist_keys, name_key, split_credit

MatchStatus = Literal["matched", "ambiguous", "none"]

_SPACES = re.compile(r"\s+")


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


def _candidate(obj: dict[str, Any]) -> Candidate:
    track = track_from_spotify(obj)
    return Candidate(track.source_key, track.title, track.artist, track.album, track.duration_s, track.isrc)


def _unique(candidates: list[Candidate]) -> list[Candidate]:
    seen: dict[str, Candidate] = {}
    for candidate in candidates:
        seen.setdefault(candidate.uri, candidate)
    return list(seen.values())


def _quoted(value: str) -> str:
    """A field-filter value: quotes removed (they would end the phrase), spaces kept."""
    return '"' + _SPACES.sub(" ", value.replace('"', " ")).strip() + '"'


def match_by_isrc(client: spotipy.Spotify, track: Track, matching: MatchingRules) -> MatchResult | None:
    """Search `isrc:CODE`; None when Spotify has no track with that ISRC (try text next)."""
    if not track.isrc:
        return None
    isrc = track.isrc.strip().upper()
    results = search_tracks(client, f"isrc:{isrc}", SEARCH_LIMIT)
    same = _unique([c for c in map(_candidate, results) if (c.isrc or "").upper() == isrc])
    if not same:
        return None
    ours = track.duration_s
    fitting = [c for c in same if ours is None or matching.same_length(c.duration_s, ours)]
    if not fitting:
        return MatchResult(
            "ambiguous",
            candidates=tuple(same),
            method="isrc",
            reason=f"Spotify has ISRC {isrc}, but its length is off ours by over "
            f"{matching.duration_tolerance_s:g} s",
        )
    # One ISRC is one recording: releases that share it play the same audio, so the first is as good
    # as any. Spotify lists the original release first.
    return MatchResult("matched", fitting[0].uri, tuple(fitting), "isrc", f"same ISRC {isrc}")


def match_by_text(client: spotipy.Spotify, track: Track, matching: MatchingRules) -> MatchResult:
    """Search artist and title; accept only one recording whose length is within the tolerance."""
    ours = artist_keys(track.artist)
    title = name_key(track.title or "")
    if not ours or not title:
        return MatchResult("none", method="text", reason="needs both artist and title to search")
    # One artist of the credit: Spotify's search does not know our separators ("A + B", "A x B").
    first_artist = next(iter(split_credit(track.artist)), track.artist or "")
    query = f"track:{_quoted(track.title)} artist:{_quoted(first_artist)}"
    results = search_tracks(client, query, SEARCH_LIMIT)
    alike = _unique(
        [c for c in map(_candidate, results) if name_key(c.title) == title and ours & artist_keys(c.artist)]
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
    fitting = [c for c in alike if matching.same_length(c.duration_s, track.duration_s)]
    if not fitting:
        return MatchResult(
            "none",
            candidates=tuple(alike),
            method="text",
            reason="artist and title found, but no version within "
            f"{matching.duration_tolerance_s:g} s of our length",
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


def match_track(client: spotipy.Spotify, track: Track, matching: MatchingRules) -> MatchResult:
    """Find the Spotify track for a local or curated one; ambiguous results are reported, never guessed."""
    if track.spotify_uri:
        return MatchResult("matched", track.spotify_uri, method="linked", reason="already linked")
    if track.source is Source.SPOTIFY:
        return MatchResult("matched", track.source_key, method="linked", reason="a Spotify track")
    by_isrc = match_by_isrc(client, track, matching)
    if by_isrc is not None:
        return by_isrc
    return match_by_text(client, track, matching)
