"""Session candidates load as columns in one query, admitting exactly the tracks the eligibility rule does."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sequence_fixtures import add_eligible_tracks, generate_candidates

from playlist_builder.db.library import Library
from playlist_builder.model import (
    Category,
    Classification,
    Features,
    LyricsStatus,
    Override,
    OverrideAction,
    Source,
    Track,
)
from playlist_builder.sequence.candidates import Candidate
from playlist_builder.services.classify import eligible_tracks
from playlist_builder.services.session import session_candidates

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _features(lufs: float, tempo: float | None) -> Features:
    return Features(
        analyzer_version="test-1",
        duration_s=240.0,
        sample_rate=44_100,
        channels=2,
        integrated_lufs=lufs,
        loudness_range_lu=4.0,
        true_peak_dbtp=-3.0,
        spectral_centroid_hz=900.0,
        spectral_flatness=0.1,
        spectral_rolloff_hz=3000.0,
        onset_rate_hz=0.3,
        tempo_bpm=tempo,
        pulse_clarity=0.1,
        stereo_width=0.3,
        energy=0.25,
        nature_score=0.1,
        vocal_probability=0.05,
    )


def _decide(library: Library, track_id: int, action: OverrideAction, minutes: int, **extra: object) -> int:
    return library.add_override(
        Override(track_id=track_id, action=action, created_at=T0 + timedelta(minutes=minutes), **extra)
    )


def _expected(library: Library, source: str) -> list[Candidate]:
    """What the rule admits, built the slow way: whole rows, the in-memory verdict, decoded features."""
    features = library.features_for()
    out = []
    for track, classification, verdict in eligible_tracks(library):
        local = track.source is Source.LOCAL or track.linked_track_id is not None
        spotify = track.source is Source.SPOTIFY or track.spotify_uri is not None
        if not {"local": local, "spotify": spotify, "any": local or spotify}[source]:
            continue
        measured = features.get(track.id or 0)
        lufs = measured.integrated_lufs if measured is not None else None
        tempo = measured.tempo_bpm if measured is not None and measured.tempo_bpm else track.bpm
        out.append(
            Candidate(
                track_id=track.id or 0,
                title=track.title,
                artist=track.artist or track.album_artist,
                duration_s=float(track.duration_s or 0),
                category=verdict.category,
                secondary_category=verdict.secondary_category,
                energy=classification.energy,
                loudness_lufs=lufs if lufs is not None and math.isfinite(lufs) else None,
                tempo_bpm=tempo or None,
                source=track.source.value,
            )
        )
    return out


@pytest.fixture
def mixed_library(library: Library) -> dict[str, int]:
    """Eligible and ineligible tracks of every kind the rule tells apart."""
    plain = add_eligible_tracks(library, generate_candidates(6, seed=4))
    vocal = add_eligible_tracks(
        library, generate_candidates(3, seed=5, first_id=100), lyrics=LyricsStatus.VOCAL
    )
    unknown = add_eligible_tracks(
        library, generate_candidates(1, seed=6, first_id=200), lyrics=LyricsStatus.UNKNOWN
    )
    spotify = add_eligible_tracks(
        library, generate_candidates(2, seed=7, first_id=300), source=Source.SPOTIFY
    )
    names = {
        "approved_vocal": vocal[0],
        "plain_vocal": vocal[1],
        "approved_then_banned": vocal[2],
        "unknown": unknown[0],
        "banned": plain[0],
        "ban_undone": plain[1],
        "recategorised": plain[2],
        "missing": plain[3],
        "undecodable": plain[4],
        "measured": plain[5],
        "spotify": spotify[0],
        "spotify_linked": spotify[1],
    }
    _decide(library, names["approved_vocal"], OverrideAction.APPROVE, 1)
    _decide(library, names["approved_then_banned"], OverrideAction.APPROVE, 1)
    _decide(library, names["approved_then_banned"], OverrideAction.BAN, 2)
    _decide(library, names["banned"], OverrideAction.BAN, 1)
    library.undo_override(
        _decide(library, names["ban_undone"], OverrideAction.BAN, 1), T0 + timedelta(hours=1)
    )
    _decide(library, names["recategorised"], OverrideAction.SET_CATEGORY, 1, category=Category.MINIMAL)
    _decide(library, names["recategorised"], OverrideAction.SET_CATEGORY, 2, category=Category.NATURE)
    stored = library.get_classification(names["recategorised"])
    assert stored is not None
    library.save_classification(
        names["recategorised"], replace(stored, secondary_category=Category.NATURE), input_hash="test"
    )
    library.set_missing([names["missing"]], True)
    library.save_features(names["undecodable"], None, error="cannot decode", file_size=1, file_mtime=1.0,
                          analyzer_version="test-1")  # fmt: skip
    library.save_features(names["measured"], _features(-19.5, 72.0), file_size=1, file_mtime=1.0,
                          analyzer_version="test-1")  # fmt: skip
    tagged = library.upsert_tracks(
        [
            Track(source=Source.LOCAL, source_key="tagged.flac", title="Tagged", artist=None,
                  album_artist="Album Artist", duration_s=300.0, bpm=64.0),
            Track(source=Source.LOCAL, source_key="silent.flac", title="No length", duration_s=0.0),
            Track(source=Source.CURATED, source_key="curated-1", title="Curated twin", duration_s=300.0),
        ]
    )  # fmt: skip
    names.update(tagged=tagged[0], no_length=tagged[1], curated_twin=tagged[2])
    for track_id in tagged:
        library.save_classification(
            track_id,
            Classification(category=Category.AMBIENT, lyrics=LyricsStatus.INSTRUMENTAL, energy=0.3,
                           confidence=0.9, rules_version="test"),
            input_hash="test",
        )  # fmt: skip
    library.save_features(names["tagged"], _features(-30.0, None), file_size=1, file_mtime=1.0,
                          analyzer_version="test-1")  # fmt: skip
    library.set_link(names["curated_twin"], linked_track_id=names["tagged"])
    library.set_link(names["spotify_linked"], linked_track_id=names["measured"])
    return names


@pytest.mark.parametrize("source", ["any", "local", "spotify"])
def test_column_loader_admits_what_the_eligibility_rule_admits(
    library: Library, mixed_library: dict[str, int], source: str
) -> None:
    expected = _expected(library, source)
    assert len(expected) >= (1 if source == "spotify" else 5), (
        "the fixture must leave several tracks eligible"
    )

    assert session_candidates(library, source) == expected


def test_column_loader_applies_decisions_and_reads_measurements(
    library: Library, mixed_library: dict[str, int]
) -> None:
    by_id = {candidate.track_id: candidate for candidate in session_candidates(library)}
    names = mixed_library

    for left_out in ("plain_vocal", "approved_then_banned", "unknown", "banned", "missing", "undecodable",
                     "no_length", "curated_twin"):  # fmt: skip
        assert names[left_out] not in by_id, left_out
    assert names["approved_vocal"] in by_id and names["ban_undone"] in by_id
    recategorised = by_id[names["recategorised"]]
    assert (recategorised.category, recategorised.secondary_category) == (Category.NATURE, None)
    measured = by_id[names["measured"]]
    assert (measured.loudness_lufs, measured.tempo_bpm) == (-19.5, 72.0)
    tagged = by_id[names["tagged"]]
    assert (tagged.tempo_bpm, tagged.loudness_lufs, tagged.artist) == (64.0, -30.0, "Album Artist")


def test_migration_fills_the_tempo_column_from_stored_records(tmp_path: Path) -> None:
    from alembic import command
    from sqlalchemy import create_engine, text

    from playlist_builder.db.migrate import alembic_config

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = create_engine(url)
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        connection.execute(
            text(
                "INSERT INTO tracks (id, identity, source, source_key, title, has_embedded_lyrics, "
                "has_lrc_sidecar, missing, added_at, updated_at) VALUES "
                "(1, 'a', 'local', 'a.flac', 'A', 0, 0, 0, '2026-01-01', '2026-01-01'), "
                "(2, 'b', 'local', 'b.flac', 'B', 0, 0, 0, '2026-01-01', '2026-01-01')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO features (track_id, analyzer_version, data, analysed_at) VALUES "
                """(1, 'v', '{"tempo_bpm": 71.5}', '2026-01-01'), """
                """(2, 'v', '{"tempo_bpm": null}', '2026-01-01')"""
            )
        )
    engine.dispose()

    library = Library.open(url)
    try:
        with library.engine.connect() as connection:
            tempos = dict(connection.execute(text("SELECT track_id, tempo_bpm FROM features")).all())
    finally:
        library.close()
    assert tempos == {1: 71.5, 2: None}
