"""Importing curated libraries: rows, links to local files and Spotify, re-import, reporting."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from playlist_builder.config import Settings
from playlist_builder.db.curated import curated_rows_by_linked_track, curated_tracks
from playlist_builder.db.library import Library
from playlist_builder.errors import SpotifyAuthError
from playlist_builder.model import Category, Source, Track
from playlist_builder.services.curated import LinkStatus, import_curated
from playlist_builder.text import artist_keys
from playlist_builder.text import name_key as normalise_name

ALINA = {
    "title": "Für Alina",
    "artist": "Arvo Pärt",
    "duration": "10:47",
    "artist_aliases": ["Alexander Malter"],
}
OCEAN = {
    "title": "Pacific Ocean",
    "artist": "Environments",
    "duration": "30:00",
    "category": "nature",
    "artist_aliases": ["Irv Teibel"],
}


def test_names_are_normalised_for_comparison() -> None:
    assert normalise_name("Für Alina (Remastered 2004)") == normalise_name("FUR ALINA")
    assert normalise_name("An Ending (Ascent) - 2005 Digital Remaster") == "an ending"
    assert normalise_name("Gymnopédie No.1") == normalise_name("gymnopedie no. 1")
    assert normalise_name("Unter - Tristana - Ambre") == "unter tristana ambre"  # a dash inside a title stays
    assert artist_keys("Harold Budd & Brian Eno") >= {"harold budd", "brian eno", "harold budd brian eno"}
    assert "arvo part" in artist_keys("Arvo Pärt, Vladimir Spivakov")


def test_import_creates_trusted_curated_rows(
    library: Library, curated_settings: Settings, write_library: Callable[..., Path]
) -> None:
    write_library("calm", [ALINA, OCEAN])
    result = import_curated(library, curated_settings)
    assert result.libraries == ("calm",) and result.entries == 2 and result.added == 2 and result.updated == 0
    rows = {t.source_key: t for t in curated_tracks(library)}
    alina = rows["calm/arvo-part-fur-alina"]
    assert alina.source is Source.CURATED and alina.curated_category is Category.MINIMAL
    assert alina.curated_library == "calm" and alina.duration_s == 647 and alina.title == "Für Alina"
    assert rows["calm/environments-pacific-ocean"].curated_category is Category.NATURE
    assert len(result.unmatched) == 2 and all(o.local_status is LinkStatus.NOT_FOUND for o in result.outcomes)
    assert result.to_dict()["unmatched"] == 2


def test_entry_links_to_the_local_file_with_the_same_names_and_length(
    library: Library,
    curated_settings: Settings,
    write_library: Callable[..., Path],
    add_local: Callable[..., Track],
) -> None:
    write_library("calm", [ALINA, OCEAN])
    alina_file = add_local("FUR ALINA (Remastered)", "Alexander Malter", 647 + 2.5)
    add_local("Für Alina", "Arvo Pärt", 647 + 9)  # another performance: too long by 9 s
    add_local("Pacific Ocean", "Environments", 1800 + 3.5)  # just outside ±3 s
    result = import_curated(library, curated_settings)
    by_entry = {o.entry_id: o for o in result.outcomes}
    alina = by_entry["arvo-part-fur-alina"]
    assert alina.local_status is LinkStatus.LINKED and alina.local_track_id == alina_file.id
    assert alina.local_path == alina_file.path
    assert library.require_track(alina.track_id).linked_track_id == alina_file.id
    ocean = by_entry["environments-pacific-ocean"]
    assert ocean.local_status is LinkStatus.NEAR_MISS and ocean.local_track_id is None
    assert "4 s longer" in ocean.local_detail and "correct the library's duration" in ocean.local_detail
    assert [o.entry_id for o in result.unmatched] == ["environments-pacific-ocean"]
    assert curated_rows_by_linked_track(library)[alina_file.id][0].title == "Für Alina"


def test_artist_may_match_album_artist_composer_or_alias(
    library: Library,
    curated_settings: Settings,
    write_library: Callable[..., Path],
    add_local: Callable[..., Track],
) -> None:
    write_library("calm", [dict(OCEAN, title="Caribbean Lagoon"), dict(ALINA, composer="Arvo Pärt")])
    lagoon = add_local("Caribbean Lagoon", "Irv Teibel", 1799.0)
    alina = add_local("Für Alina", "Someone Else", 647.0, composer="Arvo Part")
    add_local("Caribbean Lagoon", "A Different Artist", 1800.0)  # same title, unrelated artist: ignored
    result = import_curated(library, curated_settings)
    linked = {o.title: o.local_track_id for o in result.linked_local}
    assert linked == {"Caribbean Lagoon": lagoon.id, "Für Alina": alina.id}


def test_two_fitting_files_are_ambiguous_and_not_linked(
    library: Library,
    curated_settings: Settings,
    write_library: Callable[..., Path],
    add_local: Callable[..., Track],
) -> None:
    write_library("calm", [ALINA])
    add_local("Für Alina", "Arvo Pärt", 646.0, key="cd1/fur-alina.flac")
    add_local("Für Alina", "Arvo Pärt", 648.0, key="cd2/fur-alina.flac")
    (outcome,) = import_curated(library, curated_settings).outcomes
    assert outcome.local_status is LinkStatus.AMBIGUOUS and outcome.local_track_id is None
    assert "cd1/fur-alina.flac" in outcome.local_detail and "cd2/fur-alina.flac" in outcome.local_detail
    assert library.require_track(outcome.track_id).linked_track_id is None


def test_missing_or_unreadable_files_are_not_linked(
    library: Library,
    curated_settings: Settings,
    write_library: Callable[..., Path],
    add_local: Callable[..., Track],
) -> None:
    write_library("calm", [ALINA])
    gone = add_local("Für Alina", "Arvo Pärt", 647.0, key="gone.flac")
    library.set_missing([gone.id], True)
    add_local("Für Alina", "Arvo Pärt", 647.0, key="broken.flac", scan_error="cannot read tags")
    (outcome,) = import_curated(library, curated_settings).outcomes
    assert outcome.local_status is LinkStatus.NOT_FOUND


def test_reimport_is_idempotent(
    library: Library,
    curated_settings: Settings,
    write_library: Callable[..., Path],
    add_local: Callable[..., Track],
) -> None:
    write_library("calm", [ALINA, OCEAN])
    local = add_local("Für Alina", "Arvo Pärt", 647.0)
    first = import_curated(library, curated_settings)
    rows_before = library.list_tracks()
    second = import_curated(library, curated_settings)
    rows_after = library.list_tracks()
    assert [(t.id, t.source_key, t.linked_track_id) for t in rows_after] == [
        (t.id, t.source_key, t.linked_track_id) for t in rows_before
    ]
    assert second.added == 0 and second.updated == 2 and second.retired == 0
    assert [o.track_id for o in second.outcomes] == [o.track_id for o in first.outcomes]
    assert [o.local_track_id for o in second.linked_local] == [local.id]


def test_removed_entries_are_retired_and_come_back(
    library: Library, curated_settings: Settings, write_library: Callable[..., Path]
) -> None:
    write_library("calm", [ALINA, OCEAN])
    import_curated(library, curated_settings)
    write_library("calm", [ALINA])
    result = import_curated(library, curated_settings)
    assert result.retired == 1
    ocean = library.find_track(Source.CURATED, "calm/environments-pacific-ocean")
    assert ocean is not None and ocean.missing
    write_library("calm", [ALINA, OCEAN])
    result = import_curated(library, curated_settings)
    assert result.added == 0 and result.retired == 0
    assert not library.find_track(Source.CURATED, "calm/environments-pacific-ocean").missing  # type: ignore[union-attr]


def test_a_link_that_no_longer_holds_is_cleared(
    library: Library,
    curated_settings: Settings,
    write_library: Callable[..., Path],
    add_local: Callable[..., Track],
) -> None:
    write_library("calm", [ALINA])
    add_local("Für Alina", "Arvo Pärt", 647.0, key="a.flac")
    (first,) = import_curated(library, curated_settings).outcomes
    assert first.local_status is LinkStatus.LINKED
    add_local("Für Alina", "Arvo Pärt", 648.0, key="b.flac")  # a second copy appears: now ambiguous
    (second,) = import_curated(library, curated_settings).outcomes
    assert second.local_status is LinkStatus.AMBIGUOUS
    assert library.require_track(second.track_id).linked_track_id is None


def test_only_the_named_library_is_imported(
    library: Library, curated_settings: Settings, write_library: Callable[..., Path]
) -> None:
    write_library("calm", [ALINA])
    write_library("sea", [OCEAN])
    result = import_curated(library, curated_settings, name="sea")
    assert result.libraries == ("sea",) and [o.title for o in result.outcomes] == ["Pacific Ocean"]
    # the other library's rows are not retired by importing just one
    import_curated(library, curated_settings, name="calm")
    import_curated(library, curated_settings, name="sea")
    assert not any(t.missing for t in curated_tracks(library))


@dataclass(frozen=True)
class FakeMatch:
    status: str
    uri: str | None = None
    reason: str = ""


def test_spotify_links_are_stored_and_not_searched_again(
    library: Library,
    curated_settings: Settings,
    write_library: Callable[..., Path],
    add_local: Callable[..., Track],
) -> None:
    write_library(
        "calm", [ALINA, OCEAN, {"title": "Weightless", "artist": "Marconi Union", "duration": "8:09"}]
    )
    add_local("Für Alina", "Arvo Pärt", 647.0)
    answers = {
        "Für Alina": FakeMatch("matched", "spotify:track:0123456789abcdefghijKL", "same ISRC"),
        "Pacific Ocean": FakeMatch("ambiguous", reason="2 different recordings fit"),
        "Weightless": FakeMatch("none", reason="no Spotify track with this artist and title"),
    }
    asked: list[str] = []

    def matcher(track: Track) -> FakeMatch:
        assert track.source is Source.CURATED and track.id is not None
        asked.append(track.title)
        return answers[track.title]

    result = import_curated(library, curated_settings, spotify_matcher=matcher)
    by_title = {o.title: o for o in result.outcomes}
    assert by_title["Für Alina"].spotify_uri == "spotify:track:0123456789abcdefghijKL"
    assert (
        library.require_track(by_title["Für Alina"].track_id).spotify_uri
        == "spotify:track:0123456789abcdefghijKL"
    )
    assert by_title["Pacific Ocean"].spotify_status is LinkStatus.AMBIGUOUS
    assert [o.title for o in result.ambiguous] == ["Pacific Ocean"]
    assert {o.title for o in result.unmatched} == {"Pacific Ocean", "Weightless"}
    assert len(result.linked_spotify) == 1 and result.spotify_error is None
    asked.clear()
    again = import_curated(library, curated_settings, spotify_matcher=matcher)
    assert sorted(asked) == ["Pacific Ocean", "Weightless"]  # the linked one is not searched again
    assert {o.title: o.spotify_uri for o in again.linked_spotify} == {
        "Für Alina": "spotify:track:0123456789abcdefghijKL"
    }


def test_a_spotify_failure_stops_matching_but_keeps_the_import(
    library: Library, curated_settings: Settings, write_library: Callable[..., Path]
) -> None:
    write_library("calm", [ALINA, OCEAN])
    calls = {"n": 0}

    def failing(track: Track) -> FakeMatch:
        calls["n"] += 1
        raise SpotifyAuthError("Spotify sign-in has expired: run `playlist-builder spotify login`")

    result = import_curated(library, curated_settings, spotify_matcher=failing)
    assert calls["n"] == 1
    assert result.spotify_error and "spotify login" in result.spotify_error
    assert result.entries == 2 and len(curated_tracks(library)) == 2
    assert all(o.spotify_status is LinkStatus.NOT_TRIED for o in result.outcomes)


def test_progress_is_reported_per_entry(
    library: Library, curated_settings: Settings, write_library: Callable[..., Path]
) -> None:
    write_library("calm", [ALINA, OCEAN])
    events = []
    import_curated(library, curated_settings, progress=events.append)
    assert events[-1].done == events[-1].total == 2
    assert any("Für Alina" in e.item for e in events)


def test_shipped_libraries_import_into_an_empty_library(library: Library, settings: Settings) -> None:
    result = import_curated(library, settings)
    assert set(result.libraries) >= {"ambient", "binaural", "minimal", "nature"}
    assert result.entries >= 30 and result.added == result.entries
    assert len(result.unmatched) == result.entries  # nothing local, no Spotify
    again = import_curated(library, settings)
    assert again.added == 0 and len(curated_tracks(library)) == result.entries


@pytest.mark.parametrize("bad", ['category = "jazz"', 'lyrics = "some"'])
def test_a_broken_file_imports_nothing(
    library: Library,
    curated_settings: Settings,
    libraries_dir: Path,
    write_library: Callable[..., Path],
    bad: str,
) -> None:
    from playlist_builder.errors import ConfigError

    write_library("calm", [ALINA])
    broken = libraries_dir / "broken.toml"
    broken.write_text(
        f'[library]\nname = "broken"\ndescription = "x"\n\n[[entries]]\ntitle = "t"\nartist = "a"\n'
        f'duration = 60\nphases = ["deep"]\nnote = "n"\n{bad}\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"broken\.toml"):
        import_curated(library, curated_settings)
    assert curated_tracks(library) == []


def test_a_collaboration_links_whatever_separator_each_side_uses(
    library: Library,
    curated_settings: Settings,
    write_library: Callable[..., Path],
    add_local: Callable[..., Track],
) -> None:
    """The curated list writes `+`, the file's tag `x`: the same artists, so the same recording."""
    entry = {"title": "Saman", "artist": "Ólafur Arnalds + Nils Frahm", "duration": "4:10"}
    write_library("duo", [entry])
    copy = add_local("Saman", "Olafur Arnalds x Nils Frahm", 250.0 + 2.0)
    [outcome] = import_curated(library, curated_settings).outcomes
    assert outcome.local_status is LinkStatus.LINKED and outcome.local_track_id == copy.id


def test_the_length_tolerance_comes_from_the_rules_file(
    library: Library,
    curated_settings: Settings,
    write_library: Callable[..., Path],
    add_local: Callable[..., Track],
    tmp_path: Path,
) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "matching.toml").write_text("[matching]\nduration_tolerance_s = 10.0\n")
    write_library("calm", [ALINA])
    copy = add_local("Für Alina", "Arvo Pärt", 647 + 8)  # 8 s off: outside the shipped 3 s
    [outcome] = import_curated(library, curated_settings.with_overrides(rules_dir=rules)).outcomes
    assert outcome.local_status is LinkStatus.LINKED and outcome.local_track_id == copy.id
