"""Syncing a session to a private playlist: create, replace in order, verify, record, resume."""

from __future__ import annotations

from datetime import date

import pytest
import spotipy
from fake_spotify_api import FakeSpotify
from spotify_test_support import MATCHING

from playlist_builder.db.library import Library
from playlist_builder.errors import SpotifyError
from playlist_builder.model import Category, PlanItem, SessionPlan, Source, Track
from playlist_builder.services.spotify import sync_session
from playlist_builder.spotify.importer import track_from_spotify
from playlist_builder.spotify.sync import verify_order

TODAY = date(2026, 11, 23)


def make_session(
    library: Library, fake: FakeSpotify, spotify_count: int, *, local_titles: tuple[str, ...] = ()
) -> tuple[int, list[str]]:
    """A saved session of Spotify tracks (and some local files), in an order unlike insertion order."""
    objs = [
        fake.add_track(f"Stille {i} – ßü", "Ensemble Ö", duration_ms=180_000) for i in range(spotify_count)
    ]
    ids = library.upsert_tracks([track_from_spotify(o) for o in objs])
    root = library.add_root("/srv/musik")
    local_ids = library.upsert_tracks(
        [Track(Source.LOCAL, f"{t}.flac", t, artist="Lokal", duration_s=200.0) for t in local_titles],
        root_id=root,
    )
    order = list(reversed(ids))
    order[1:1] = local_ids  # local files early in the session
    uri_of = {i: o["uri"] for i, o in zip(ids, objs, strict=True)}
    items = tuple(
        PlanItem(
            position=pos,
            track_id=tid,
            phase="onset",
            start_s=pos * 180.0,
            duration_s=180.0,
            crossfade_in_s=6.0,
            crossfade_out_s=6.0,
            energy=0.3,
            category=Category.AMBIENT,
            reason="test",
        )
        for pos, tid in enumerate(order, start=1)
    )
    plan = SessionPlan(
        "iv-infusion", 45.0, 7, items, total_s=180.0 * len(items), patient_code="PX-0417", name="PX-0417 Tue"
    )
    session_id = library.save_session(plan)
    return session_id, [uri_of[t] for t in order if t in uri_of]


def test_first_sync_creates_a_private_playlist_in_session_order(
    library: Library, client: spotipy.Spotify, fake_spotify: FakeSpotify
) -> None:
    session_id, expected = make_session(library, fake_spotify, 130, local_titles=("Regen im Wald",))
    report = sync_session(library, client, session_id, today=TODAY)
    assert report.created and report.synced == 130
    playlist = fake_spotify.playlists[report.playlist_id]
    assert playlist["uris"] == expected
    assert playlist["public"] is False
    assert playlist["owner"] == "clinic-user"
    for text in (playlist["name"], playlist["description"]):
        assert "PX-0417" not in text and "Tue" not in text  # no patient data, not even the session name
    assert "iv-infusion" in playlist["description"] and "2026-11-23" in playlist["description"]
    assert "393 min" in playlist["description"]  # the session's planned length: 131 items × 3 min
    assert fake_spotify.calls("POST", "/v1/me/playlists")
    writes = [
        (c.method, len(c.body if isinstance(c.body, list) else c.body["uris"]))
        for c in fake_spotify.calls(path="/items")
        if c.method != "GET"
    ]
    assert writes == [("PUT", 100), ("POST", 30)]
    assert not fake_spotify.calls(path="/tracks") and not fake_spotify.calls(path="/users/")
    [left] = report.left_out
    assert left.title == "Regen im Wald" and left.position == 2 and "local file" in left.reason
    [record, created] = library.syncs(session_id, kind="spotify")
    assert record.external_id == report.playlist_id and record.snapshot == report.snapshot
    assert record.details["status"] == "complete" and record.details["left_out"] == [left.track_id]
    assert created.details["status"] == "created"
    assert created.details["marker"] in playlist["description"]  # found again after a lost reply


def test_description_uses_the_planned_length(
    library: Library, client: spotipy.Spotify, fake_spotify: FakeSpotify
) -> None:
    session_id, _ = make_session(library, fake_spotify, 3)
    report = sync_session(library, client, session_id, today=TODAY, name="Dienstag Ruhe", public=True)
    playlist = fake_spotify.playlists[report.playlist_id]
    assert playlist["name"] == "Dienstag Ruhe" and playlist["public"] is True
    assert "9 min" in playlist["description"]


