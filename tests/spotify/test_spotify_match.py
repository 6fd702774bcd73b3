"""Matching local or curated tracks to Spotify: ISRC first, then artist/title within ±3 s; never a guess."""

from __future__ import annotations

import spotipy
from fake_spotify_api import FakeSpotify
from spotify_test_support import MATCHING

from playlist_builder.db.library import Library
from playlist_builder.model import Source, Track
from playlist_builder.services.spotify import link_tracks
from playlist_builder.spotify.match import match_track
from playlist_builder.text import artist_keys as artist_names
from playlist_builder.text import name_key as normalise_title


def local(title: str, artist: str | None, duration_s: float | None, isrc: str | None = None) -> Track:
    return Track(
        Source.LOCAL, f"{artist}/{title}.flac", title, artist=artist, duration_s=duration_s, isrc=isrc
    )


def test_isrc_wins(client: spotipy.Spotify, fake_spotify: FakeSpotify) -> None:
    wanted = fake_spotify.add_track("Anything", "Whoever", duration_ms=301_000, isrc="USRC17607839")
    fake_spotify.add_track("Weightless", "Marconi Union", duration_ms=301_000)
    result = match_track(client, local("Weightless", "Marconi Union", 300.0, isrc="usrc17607839"), MATCHING)
    assert (result.status, result.uri, result.method) == ("matched", wanted["uri"], "isrc")
    assert fake_spotify.calls("GET", "/search")[0].query["q"] == "isrc:USRC17607839"


def test_one_isrc_on_two_releases_is_one_recording(
    client: spotipy.Spotify, fake_spotify: FakeSpotify
) -> None:
    first = fake_spotify.add_track(
        "Ambre", "Nils Frahm", album="Wintermusik", duration_ms=200_000, isrc="DEX261000001"
    )
    fake_spotify.add_track("Ambre", "Nils Frahm", album="Best of", duration_ms=201_000, isrc="DEX261000001")
    result = match_track(client, local("Ambre", "Nils Frahm", 200.5, isrc="DEX261000001"), MATCHING)
    assert result.status == "matched" and result.uri == first["uri"]
    assert len(result.candidates) == 2


def test_same_isrc_but_a_different_length_is_reported(
    client: spotipy.Spotify, fake_spotify: FakeSpotify
) -> None:
    fake_spotify.add_track("Ambre", "Nils Frahm", duration_ms=400_000, isrc="DEX261000001")
    result = match_track(client, local("Ambre", "Nils Frahm", 200.0, isrc="DEX261000001"), MATCHING)
    assert result.status == "ambiguous" and result.uri is None


def test_artist_title_and_length_within_three_seconds(
    client: spotipy.Spotify, fake_spotify: FakeSpotify
) -> None:
    hit = fake_spotify.add_track("Weightless (Part 1)", ["Marconi Union"], duration_ms=482_500)
    fake_spotify.add_track("Weightless - Radio Edit", ["Marconi Union"], duration_ms=215_000)
    result = match_track(client, local("Weightless", "Marconi Union", 480.0), MATCHING)
    assert (result.status, result.uri, result.method) == ("matched", hit["uri"], "text")


def test_outside_three_seconds_is_no_match(client: spotipy.Spotify, fake_spotify: FakeSpotify) -> None:
    fake_spotify.add_track("Weightless", "Marconi Union", duration_ms=484_000)
    result = match_track(client, local("Weightless", "Marconi Union", 480.0), MATCHING)
    assert result.status == "none" and result.candidates  # the near miss is shown, not taken


def test_two_recordings_that_fit_are_ambiguous(client: spotipy.Spotify, fake_spotify: FakeSpotify) -> None:
    fake_spotify.add_track("Clair de lune", "Claude Debussy", duration_ms=300_000, isrc="FRZ110000001")
    fake_spotify.add_track("Clair de lune", "Claude Debussy", duration_ms=301_000, isrc="GBZ110000002")
    result = match_track(client, local("Clair de lune", "Claude Debussy", 300.0), MATCHING)
    assert result.status == "ambiguous" and result.uri is None
    assert len(result.candidates) == 2
    assert "2 different recordings" in result.reason


def test_unknown_length_cannot_confirm(client: spotipy.Spotify, fake_spotify: FakeSpotify) -> None:
    fake_spotify.add_track("Rain", "Ryuichi Sakamoto")
    assert match_track(client, local("Rain", "Ryuichi Sakamoto", None), MATCHING).status == "ambiguous"


def test_nothing_found(client: spotipy.Spotify, fake_spotify: FakeSpotify) -> None:
    assert match_track(client, local("Ünbekannt", "Niemand", 100.0), MATCHING).status == "none"
    assert match_track(client, local("No artist", None, 100.0), MATCHING).status == "none"


def test_already_linked_tracks_cost_no_request(client: spotipy.Spotify, fake_spotify: FakeSpotify) -> None:
    track = Track(Source.CURATED, "list:1", "X", spotify_uri="spotify:track:T000000000000000000001")
    assert match_track(client, track, MATCHING).uri == "spotify:track:T000000000000000000001"
    assert not fake_spotify.calls()


def test_link_tracks_stores_only_unambiguous_links(
    library: Library, client: spotipy.Spotify, fake_spotify: FakeSpotify
) -> None:
    hit = fake_spotify.add_track("Für Alina", "Arvo Pärt", duration_ms=600_000, isrc="DEA110000009")
    fake_spotify.add_track("Spiegel im Spiegel", "Arvo Pärt", duration_ms=500_000, isrc="A1")
    fake_spotify.add_track("Spiegel im Spiegel", "Arvo Pärt", duration_ms=501_000, isrc="A2")
    root = library.add_root("/music")
    ids = library.upsert_tracks(
        [
            local("Für Alina", "Arvo Pärt", 601.0, isrc="DEA110000009"),
            local("Spiegel im Spiegel", "Arvo Pärt", 500.0),
        ],
        root_id=root,
    )
    results = link_tracks(library, client, [library.require_track(i) for i in ids], MATCHING)
    assert [r.status for _, r in results] == ["matched", "ambiguous"]
    assert library.require_track(ids[0]).spotify_uri == hit["uri"]
    assert library.require_track(ids[1]).spotify_uri is None


def test_normalisation() -> None:
    assert normalise_title("Weightless (Part 1) - Remastered 2011") == "weightless"
    assert normalise_title("Ａｍｂｒｅ!") == "ambre"
    assert artist_names("Nils Frahm & Ólafur Arnalds feat. Kiasmos") >= {
        "nils frahm",
        "olafur arnalds",
        "kiasmos",
    }


def test_a_collaboration_matches_whatever_separator_each_side_uses(
    client: spotipy.Spotify, fake_spotify: FakeSpotify
) -> None:
    """Our tag writes `+` and accents, Spotify lists the artists apart without them: one recording."""
    wanted = fake_spotify.add_track("Saman", ["Olafur Arnalds", "Nils Frahm"], duration_ms=250_000)
    result = match_track(client, local("Saman", "Ólafur Arnalds + Nils Frahm", 251.0), MATCHING)
    assert (result.status, result.uri) == ("matched", wanted["uri"])
