"""Importing playlists, saved tracks and search results into the library (paged, idempotent)."""

from __future__ import annotations

import pytest
import spotipy
from fake_spotify_api import FakeSpotify

from playlist_builder.db.library import Library
from playlist_builder.errors import InputError, SpotifyError
from playlist_builder.model import Source
from playlist_builder.services.spotify import import_tracks
from playlist_builder.spotify.importer import parse_playlist_id


def seed(fake: FakeSpotify, count: int) -> list[str]:
    return [
        fake.add_track(
            f"Drift Nº{i} — Ölbaum",
            ["Ångström Ensemble", "Zoë Kim"],
            duration_ms=240_000 + i,
            isrc=f"gbaaa26{i:05d}",
        )["uri"]
        for i in range(count)
    ]


def test_a_playlist_is_read_50_a_page_and_stored_with_its_metadata(
    library: Library, client: spotipy.Spotify, fake_spotify: FakeSpotify
) -> None:
    uris = seed(fake_spotify, 120)
    playlist_id = fake_spotify.add_playlist("Calm", uris)
    [report] = import_tracks(
        library, client, playlist=f"https://open.spotify.com/intl-de/playlist/{playlist_id}?si=x"
    )
    assert (report.new, report.updated, len(report.track_ids)) == (120, 0, 120)
    pages = fake_spotify.calls("GET", f"/playlists/{playlist_id}/items")
    assert [p.query["offset"] for p in pages] == ["0", "50", "100"]
    assert all(p.query["limit"] == "50" for p in pages)
    assert not fake_spotify.calls(path="/tracks")  # no removed endpoint, no batch look-ups

    track = library.find_track(Source.SPOTIFY, uris[7])
    assert track is not None
    assert track.title == "Drift Nº7 — Ölbaum"
    assert track.artist == "Ångström Ensemble, Zoë Kim"
    assert track.album == "Album" and track.album_artist == "Ångström Ensemble"
    assert track.duration_s == pytest.approx(240.007)
    assert track.isrc == "GBAAA2600007"
    assert track.explicit is False
    assert track.spotify_uri == uris[7]


def test_next_links_are_followed_through_the_configured_base_url(
    library: Library, client: spotipy.Spotify, fake_spotify: FakeSpotify
) -> None:
    # Spotify writes its own host into `next`; a clinic proxy (here: the fake) must still get every page.
    fake_spotify.link_base = "http://127.0.0.1:9/v1/"
    playlist_id = fake_spotify.add_playlist("Calm", seed(fake_spotify, 75))
    [report] = import_tracks(library, client, playlist=playlist_id)
    assert report.new == 75
    assert len(fake_spotify.calls("GET", f"/playlists/{playlist_id}/items")) == 2


def test_re_importing_changes_nothing(
    library: Library, client: spotipy.Spotify, fake_spotify: FakeSpotify
) -> None:
    playlist_id = fake_spotify.add_playlist("Calm", seed(fake_spotify, 60))
    [first] = import_tracks(library, client, playlist=playlist_id)
    [again] = import_tracks(library, client, playlist=f"spotify:playlist:{playlist_id}")
    assert again.track_ids == first.track_ids
    assert (again.new, again.updated) == (0, 60)
    assert len(library.list_tracks(source=Source.SPOTIFY)) == 60


@pytest.mark.parametrize("keys", [("item",), ("track",), ("item", "track")])
def test_both_the_new_item_and_the_old_track_field_are_read(
    library: Library, client: spotipy.Spotify, fake_spotify: FakeSpotify, keys: tuple[str, ...]
) -> None:
    fake_spotify.entry_keys = keys
    playlist_id = fake_spotify.add_playlist("Calm", seed(fake_spotify, 3))
    [report] = import_tracks(library, client, playlist=playlist_id)
    assert report.new == 3


def test_local_files_episodes_and_duplicates_are_passed_over(
    library: Library, client: spotipy.Spotify, fake_spotify: FakeSpotify
) -> None:
    uris = seed(fake_spotify, 2)
    odd = ["spotify:local:Someone:Demo:Rain+Loop:200", "spotify:episode:E0000000000000000000001"]
    playlist_id = fake_spotify.add_playlist("Mixed", [uris[0], *odd, uris[1], uris[0]])
    [report] = import_tracks(library, client, playlist=playlist_id)
    assert report.new == 2
    assert len(report.skipped) == 2
    assert "local file" in report.skipped[0] and "episode" in report.skipped[1]


def test_saved_tracks_are_imported(
    library: Library, client: spotipy.Spotify, fake_spotify: FakeSpotify
) -> None:
    fake_spotify.saved = seed(fake_spotify, 55)
    [report] = import_tracks(library, client, saved=True)
    assert report.new == 55
    assert [c.query["limit"] for c in fake_spotify.calls("GET", "/me/tracks")] == ["50", "50"]


def test_search_asks_ten_at_a_time(
    library: Library, client: spotipy.Spotify, fake_spotify: FakeSpotify
) -> None:
    for i in range(30):
        fake_spotify.add_track(f"Weightless {i}", "Marconi Union")
    fake_spotify.add_track("Something else", "Other")
    [report] = import_tracks(library, client, search="weightless", search_limit=25)
    assert report.new == 25
    calls = fake_spotify.calls("GET", "/search")
    assert [(c.query["limit"], c.query["offset"]) for c in calls] == [("10", "0"), ("10", "10"), ("5", "20")]


def test_a_failure_halfway_leaves_the_library_as_it_was(
    library: Library, client: spotipy.Spotify, fake_spotify: FakeSpotify
) -> None:
    import_tracks(library, client, playlist=fake_spotify.add_playlist("Before", seed(fake_spotify, 5)))
    before = library.list_tracks(source=Source.SPOTIFY)
    big = fake_spotify.add_playlist("Big", seed(fake_spotify, 120))
    fake_spotify.fail(503, path=f"/playlists/{big}/items", query={"offset": "50"}, times=100)
    with pytest.raises(SpotifyError, match="having trouble"):
        import_tracks(library, client, playlist=big)
    assert len(fake_spotify.calls("GET", f"/playlists/{big}/items")) > 1  # the first page came through
    assert library.list_tracks(source=Source.SPOTIFY) == before


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://open.spotify.com/playlist/37i9dQZF1DX4sWSpwq3LiO", "37i9dQZF1DX4sWSpwq3LiO"),
        ("open.spotify.com/intl-de/playlist/37i9dQZF1DX4sWSpwq3LiO?si=abc", "37i9dQZF1DX4sWSpwq3LiO"),
        ("spotify:playlist:37i9dQZF1DX4sWSpwq3LiO", "37i9dQZF1DX4sWSpwq3LiO"),
        ("spotify:user:someone:playlist:37i9dQZF1DX4sWSpwq3LiO", "37i9dQZF1DX4sWSpwq3LiO"),
        (" 37i9dQZF1DX4sWSpwq3LiO ", "37i9dQZF1DX4sWSpwq3LiO"),
    ],
)
def test_playlist_references(text: str, expected: str) -> None:
    assert parse_playlist_id(text) == expected


@pytest.mark.parametrize(
    "text", ["", "https://open.spotify.com/album/37i9dQZF1DX4sWSpwq3LiO", "calm music", "abc"]
)
def test_bad_playlist_references_are_input_errors(text: str) -> None:
    with pytest.raises(InputError):
        parse_playlist_id(text)


def test_import_needs_a_source(library: Library, client: spotipy.Spotify) -> None:
    with pytest.raises(InputError, match="--playlist"):
        import_tracks(library, client)
