"""classify_library over a real (SQLite) library: incremental runs, look-ups, decisions, eligibility."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from classify_fixtures import REPO_RULES, FakeService, Reply, make_features, make_track

from playlist_builder.classify.rules import RULES_FILE
from playlist_builder.config import Settings
from playlist_builder.db.library import Library
from playlist_builder.db.query import ineligible_reasons
from playlist_builder.model import Category, Features, LyricsStatus, Source, Track
from playlist_builder.services import classify as service
from playlist_builder.services import review, views


def add_local(library: Library, root: Path, name: str, features: Features | None, **tags: object) -> int:
    root_id = library.add_root(str(root))
    track = Track(
        source=Source.LOCAL, source_key=name, title=str(tags.pop("title", name)), duration_s=200.0, **tags
    )
    (track_id,) = library.upsert_tracks([track], root_id=root_id)
    if features is not None:
        library.save_features(
            track_id, features, file_size=1, file_mtime=1.0, analyzer_version=features.analyzer_version
        )
    return track_id


def add_tracks(library: Library, *tracks: Track) -> list[int]:
    return library.upsert_tracks(list(tracks))


@pytest.fixture
def offline(settings: Settings) -> Settings:
    return settings.with_overrides(offline=True, rules_dir=REPO_RULES)


@pytest.fixture
def stocked(library: Library, tmp_path: Path) -> dict[str, int]:
    """A small mixed library: local files with features, Spotify rows, a curated row."""
    root = tmp_path / "Musik für Sitzungen"
    ids = {
        "quiet": add_local(
            library, root, "ruhe.flac", make_features(vocal_probability=0.05, nature_score=0.8)
        ),
        "singer": add_local(library, root, "lied.flac", make_features(vocal_probability=0.9)),
        "choir": add_local(
            library, root, "chor.flac", make_features(vocal_probability=0.8, tags={"choir": 0.7})
        ),
    }
    spotify = add_tracks(
        library,
        make_track(source_key="spotify:track:1", title="Regen (Instrumental)"),
        make_track(source_key="spotify:track:2", title="Stille Nacht"),
        make_track(source_key="spotify:track:3", title="Weit", explicit=True),
    )
    ids.update(zip(("spotify_instrumental", "spotify_unknown", "spotify_explicit"), spotify, strict=True))
    (ids["curated"],) = add_tracks(
        library,
        make_track(
            source=Source.CURATED,
            source_key="clinic/1",
            title="Gnossienne No. 1",
            artist="Satie",
            curated_category=Category.MINIMAL,
            curated_library="clinic",
        ),
    )
    return ids


def lyrics_of(library: Library, track_id: int) -> LyricsStatus:
    found = library.get_classification(track_id)
    assert found is not None
    return found.lyrics


def test_classifies_every_track_and_skips_unchanged_ones(
    library: Library, offline: Settings, stocked: dict[str, int]
) -> None:
    first = service.classify_library(library, offline)
    assert (first.total, first.classified, first.unchanged) == (7, 7, 0)
    assert lyrics_of(library, stocked["quiet"]) is LyricsStatus.INSTRUMENTAL
    assert lyrics_of(library, stocked["singer"]) is LyricsStatus.VOCAL
    assert lyrics_of(library, stocked["choir"]) is LyricsStatus.UNKNOWN
    assert lyrics_of(library, stocked["spotify_instrumental"]) is LyricsStatus.INSTRUMENTAL
    assert lyrics_of(library, stocked["spotify_unknown"]) is LyricsStatus.UNKNOWN
    assert lyrics_of(library, stocked["spotify_explicit"]) is LyricsStatus.VOCAL
    assert lyrics_of(library, stocked["curated"]) is LyricsStatus.INSTRUMENTAL
    spotify = library.get_classification(stocked["spotify_unknown"])
    assert spotify is not None and spotify.energy_estimated and 0 <= spotify.energy <= 1
    second = service.classify_library(library, offline)
    assert (second.classified, second.unchanged) == (0, 7)
    assert service.classify_library(library, offline, force=True).classified == 7


def test_rule_change_reclassifies_only_what_it_affects(
    library: Library, offline: Settings, stocked: dict[str, int], tmp_path: Path
) -> None:
    rules_dir = tmp_path / "rules"
    shutil.copytree(REPO_RULES, rules_dir)
    settings = offline.with_overrides(rules_dir=rules_dir)
    service.classify_library(library, settings)
    path = rules_dir / RULES_FILE
    text = path.read_text(encoding="utf-8")
    text = text.replace('keywords = ["ambient",', 'keywords = ["weit", "ambient",').replace(
        'version = "', 'version = "x'
    )
    path.write_text(text, encoding="utf-8")
    again = service.classify_library(library, settings)
    assert again.classified == 1  # only "Weit" matches the new keyword
    changed = library.get_classification(stocked["spotify_explicit"])
    assert (
        changed is not None and changed.category is Category.AMBIENT and changed.rules_version.startswith("x")
    )


def test_lookups_are_used_cached_and_skipped_when_offline(
    library: Library, settings: Settings, fake_service: FakeService
) -> None:
    lyrics = {
        "id": 9,
        "trackName": "Stille Nacht",
        "artistName": "Ólöf Ensemble",
        "instrumental": False,
        "plainLyrics": "Stille Nacht, heilige Nacht, alles schläft",
        "syncedLyrics": None,
    }
    fake_service.route("/api/get", Reply(200, lyrics))
    (track_id,) = add_tracks(library, make_track(title="Stille Nacht"))
    online = settings.with_overrides(
        rules_dir=REPO_RULES, lrclib_url=fake_service.url, musicbrainz_url=fake_service.url
    )
    result = service.classify_library(library, online)
    assert lyrics_of(library, track_id) is LyricsStatus.VOCAL
    assert result.lookups.get("lrclib found") == 1 and result.warnings == []
    service.classify_library(library, online, force=True)
    service.classify_library(library, online.with_overrides(offline=True), force=True)
    assert len(fake_service.requests) == 1  # answered from the cache afterwards
    assert lyrics_of(library, track_id) is LyricsStatus.VOCAL


def test_unreachable_services_give_one_warning_and_do_not_block(library: Library, settings: Settings) -> None:
    add_tracks(
        library,
        *[
            make_track(source_key=f"spotify:track:{n}", title=f"Stück {n}", isrc="DEA621100123")
            for n in range(20)
        ],
    )
    unreachable = settings.with_overrides(
        rules_dir=REPO_RULES, lrclib_url="http://127.0.0.1:9", musicbrainz_url="http://127.0.0.1:9"
    )
    started = time.monotonic()
    result = service.classify_library(library, unreachable)
    assert time.monotonic() - started < 10
    assert len(result.warnings) == 2  # one per service, not one per track
    assert result.by_lyrics == {"unknown": 20}


def test_decisions_survive_reclassification_and_shape_eligibility(
    library: Library, offline: Settings, stocked: dict[str, int]
) -> None:
    service.classify_library(library, offline)
    eligible = {t.id for t, _, _ in service.eligible_tracks(library)}
    assert eligible == {stocked["quiet"], stocked["spotify_instrumental"], stocked["curated"]}
    approval = review.approve(library, stocked["choir"], note="wordless choir, listened")
    review.ban(library, stocked["spotify_instrumental"], note="too bright")
    review.set_category(library, stocked["quiet"], Category.AMBIENT)
    service.classify_library(library, offline, force=True)
    entries = {t.id: verdict for t, _, verdict in service.eligible_tracks(library)}
    assert set(entries) == {stocked["quiet"], stocked["choir"], stocked["curated"]}
    assert entries[stocked["quiet"]].category is Category.AMBIENT
    assert entries[stocked["choir"]].note == "wordless choir, listened"
    assert lyrics_of(library, stocked["choir"]) is LyricsStatus.UNKNOWN  # the engine's own verdict is kept
    review.undo(library, approval.id or 0)
    assert stocked["choir"] not in {t.id for t, _, _ in service.eligible_tracks(library)}


def test_missing_and_lengthless_tracks_are_not_eligible(
    library: Library, offline: Settings, stocked: dict[str, int]
) -> None:
    (no_length,) = add_tracks(
        library, make_track(source_key="spotify:track:9", title="Rain (Instrumental)", duration_s=None)
    )
    service.classify_library(library, offline)
    library.set_missing([stocked["quiet"]], True)
    eligible = {t.id for t, _, _ in service.eligible_tracks(library)}
    assert stocked["quiet"] not in eligible and no_length not in eligible


def test_curated_entry_linked_to_a_local_file(library: Library, offline: Settings, tmp_path: Path) -> None:
    # The file alone has no category; the curated list it was matched to says minimal.
    local = add_local(
        library,
        tmp_path,
        "gnossienne.flac",
        make_features(vocal_probability=0.2, energy=0.3),
        title="Track 01",
    )
    (curated,) = add_tracks(
        library,
        make_track(
            source=Source.CURATED,
            source_key="clinic/2",
            title="Gnossienne",
            curated_category=Category.MINIMAL,
            curated_library="clinic",
        ),
    )
    library.set_link(curated, linked_track_id=local)
    service.classify_library(library, offline)
    local_verdict = library.get_classification(local)
    assert local_verdict is not None and local_verdict.category is Category.MINIMAL
    assert any(e.source == "curated" for e in local_verdict.reasons)
    linked = library.get_classification(curated)
    assert linked is not None and not linked.energy_estimated  # it borrows the file's measured energy
    eligible = [t.id for t, _, _ in service.eligible_tracks(library)]
    assert local in eligible and curated not in eligible  # the file plays; no duplicate


def test_curated_trust_never_outweighs_a_voice_heard_in_the_linked_file(
    library: Library, offline: Settings, tmp_path: Path
) -> None:
    # A curated list says "no lyrics", but the file it was matched to clearly has a voice in it:
    # neither the file nor the curated row may enter a session.
    local = add_local(
        library, tmp_path, "sung.flac", make_features(vocal_probability=0.97, energy=0.3), title="Track 02"
    )
    (curated,) = add_tracks(
        library,
        make_track(
            source=Source.CURATED,
            source_key="clinic/3",
            title="Spiegel im Spiegel",
            curated_category=Category.MINIMAL,
            curated_library="clinic",
        ),
    )
    library.set_link(curated, linked_track_id=local)
    service.classify_library(library, offline)
    for track_id in (local, curated):
        verdict = library.get_classification(track_id)
        assert verdict is not None and verdict.lyrics is not LyricsStatus.INSTRUMENTAL
    eligible = {t.id for t, _, _ in service.eligible_tracks(library)}
    assert local not in eligible and curated not in eligible


def test_describe_track_view(
    library: Library, offline: Settings, stocked: dict[str, int], tmp_path: Path
) -> None:
    service.classify_library(library, offline)
    review.set_category(library, stocked["choir"], Category.NATURE, note="Vogelchor")
    view = views.describe_track(library, library.require_track(stocked["choir"])).as_json()
    for key in (
        "id",
        "source",
        "path",
        "title",
        "artist",
        "duration_s",
        "category",
        "secondary_category",
        "lyrics",
        "energy",
        "binaural",
        "confidence",
        "reasons",
        "review_reasons",
        "overrides",
    ):
        assert key in view
    assert view["path"] == str(tmp_path / "Musik für Sitzungen" / "chor.flac")
    assert view["category"] == "nature" and view["lyrics"] == "unknown"
    assert view["overrides"][0]["note"] == "Vogelchor"
    assert view["binaural"] is None
    assert any(r["source"] == "audio" for r in view["reasons"])
    spotify = views.describe_track(library, library.require_track(stocked["spotify_unknown"])).as_json()
    assert spotify["path"] is None and spotify["energy_estimated"] is True


def test_local_files_without_analysis_are_noted_and_undecodable_ones_kept_out(
    library: Library, offline: Settings, tmp_path: Path
) -> None:
    pending = add_local(library, tmp_path, "später.flac", None, title="Rain (Instrumental)")
    broken = add_local(library, tmp_path, "kaputt.flac", None, title="Ocean (Instrumental)")
    library.save_features(
        broken, None, error="cannot decode", file_size=1, file_mtime=1.0, analyzer_version="t"
    )
    service.classify_library(library, offline)
    waiting = library.get_classification(pending)
    assert waiting is not None and any("run `playlist-builder analyze`" in r for r in waiting.review_reasons)
    eligible = {t.id for t, _, _ in service.eligible_tracks(library)}
    # not analysed yet is not known to be intact: kept out until `analyze` has heard it whole
    assert pending not in eligible and broken not in eligible
    states = library.track_states([pending, broken])
    assert "not analysed yet" in " ".join(ineligible_reasons(states[pending]))
    assert "could not be decoded" in " ".join(ineligible_reasons(states[broken]))
