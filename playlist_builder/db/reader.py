"""Quick read-only access to a local SQLite library through the standard library's `sqlite3`.

`library list` and `session list` only read, and importing SQLAlchemy alone takes about a quarter of a
second on a clinic's machine, most of a quick command's budget. For them this reader opens the SQLite
file directly, but only a file that exists and whose schema is the newest shipped revision; for
anything else (a new, older or foreign database, PostgreSQL) `open_reader` returns None and the command
opens the full `Library`, which creates, migrates or refuses it with the usual messages.

The schema stays in one place (`db/schema.py` and its migrations): the reader selects whole rows by
column name, and converts values by the types the database itself declares for its columns (the
migrations wrote them): BOOLEAN to bool, DATETIME to a naive datetime, JSON decoded, as SQLAlchemy
does. Rows are handed to the same `convert` functions as the ORM's. A test runs every method here
beside the `Library` method of the same name on one varied library and requires equal results.

A reader is a snapshot for one command: it reads inside one read transaction, each table at most once.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from playlist_builder.db import convert
from playlist_builder.db.query import TrackState, track_state_from_row
from playlist_builder.db.revisions import VERSION_TABLE, shipped_revisions
from playlist_builder.model import (
    Classification,
    Features,
    Override,
    OverrideAction,
    SessionPlan,
    Source,
    Track,
)

SQLITE_BUSY_TIMEOUT_MS = 30_000  # two commands at once wait for each other instead of failing
SQLITE_URL_PREFIX = "sqlite:///"


def _datetime(value: Any) -> datetime | None:
    # SQLAlchemy stores "YYYY-MM-DD HH:MM:SS.ffffff" on SQLite and reads it back without a time zone.
    return None if value is None else datetime.fromisoformat(str(value)).replace(tzinfo=None)


def _boolean(value: Any) -> bool | None:
    return None if value is None else bool(value)


def _json(value: Any) -> Any:
    return None if value is None else json.loads(value)


# Declared column type (its first word, as SQLite reports it) -> how SQLAlchemy's type reads the value.
_CONVERTERS: dict[str, Callable[[Any], Any]] = {"BOOLEAN": _boolean, "DATETIME": _datetime, "JSON": _json}


def normalise_db_url(url: str) -> str:
    """A plain file path becomes a SQLite URL; PostgreSQL URLs without a driver get psycopg 3."""
    if "://" not in url and url.strip():
        return f"sqlite:///{Path(url).expanduser().absolute()}"
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def sqlite_path(url: str) -> str | None:
    """The file of a plain `sqlite:///PATH` URL or path (None for any other URL, or an in-memory one)."""
    url = normalise_db_url(url)
    if not url.startswith(SQLITE_URL_PREFIX) or "?" in url:
        return None
    path = url.removeprefix(SQLITE_URL_PREFIX)
    return path if path and path != ":memory:" else None


def open_reader(url: str) -> LibraryReader | None:
    """A reader of the library at `url`, or None when the full `Library` must open it.

    None unless the URL names an existing SQLite file whose schema is the newest shipped revision.
    """
    path = sqlite_path(url)
    head = shipped_revisions().head
    if path is None or head is None or not os.path.isfile(path):
        return None
    try:
        # mode=rw: never create a file here (the Library decides where a new library may be made)
        connection = sqlite3.connect(
            f"file:{_uri_path(path)}?mode=rw", uri=True, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000
        )
    except sqlite3.Error:
        return None
    try:
        connection.execute("BEGIN")  # one snapshot for every read below
        revision = connection.execute(f"SELECT version_num FROM {VERSION_TABLE}").fetchall()
    except sqlite3.Error:  # not a SQLite file, no version table, locked: the Library says what is wrong
        connection.close()
        return None
    if revision != [(head,)]:
        connection.close()
        return None
    return LibraryReader(connection)


def _uri_path(path: str) -> str:
    """A file path quoted for an SQLite `file:` URI (`?` and `#` would end the path)."""
    from urllib.parse import quote

    return quote(os.path.abspath(path), safe="/")


class LibraryReader:
    """The read-only part of the `Library` that quick listings use, over one SQLite connection."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection
        self._tables: dict[str, list[SimpleNamespace]] = {}

    def close(self) -> None:
        """End the read transaction and close the file."""
        self._connection.close()

    def _rows(self, table: str, order_by: str) -> list[SimpleNamespace]:
        """Every row of `table` (read once), with the values converted by the columns' declared types."""
        if table not in self._tables:
            declared = {
                name: _CONVERTERS.get(str(kind).split("(")[0].upper())
                for _cid, name, kind, *_rest in self._connection.execute(f"PRAGMA table_info({table})")
            }
            cursor = self._connection.execute(f"SELECT * FROM {table} ORDER BY {order_by}")
            names = [column[0] for column in cursor.description]
            converters = [declared.get(name) for name in names]
            rows = []
            for values in cursor:
                row = {
                    name: (value if convert is None else convert(value))
                    for name, convert, value in zip(names, converters, values, strict=True)
                }
                rows.append(SimpleNamespace(**row))
            self._tables[table] = rows
        return self._tables[table]

    def roots(self) -> list[tuple[int, str]]:
        """All registered roots as (id, path)."""
        return [(row.id, row.path) for row in self._rows("roots", "id")]

    def list_tracks(
        self,
        *,
        source: Source | None = None,
        under: str | None = None,
        missing: bool | None = None,
        ids: Sequence[int] | None = None,
    ) -> list[Track]:
        """Tracks matching the filters (`under`: local files at or below a folder), in id order."""
        roots = {row.id: row for row in self._rows("roots", "id")}
        wanted = None if ids is None else set(ids)
        folder = prefix = ""
        if under is not None:
            folder = os.path.realpath(under)
            prefix = folder.rstrip(os.sep) + os.sep
        tracks = []
        for row in self._rows("tracks", "id"):
            if wanted is not None and row.id not in wanted:
                continue
            if source is not None and row.source != source.value:
                continue
            if missing is not None and row.missing != missing:
                continue
            if under is not None and not (
                row.source == Source.LOCAL.value
                and (row.source_key == folder or row.source_key.startswith(prefix))
            ):
                continue
            row.root = roots.get(row.root_id)
            tracks.append(convert.track_from_row(row))  # type: ignore[arg-type]
        return tracks

    def classifications(self, track_ids: Sequence[int] | None = None) -> dict[int, Classification]:
        """Stored verdicts by track id (all when `track_ids` is None)."""
        wanted = None if track_ids is None else set(track_ids)
        return {
            row.track_id: convert.classification_from_row(row)  # type: ignore[arg-type]
            for row in self._rows("classifications", "track_id")
            if wanted is None or row.track_id in wanted
        }

    def features_for(self, track_ids: Sequence[int] | None = None) -> dict[int, Features]:
        """Stored features by track id (all tracks when `track_ids` is None)."""
        wanted = None if track_ids is None else set(track_ids)
        return {
            row.track_id: convert.features_from_json(row.data)
            for row in self._rows("features", "track_id")
            if row.error is None and row.data and (wanted is None or row.track_id in wanted)
        }

    def overrides(
        self, track_ids: Sequence[int] | None = None, *, active_only: bool = True
    ) -> list[Override]:
        """Clinician decisions, oldest first."""
        wanted = None if track_ids is None else set(track_ids)
        return [
            convert.override_from_row(row)  # type: ignore[arg-type]
            for row in self._rows("overrides", "created_at, id")
            if (wanted is None or row.track_id in wanted) and not (active_only and row.undone_at is not None)
        ]

    def track_states(self, track_ids: Sequence[int] | None = None) -> dict[int, TrackState]:
        """What the eligibility rule looks at, by track id (all tracks when `track_ids` is None)."""
        wanted = None if track_ids is None else set(track_ids)
        lyrics = {row.track_id: row.lyrics for row in self._rows("classifications", "track_id")}
        analyses = {row.track_id: row for row in self._rows("features", "track_id")}
        decided: dict[int, set[str]] = defaultdict(set)
        for row in self._rows("overrides", "created_at, id"):
            if row.undone_at is None:
                decided[row.track_id].add(row.action)
        states = {}
        for row in self._rows("tracks", "id"):
            if wanted is not None and row.id not in wanted:
                continue
            analysis = analyses.get(row.id)
            state = track_state_from_row(
                (
                    row.id,
                    row.source,
                    row.missing,
                    row.scan_error,
                    row.duration_s,
                    row.linked_track_id,
                    lyrics.get(row.id),
                    OverrideAction.APPROVE.value in decided[row.id],
                    OverrideAction.BAN.value in decided[row.id],
                    analysis is not None,
                    analysis.error if analysis is not None else None,
                    analysis.damage if analysis is not None else None,
                )
            )
            states[state.track_id] = state
        return states

    def list_sessions(
        self, *, patient_code: str | None = None, limit: int | None = None
    ) -> list[SessionPlan]:
        """Saved sessions, newest first."""
        sessions = [
            row
            for row in self._rows("sessions", "created_at DESC, id DESC")
            if patient_code is None or row.patient_code == patient_code
        ][:limit]
        items: dict[int, list[SimpleNamespace]] = defaultdict(list)
        for item in self._rows("session_items", "session_id, position"):
            items[item.session_id].append(item)
        plans = []
        for row in sessions:
            row.items = items[row.id]
            plans.append(convert.session_from_row(row))  # type: ignore[arg-type]
        return plans