def test_a_later_sync_replaces_the_items_of_the_same_playlist(
    library: Library, client: spotipy.Spotify, fake_spotify: FakeSpotify
) -> None:
    session_id, expected = make_session(library, fake_spotify, 12)
    first = sync_session(library, client, session_id, today=TODAY)
    stray = fake_spotify.add_track("Added by hand", "Someone")["uri"]
    fake_spotify.playlists[first.playlist_id]["uris"].insert(0, stray)
    second = sync_session(library, client, session_id, today=TODAY)
    assert second.playlist_id == first.playlist_id and not second.created
    assert fake_spotify.playlist_uris(first.playlist_id) == expected
    assert len(fake_spotify.playlists) == 1
    assert len(fake_spotify.calls("POST", "/v1/me/playlists")) == 1


def test_an_interrupted_sync_is_completed_by_running_it_again(
    library: Library, client: spotipy.Spotify, fake_spotify: FakeSpotify
) -> None:
    session_id, expected = make_session(library, fake_spotify, 150)
    fake_spotify.fail(503, method="POST", path="/items", times=100)
    with pytest.raises(SpotifyError, match="having trouble"):
        sync_session(library, client, session_id, today=TODAY)
    [playlist_id] = fake_spotify.playlists
    assert len(fake_spotify.playlist_uris(playlist_id)) == 100  # cut off after the first write
    fake_spotify.faults.clear()
    report = sync_session(library, client, session_id, today=TODAY)
    assert report.playlist_id == playlist_id and not report.created
    assert fake_spotify.playlist_uris(playlist_id) == expected
    assert len(fake_spotify.playlists) == 1


def test_a_playlist_deleted_on_spotify_is_made_again(
    library: Library, client: spotipy.Spotify, fake_spotify: FakeSpotify
) -> None:
    session_id, expected = make_session(library, fake_spotify, 4)
    first = sync_session(library, client, session_id, today=TODAY)
    del fake_spotify.playlists[first.playlist_id]
    second = sync_session(library, client, session_id, today=TODAY)
    assert second.created and second.playlist_id != first.playlist_id
    assert fake_spotify.playlist_uris(second.playlist_id) == expected


def test_strict_refuses_when_tracks_would_be_left_out(
    library: Library, client: spotipy.Spotify, fake_spotify: FakeSpotify
) -> None:
    session_id, _ = make_session(library, fake_spotify, 3, local_titles=("Meeresrauschen",))
    with pytest.raises(
        SpotifyError, match=r"1 of 4 session tracks have no Spotify match \(#2 Meeresrauschen\)"
    ):
        sync_session(library, client, session_id, strict=True, today=TODAY)
    assert not fake_spotify.playlists
    assert not library.syncs(session_id)


def test_match_links_local_tracks_before_syncing(
    library: Library, client: spotipy.Spotify, fake_spotify: FakeSpotify
) -> None:
    rain = fake_spotify.add_track("Regen", "Lokal", duration_ms=201_000)
    session_id, expected = make_session(library, fake_spotify, 2, local_titles=("Regen", "Wind"))
    report = sync_session(library, client, session_id, match=MATCHING, today=TODAY)
    assert report.linked_now == 1
    assert [i.title for i in report.left_out] == ["Wind"]
    assert fake_spotify.playlist_uris(report.playlist_id) == [expected[0], rain["uri"], *expected[1:]]


def test_a_session_with_no_spotify_tracks_is_refused(
    library: Library, client: spotipy.Spotify, fake_spotify: FakeSpotify
) -> None:
    session_id, _ = make_session(library, fake_spotify, 0, local_titles=("Nur lokal",))
    with pytest.raises(SpotifyError, match="nothing to sync"):
        sync_session(library, client, session_id, today=TODAY)


def test_verify_order_names_the_first_difference() -> None:
    verify_order(["a", "b"], ["a", "b"])
    with pytest.raises(SpotifyError, match="position 2"):
        verify_order(["a", "b", "c"], ["a", "c", "b"])
    with pytest.raises(SpotifyError, match="holds 1 tracks, the session 2"):
        verify_order(["a", "b"], ["a"])
