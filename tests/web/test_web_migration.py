"""Migration 0004: a clinic database from before the app upgrades in place; old decisions keep no author."""

from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, text

from playlist_builder.db.library import Library, normalise_db_url
from playlist_builder.db.migrate import alembic_config
from playlist_builder.services.users import add_user, has_accounts

NOW = "CURRENT_TIMESTAMP"


def test_database_at_0001_upgrades_in_place(db_url: str) -> None:
    engine = create_engine(normalise_db_url(db_url))
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        columns = "id, identity, source, source_key, title, has_embedded_lyrics, has_lrc_sidecar, missing"
        values = "1, 'spotify::x', 'spotify', 'x', 'Old', false, false, false"
        connection.execute(
            text(f"INSERT INTO tracks ({columns}, added_at, updated_at) VALUES ({values}, {NOW}, {NOW})")
        )
        connection.execute(
            text(
                "INSERT INTO overrides (track_id, action, note, created_at) "
                f"VALUES (1, 'approve', 'kept', {NOW})"
            )
        )
    engine.dispose()
    library = Library.open(db_url)
    try:
        [decision] = library.overrides([1])
        assert decision.note == "kept" and decision.decided_by is None
        assert not has_accounts(library)
        add_user(library, "amira", "clinician", "correct horse battery")
        assert has_accounts(library)
    finally:
        library.close()
