"""Migration 0002 merges rows that name one file; the strictest decision wins (ban > hold > approve)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine, text

from playlist_builder.config import sqlite_url
from playlist_builder.db.library import Library
from playlist_builder.db.migrate import alembic_config
from playlist_builder.model import OverrideAction

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC).isoformat()


def _database_at_0001(tmp_path: Path) -> str:
    url = sqlite_url(tmp_path / "old.sqlite3")
    engine = create_engine(url)
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
    engine.dispose()
    return url


def _insert_track(
    conn, track_id: int, root_id: int | None, key: str, *, source: str = "local", **extra
) -> None:  # type: ignore[no-untyped-def]
    values = {
        "id": track_id,
        "identity": f"{source}:{root_id if root_id is not None else ''}:{key}",
        "source": source,
        "source_key": key,
        "root_id": root_id,
        "title": extra.pop("title", key),
        "has_embedded_lyrics": False,
        "has_lrc_sidecar": False,
        "missing": extra.pop("missing", False),
        "duration_s": 120.0,
        "linked_track_id": extra.pop("linked", None),
        "added_at": NOW,
        "updated_at": NOW,
    }
    columns = ", ".join(values)
    conn.execute(
        text(f"INSERT INTO tracks ({columns}) VALUES ({', '.join(':' + c for c in values)})"), values
    )


def _decide(conn, decision_id: int, track_id: int, action: str) -> None:  # type: ignore[no-untyped-def]
    conn.execute(
        text(
            "INSERT INTO overrides (id, track_id, action, created_at) VALUES (:id, :track, :action, :created)"
        ),
        {"id": decision_id, "track": track_id, "action": action, "created": NOW},
    )


def test_duplicate_rows_are_merged_and_the_strictest_decision_wins(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "nature").mkdir(parents=True)
    for name in ("rain.flac", "brook.flac", "wind.flac"):
        (corpus / "nature" / name).write_bytes(b"x" * 2000)
    url = _database_at_0001(tmp_path)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO roots (id, path, added_at) VALUES (1, :a, :now), (2, :b, :now), (3, :c, :now)"),
            {
                "a": str(corpus / "nature"),
                "b": str(corpus),
                "c": str(corpus / "nature" / "rain.flac"),
                "now": NOW,
            },
        )
        # rain: scanned three ways; banned on one copy, approved on another -> banned
        _insert_track(conn, 1, 1, "rain.flac")
        _insert_track(conn, 2, 2, "nature/rain.flac")
        _insert_track(conn, 3, 3, ".")
        _decide(conn, 1, 2, "ban")
        _decide(conn, 2, 1, "approve")
        # brook: approved on one copy, no decision (held) on the other -> held: the approval is undone
        _insert_track(conn, 4, 1, "brook.flac")
        _insert_track(conn, 5, 2, "nature/brook.flac", missing=True)
        _decide(conn, 3, 4, "approve")
        # wind: approved on both copies -> stays approved
        _insert_track(conn, 6, 1, "wind.flac")
        _insert_track(conn, 7, 2, "nature/wind.flac")
        _decide(conn, 4, 6, "approve")
        _decide(conn, 5, 7, "approve")
        # a curated entry linked to a dropped copy, and a session that played one
        _insert_track(conn, 8, None, "calm/rain", source="curated", linked=2)
        conn.execute(
            text(
                "INSERT INTO sessions (id, name, arc, target_minutes, seed, total_s, costs, params, "
                "created_at) VALUES (1, 's', 'iv-infusion', 40, 1, 120, '{}', '{}', :now)"
            ),
            {"now": NOW},
        )
        conn.execute(
            text(
                "INSERT INTO session_items (session_id, position, track_id, phase, start_s, duration_s, "
                "crossfade_in_s, crossfade_out_s, energy, category, reason, costs) "
                "VALUES (1, 0, 7, 'settle', 0, 120, 0, 0, 0.3, 'nature', 'x', '{}')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO features (track_id, analyzer_version, data, analysed_at) "
                "VALUES (5, 'v', '{}', :now)"
            ),
            {"now": NOW},
        )
    engine.dispose()

    library = Library.open(url)  # upgrades to head
    try:
        local = {t.id: t for t in library.list_tracks() if t.source.value == "local"}
        assert sorted(local) == [1, 4, 6]
        assert local[1].source_key == str((corpus / "nature" / "rain.flac").resolve())
        assert library.find_track_by_path(corpus / "nature" / "rain.flac").id == 1  # type: ignore[union-attr]
        assert not local[4].missing  # one copy was present: so is the file

        states = library.track_states([1, 4, 6])
        assert states[1].banned  # ban > approve
        assert not states[4].approved  # hold > approve
        assert states[6].approved  # every copy approved
        undone = [d for d in library.overrides([4], active_only=False) if d.undone_at is not None]
        assert [d.action for d in undone] == [OverrideAction.APPROVE] and "merged" in (undone[0].note or "")
        assert {d.id for d in library.overrides([1], active_only=False)} == {1, 2}  # moved, history kept
        assert [d.action for d in library.overrides([1])] == [OverrideAction.BAN]

        curated = library.get_track(8)
        assert curated is not None and curated.linked_track_id == 1
        assert [item.track_id for item in library.get_session(1).items] == [6]
        assert library.analysis_state().keys() == {4}  # features taken from the dropped copy
    finally:
        library.close()
