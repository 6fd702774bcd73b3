"""The `Library` facade: the only code that opens database sessions and transactions."""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Engine,
    Select,
    and_,
    create_engine,
    delete,
    event,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from playlist_builder.db import convert
from playlist_builder.db.migrate import upgrade_to_head
from playlist_builder.db.query import (
    TrackState,
    active_decision_exists,
    eligibility_clause,
    track_state_columns,
    track_state_from_row,
)
from playlist_builder.db.reader import SQLITE_BUSY_TIMEOUT_MS
from playlist_builder.db.reader import normalise_db_url as normalise_db_url  # re-exported
from playlist_builder.db.schema import (
    ClassificationRow,
    FeaturesRow,
    LookupRow,
    OverrideRow,
    RootRow,
    SessionRow,
    SyncRow,
    TrackRow,
    utcnow,
)
from playlist_builder.errors import DatabaseError, DatabaseUnusableError, NotFoundError
from playlist_builder.model import (
    Classification,
    Features,
    Override,
    OverrideAction,
    SessionPlan,
    Source,
    Track,
)

# Switching a new database to WAL needs a moment of exclusive access, and SQLite does not always wait
# on the busy timeout for it: two commands starting together on a new database retry for this long.
WAL_SWITCH_RETRY_S = 30.0
WAL_SWITCH_PAUSE_S = 0.05


def _use_wal(cursor: Any) -> None:
    """Put the database in WAL mode (kept in the file, so usually already done: then nothing waits)."""
    import sqlite3
    import time

    if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
        return
    deadline = time.monotonic() + WAL_SWITCH_RETRY_S
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(WAL_SWITCH_PAUSE_S)


CHUNK_SIZE = 500  # values per SQL IN list: well under SQLite's limit on bound parameters


class _Unchanged:
    """Marker for "leave this column as it is" (None means clear it)."""


UNCHANGED = _Unchanged()


# The fields of each row `Library.session_candidate_rows` returns, in order (plain tuples: fast).
CANDIDATE_FIELDS = (
    "track_id",
    "title",
    "artist",  # the track's artist, else its album artist
    "duration_s",
    "category",  # after a clinician's category decision
    "energy",
    "secondary_category",  # None when it equals the category
    "loudness_lufs",
    "tempo_bpm",  # measured, else the tag's bpm
    "source",
)


class FileFacts(NamedTuple):
    """What an incremental rescan compares: a stored file's size, mtime and missing flag (a tuple: cheap)."""

    track_id: int
    size: int | None
    mtime: float | None
    missing: bool
    fingerprint: str | None = None


class FingerprintMatch(NamedTuple):
    """A stored local file with a given content fingerprint (for recognising moves and copies)."""

    track_id: int
    source_key: str
    missing: bool
    banned: bool


@dataclass(frozen=True)
class AnalysisState:
    """What decides whether a file must be analysed again."""

    analyzer_version: str
    file_size: int | None
    file_mtime: float | None
    has_error: bool
    damage: str | None = None


@dataclass(frozen=True)
class SyncRecord:
    """One export or sync of a session."""

    id: int
    session_id: int
    kind: str
    target: str
    external_id: str | None
    snapshot: str | None
    details: dict[str, Any]
    created_at: datetime


def _enable_sqlite_pragmas(engine: Engine) -> None:
    """WAL, a busy timeout and foreign keys on every SQLite connection."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        _use_wal(cursor)
        # NORMAL is the documented safe setting under WAL: no corruption, fewer fsyncs per commit.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def _redact(url: str) -> str:
    """A database URL safe to show: the password replaced."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url


class Library:
    """The track library in a database: every read and write goes through its methods."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self.created = False  # set by open() when it made a new, empty library

    @classmethod
    def open(cls, url: str, *, migrate: bool = True, create_folder: bool = False) -> Library:
        """Open (creating and upgrading as needed) the database at a SQLAlchemy URL.

        A new SQLite file is made only in a folder that exists (unless `create_folder`, for the
        app's own data folder), so a mistyped path is an error, not a quietly empty library.
        `created` then says whether this call made a new library.
        """
        url = normalise_db_url(url)
        where = _redact(url)
        if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
            db_path = Path(url.removeprefix("sqlite:///"))
            if create_folder:
                try:
                    db_path.parent.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise DatabaseError(f"cannot create the database folder {db_path.parent}: {exc}") from exc
            elif not db_path.parent.is_dir():
                raise DatabaseUnusableError(
                    f"cannot open database {where}: the folder {db_path.parent} does not exist (a new "
                    "library is made only in an existing folder; check the path or create the folder)"
                )
            if db_path.is_dir():
                raise DatabaseUnusableError(f"cannot open database {where}: {db_path} is a folder")
        try:
            engine = create_engine(url, connect_args=cls._connect_args(url))
        except (SQLAlchemyError, ValueError, ImportError) as exc:
            raise DatabaseError(f"cannot use database URL {where}: {exc}") from exc
        if engine.dialect.name == "sqlite":
            _enable_sqlite_pragmas(engine)
        created = False
        try:
            if migrate:
                created = upgrade_to_head(engine, where) is None
            else:
                with engine.connect():
                    pass
        except SQLAlchemyError as exc:
            engine.dispose()
            reason = str(exc.orig).strip().splitlines()[0] if getattr(exc, "orig", None) else str(exc)
            if "file is not a database" in reason:
                raise DatabaseUnusableError(
                    f"cannot open database {where}: not a playlist-builder database (not a SQLite file)"
                ) from exc
            raise DatabaseError(f"cannot open database {where}: {reason}") from exc
        except BaseException:
            engine.dispose()
            raise
        library = cls(engine)
        library.created = created
        return library

    @property
    def location(self) -> str:
        """Where the library lives, safe to show: a SQLite file's path, else the URL without password."""
        if self.engine.dialect.name == "sqlite" and self.engine.url.database:
            return self.engine.url.database
        return self.engine.url.render_as_string(hide_password=True)

    @staticmethod
    def _connect_args(url: str) -> dict[str, Any]:
        if url.startswith("sqlite"):
            return {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        if url.startswith("postgresql"):
            return {"connect_timeout": 10}
        return {}

    def close(self) -> None:
        """Release every connection."""
        self.engine.dispose()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed on success and rolled back on any error."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except SQLAlchemyError as exc:
            session.rollback()
            raise DatabaseError(f"database error: {str(exc).splitlines()[0]}") from exc
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    # --- roots -------------------------------------------------------------------------------------

    def add_root(self, path: str) -> int:
        """Register a library root (idempotent) and return its id."""
        with self.transaction() as s:
            row = s.scalar(select(RootRow).where(RootRow.path == path))
            if row is None:
                row = RootRow(path=path)
                s.add(row)
                s.flush()
            return row.id

    def roots(self) -> list[tuple[int, str]]:
        """All registered roots as (id, path)."""
        with self.transaction() as s:
            return [(r.id, r.path) for r in s.scalars(select(RootRow).order_by(RootRow.id))]

    def touch_root(self, root_id: int) -> None:
        """Record that a root was just scanned."""
        with self.transaction() as s:
            s.execute(update(RootRow).where(RootRow.id == root_id).values(last_scan_at=utcnow()))

    # --- tracks ------------------------------------------------------------------------------------

    _FACT_COLUMNS = (
        TrackRow.source_key,
        TrackRow.id,
        TrackRow.size,
        TrackRow.mtime,
        TrackRow.missing,
        TrackRow.fingerprint,
    )

    def file_facts(self, folder: str) -> dict[str, FileFacts]:
        """Stored facts of every local file at or under a resolved path, by resolved path."""
        prefix = folder.rstrip(os.sep) + os.sep
        stmt = select(*self._FACT_COLUMNS).where(
            TrackRow.source == Source.LOCAL.value,
            or_(TrackRow.source_key == folder, TrackRow.source_key.startswith(prefix, autoescape=True)),
        )
        with self.transaction() as s:
            return {
                key: FileFacts(tid, size, mtime, missing, fingerprint)
                for key, tid, size, mtime, missing, fingerprint in s.execute(stmt)
                # LIKE ignores ASCII case on SQLite: keep only exact prefixes
                if key == folder or key.startswith(prefix)
            }

    def file_facts_for(self, paths: Sequence[str]) -> dict[str, FileFacts]:
        """Stored facts of the local files at these resolved paths (those in the library)."""
        found: dict[str, FileFacts] = {}
        identities = [convert.track_identity(Source.LOCAL, path) for path in paths]
        with self.transaction() as s:
            for chunk in in_chunks(identities):
                stmt = select(*self._FACT_COLUMNS).where(TrackRow.identity.in_(chunk))
                for key, tid, size, mtime, missing, fingerprint in s.execute(stmt):
                    found[key] = FileFacts(tid, size, mtime, missing, fingerprint)
        return found

    def local_fingerprints(self) -> set[str]:
        """Every content fingerprint stored for a local file (a scan asks about matches only for these)."""
        stmt = select(TrackRow.fingerprint).where(
            TrackRow.source == Source.LOCAL.value, TrackRow.fingerprint.is_not(None)
        )
        with self.transaction() as s:
            return set(s.scalars(stmt))  # type: ignore[arg-type]

    def fingerprint_matches(self, fingerprints: Iterable[str]) -> dict[str, list[FingerprintMatch]]:
        """Stored local files by content fingerprint, each saying whether a clinician banned it."""
        wanted = sorted(set(fingerprints))
        rows: list[tuple[str, int, str, bool]] = []
        with self.transaction() as s:
            for chunk in in_chunks(wanted):
                stmt = select(TrackRow.fingerprint, TrackRow.id, TrackRow.source_key, TrackRow.missing).where(
                    TrackRow.source == Source.LOCAL.value, TrackRow.fingerprint.in_(chunk)
                )
                rows.extend((fp, tid, key, missing) for fp, tid, key, missing in s.execute(stmt))
            banned: set[int] = set()
            if rows:  # rare (moves and copies): ask about bans only then
                ids = [tid for _, tid, _, _ in rows]
                banned = set(
                    s.scalars(
                        select(TrackRow.id).where(
                            TrackRow.id.in_(ids), active_decision_exists(OverrideAction.BAN)
                        )
                    )
                )
        found: dict[str, list[FingerprintMatch]] = {}
        for fingerprint, tid, key, missing in sorted(rows, key=lambda row: row[1]):
            found.setdefault(fingerprint, []).append(FingerprintMatch(tid, key, bool(missing), tid in banned))
        return found

    def same_audio_track_ids(self, track_id: int) -> list[int]:
        """Other local rows whose file has the same content fingerprint as this track's (copies)."""
        with self.transaction() as s:
            fingerprint = s.scalar(select(TrackRow.fingerprint).where(TrackRow.id == track_id))
            if fingerprint is None:
                return []
            stmt = (
                select(TrackRow.id)
                .where(TrackRow.fingerprint == fingerprint, TrackRow.id != track_id)
                .order_by(TrackRow.id)
            )
            return list(s.scalars(stmt))

    def relocate_track(self, track_id: int, path: str, root_id: int | None) -> None:
        """Give a local row a new resolved path (its file moved); every decision about it stays."""
        with self.transaction() as s:
            s.execute(
                update(TrackRow)
                .where(TrackRow.id == track_id)
                .values(
                    source_key=path,
                    identity=convert.track_identity(Source.LOCAL, path),
                    root_id=root_id,
                    missing=False,
                    updated_at=utcnow(),
                )
            )

    def set_fingerprints(self, fingerprints: dict[int, str]) -> None:
        """Store content fingerprints by track id (for files scanned before fingerprints existed)."""
        if not fingerprints:
            return
        with self.transaction() as s:
            s.execute(
                update(TrackRow),
                [{"id": tid, "fingerprint": fingerprint} for tid, fingerprint in fingerprints.items()],
            )

    def upsert_tracks(
        self,
        tracks: Iterable[Track],
        root_id: int | None = None,
        fingerprints: dict[str, str | None] | None = None,
    ) -> list[int]:
        """Insert or update tracks by identity (source and key) in one transaction; return ids.

        Local rows take `root_id` (the root that scanned them) and their fingerprint, by source key.
        """
        batch = list(tracks)
        fingerprints = fingerprints or {}
        identities = [convert.track_identity(t.source, t.source_key) for t in batch]
        with self.transaction() as s:
            existing = {
                row.identity: row
                for chunk in in_chunks(identities)
                for row in s.scalars(select(TrackRow).where(TrackRow.identity.in_(chunk)))
            }
            ids: dict[str, int] = {}
            new_rows: list[dict[str, Any]] = []
            for identity, track in zip(identities, batch, strict=True):
                row = existing.get(identity)
                fingerprint = fingerprints.get(track.source_key)
                if row is not None:
                    convert.apply_track_to_row(row, track)
                    if track.source is Source.LOCAL:
                        row.root_id = root_id
                        row.fingerprint = fingerprint
                    ids[identity] = row.id
                elif identity not in ids:
                    ids[identity] = -1
                    values = convert.new_track_values(track, identity, root_id)
                    values["fingerprint"] = fingerprint
                    new_rows.append(values)
            s.flush()
            if new_rows:
                # One Core executemany with RETURNING on the session's connection, instead of an ORM
                # flush per row or the ORM's bulk-insert layer: a first scan stays near mutagen's speed.
                table = TrackRow.__table__
                stmt = insert(table).returning(table.c.identity, table.c.id)
                for identity, new_id in s.connection().execute(stmt, new_rows):
                    ids[identity] = new_id
            return [ids[identity] for identity in identities]

    def set_missing(self, track_ids: Iterable[int], missing: bool) -> int:
        """Mark tracks missing (or back again); never deletes, so decisions about them survive."""
        ids = list(track_ids)
        if not ids:
            return 0
        with self.transaction() as s:
            s.execute(
                update(TrackRow).where(TrackRow.id.in_(ids)).values(missing=missing, updated_at=utcnow())
            )
        return len(ids)

    def set_link(
        self,
        track_id: int,
        *,
        linked_track_id: int | _Unchanged | None = UNCHANGED,
        spotify_uri: str | _Unchanged | None = UNCHANGED,
    ) -> None:
        """Link a track to the local file row it plays through and/or a Spotify URI (matching results).

        A link not given is left as it is; None clears it.
        """
        with self.transaction() as s:
            row = s.get(TrackRow, track_id)
            if row is None:
                raise NotFoundError(f"no track with id {track_id}")
            if not isinstance(linked_track_id, _Unchanged):
                row.linked_track_id = linked_track_id
            if not isinstance(spotify_uri, _Unchanged):
                row.spotify_uri = spotify_uri
            row.updated_at = utcnow()

    def get_track(self, track_id: int) -> Track | None:
        """One track by id, or None."""
        with self.transaction() as s:
            row = s.get(TrackRow, track_id)
            return convert.track_from_row(row) if row is not None else None

    def require_track(self, track_id: int) -> Track:
        """One track by id; NotFoundError when there is none."""
        track = self.get_track(track_id)
        if track is None:
            raise NotFoundError(f"no track with id {track_id}")
        return track

    def find_track_by_path(self, path: str | Path) -> Track | None:
        """The local track of the file at `path` (however it is reached: links are resolved), if any."""
        return self.find_track(Source.LOCAL, os.path.realpath(path))

    def find_track(self, source: Source, source_key: str) -> Track | None:
        """A track by its source and key (a local file's key is its resolved absolute path)."""
        identity = convert.track_identity(source, source_key)
        with self.transaction() as s:
            row = s.scalar(select(TrackRow).where(TrackRow.identity == identity))
            return convert.track_from_row(row) if row is not None else None

    def list_tracks(
        self,
        *,
        source: Source | None = None,
        under: str | None = None,
        missing: bool | None = None,
        ids: Sequence[int] | None = None,
    ) -> list[Track]:
        """Tracks matching the filters (`under`: local files at or below a folder), in id order."""
        stmt = select(TrackRow).order_by(TrackRow.id)
        if source is not None:
            stmt = stmt.where(TrackRow.source == source.value)
        if under is not None:
            folder = os.path.realpath(under)
            prefix = folder.rstrip(os.sep) + os.sep
            stmt = stmt.where(
                TrackRow.source == Source.LOCAL.value,
                or_(TrackRow.source_key == folder, TrackRow.source_key.startswith(prefix, autoescape=True)),
            )
        if missing is not None:
            stmt = stmt.where(TrackRow.missing == missing)
        rows = self._rows_by_ids(stmt, TrackRow.id, ids)
        tracks = [convert.track_from_row(r) for r in rows]
        if under is not None:  # LIKE ignores ASCII case on SQLite: keep only exact prefixes
            tracks = [t for t in tracks if t.source_key == folder or t.source_key.startswith(prefix)]
        return sorted(tracks, key=lambda t: t.id or 0) if ids is not None else tracks

    def _rows_by_ids(self, stmt: Select[Any], column: Any, ids: Sequence[int] | None) -> list[Any]:
        """The rows of `stmt` (all, or those whose `column` is in `ids`, asked for in chunks)."""
        with self.transaction() as s:
            if ids is None:
                return list(s.scalars(stmt))
            return [row for chunk in in_chunks(list(ids)) for row in s.scalars(stmt.where(column.in_(chunk)))]

    # --- the track filter (db/query.py) -------------------------------------------------------------

    def track_states(self, track_ids: Sequence[int] | None = None) -> dict[int, TrackState]:
        """What the eligibility rule looks at, by track id (all tracks when `track_ids` is None)."""
        stmt = select(*track_state_columns())
        with self.transaction() as s:
            if track_ids is None:
                rows = list(s.execute(stmt))
            else:
                rows = [
                    r
                    for chunk in in_chunks(list(track_ids))
                    for r in s.execute(stmt.where(TrackRow.id.in_(chunk)))
                ]
        return {state.track_id: state for state in map(track_state_from_row, rows)}

    def eligible_track_ids(self) -> list[int]:
        """Ids of the tracks that may enter a session (`eligibility_clause`), in id order."""
        stmt = select(TrackRow.id).where(eligibility_clause()).order_by(TrackRow.id)
        with self.transaction() as s:
            return list(s.scalars(stmt))

    # --- features ----------------------------------------------------------------------------------

    def analysis_state(self) -> dict[int, AnalysisState]:
        """Per analysed track: analyser version and the file facts it was computed from."""
        stmt = select(
            FeaturesRow.track_id,
            FeaturesRow.analyzer_version,
            FeaturesRow.file_size,
            FeaturesRow.file_mtime,
            FeaturesRow.error,
            FeaturesRow.damage,
        )
        with self.transaction() as s:
            return {
                tid: AnalysisState(version, size, mtime, error is not None, damage)
                for tid, version, size, mtime, error, damage in s.execute(stmt)
            }

    def save_features(
        self,
        track_id: int,
        features: Features | None,
        *,
        error: str | None = None,
        damage: str | None = None,
        file_size: int | None,
        file_mtime: float | None,
        analyzer_version: str,
    ) -> None:
        """Store (replacing) the analysis of one track, or the reason it failed; `damage` says why the
        file's audio does not decode to its stated length (None: intact)."""
        values = _features_values(features, error, file_size, file_mtime, analyzer_version)
        values["damage"] = damage
        with self.transaction() as s:
            row = s.get(FeaturesRow, track_id) or FeaturesRow(track_id=track_id)
            for name, value in values.items():
                setattr(row, name, value)
            s.add(row)

    def save_features_many(
        self, analysed: Sequence[tuple[int, Features, int | None, float | None]], *, analyzer_version: str
    ) -> None:
        """Store (replacing) many analyses at once: (track id, features, file size, file mtime) each."""
        rows = [
            {"track_id": tid, **_features_values(features, None, size, mtime, analyzer_version)}
            for tid, features, size, mtime in analysed
        ]
        with self.transaction() as s:
            for chunk in in_chunks([row["track_id"] for row in rows]):
                s.execute(delete(FeaturesRow).where(FeaturesRow.track_id.in_(chunk)))
            if rows:
                s.execute(insert(FeaturesRow), rows)

    def get_features(self, track_id: int) -> Features | None:
        """The stored features of a track (None if never analysed or analysis failed)."""
        return self.features_for([track_id]).get(track_id)

    def features_error(self, track_id: int) -> str | None:
        """Why a track's analysis failed, if it did."""
        with self.transaction() as s:
            row = s.get(FeaturesRow, track_id)
            return row.error if row is not None else None

    def features_for(self, track_ids: Sequence[int] | None = None) -> dict[int, Features]:
        """Stored features by track id (all tracks when `track_ids` is None)."""
        # A failed analysis stores JSON null (not SQL NULL) in `data`: filter on `error` and on the value.
        stmt = select(FeaturesRow).where(FeaturesRow.error.is_(None))
        rows = self._rows_by_ids(stmt, FeaturesRow.track_id, track_ids)
        return {row.track_id: convert.features_from_json(row.data) for row in rows if row.data}

    def session_candidate_rows(
        self, eligible: ColumnElement[bool], *, source: str = "any"
    ) -> list[tuple[Any, ...]]:
        """The tracks `eligible` admits, in one query that reads only the columns a session needs.

        `eligible` is a SQL clause over `tracks` joined with `classifications` (the one eligibility
        rule); `source` keeps tracks that play from local files, Spotify, or either ("any"). Rows are
        plain tuples of CANDIDATE_FIELDS in track id order. A row linked to another admitted row is left
        out: the linked track plays.
        """
        # The newest active category decision per track (few rows): joined once, not asked per track.
        decisions = (
            select(
                OverrideRow.track_id,
                OverrideRow.category,
                func.row_number()
                .over(
                    partition_by=OverrideRow.track_id,
                    order_by=(OverrideRow.created_at.desc(), OverrideRow.id.desc()),
                )
                .label("newest"),
            )
            .where(OverrideRow.action == OverrideAction.SET_CATEGORY.value, OverrideRow.undone_at.is_(None))
            .subquery()
        )
        category = func.coalesce(decisions.c.category, ClassificationRow.category)
        stmt = (
            select(
                TrackRow.id,
                TrackRow.title,
                func.coalesce(func.nullif(TrackRow.artist, ""), TrackRow.album_artist),
                TrackRow.duration_s,
                category,
                ClassificationRow.energy,
                func.nullif(ClassificationRow.secondary_category, category),
                FeaturesRow.integrated_lufs,  # stored finite or NULL
                func.coalesce(func.nullif(FeaturesRow.tempo_bpm, 0), func.nullif(TrackRow.bpm, 0)),
                TrackRow.source,
                TrackRow.linked_track_id,
                TrackRow.spotify_uri,
            )
            .join(ClassificationRow, ClassificationRow.track_id == TrackRow.id)
            .outerjoin(FeaturesRow, FeaturesRow.track_id == TrackRow.id)
            .outerjoin(decisions, and_(decisions.c.track_id == TrackRow.id, decisions.c.newest == 1))
            .where(eligible)
            .order_by(TrackRow.id)
        )
        with self.transaction() as s:
            rows = _fetch_plain_rows(s, stmt)
        admitted = {row[0] for row in rows}
        local, spotify = Source.LOCAL.value, Source.SPOTIFY.value
        wanted = {"local": (True, False), "spotify": (False, True)}.get(source, (True, True))
        kept = []
        for row in rows:
            plays_from, linked, spotify_uri = row[9], row[10], row[11]
            if linked is not None and linked in admitted:
                continue
            plays_local = plays_from == local or linked is not None
            plays_spotify = plays_from == spotify or spotify_uri is not None
            if (wanted[0] and plays_local) or (wanted[1] and plays_spotify):
                kept.append(row[:10])
        return kept

    # --- classifications ---------------------------------------------------------------------------

    def save_classification(self, track_id: int, classification: Classification, *, input_hash: str) -> None:
        """Store (replacing) the engine's verdict on a track; overrides are untouched."""
        values = _classification_values(classification, input_hash)
        with self.transaction() as s:
            row = s.get(ClassificationRow, track_id) or ClassificationRow(track_id=track_id)
            for name, value in values.items():
                setattr(row, name, value)
            s.add(row)

    def save_classifications_many(self, verdicts: Sequence[tuple[int, Classification, str]]) -> None:
        """Store (replacing) many verdicts at once: (track id, classification, input hash) each."""
        rows = [
            {"track_id": tid, **_classification_values(classification, input_hash)}
            for tid, classification, input_hash in verdicts
        ]
        with self.transaction() as s:
            for chunk in in_chunks([row["track_id"] for row in rows]):
                s.execute(delete(ClassificationRow).where(ClassificationRow.track_id.in_(chunk)))
            if rows:
                s.execute(insert(ClassificationRow), rows)

    def get_classification(self, track_id: int) -> Classification | None:
        """The stored verdict on a track, if any."""
        return self.classifications([track_id]).get(track_id)

    def classifications(self, track_ids: Sequence[int] | None = None) -> dict[int, Classification]:
        """Stored verdicts by track id (all when `track_ids` is None)."""
        rows = self._rows_by_ids(select(ClassificationRow), ClassificationRow.track_id, track_ids)
        return {r.track_id: convert.classification_from_row(r) for r in rows}

    def classification_hashes(self) -> dict[int, str]:
        """The input hash each stored verdict was computed from (for incremental re-classification)."""
        with self.transaction() as s:
            return dict(s.execute(select(ClassificationRow.track_id, ClassificationRow.input_hash)).all())

    # --- overrides ---------------------------------------------------------------------------------

    def add_override(self, override: Override) -> int:
        """Record a clinician decision; returns its id."""
        with self.transaction() as s:
            if s.get(TrackRow, override.track_id) is None:
                raise NotFoundError(f"no track with id {override.track_id}")
            row = OverrideRow(
                track_id=override.track_id,
                action=override.action.value,
                category=override.category.value if override.category else None,
                note=override.note,
                created_at=override.created_at,
                decided_by=override.decided_by,
            )
            s.add(row)
            s.flush()
            return row.id

    def undo_override(self, override_id: int, when: datetime | None = None) -> Override:
        """Revert one decision (kept, marked undone); returns it."""
        with self.transaction() as s:
            row = s.get(OverrideRow, override_id)
            if row is None or row.undone_at is not None:
                raise NotFoundError(f"no active clinician decision with id {override_id}")
            row.undone_at = when or utcnow()
            s.flush()
            return convert.override_from_row(row)

    def overrides(
        self, track_ids: Sequence[int] | None = None, *, active_only: bool = True
    ) -> list[Override]:
        """Clinician decisions, oldest first."""
        stmt = select(OverrideRow).order_by(OverrideRow.created_at, OverrideRow.id)
        if active_only:
            stmt = stmt.where(OverrideRow.undone_at.is_(None))
        rows = self._rows_by_ids(stmt, OverrideRow.track_id, track_ids)
        found = [convert.override_from_row(r) for r in rows]
        return sorted(found, key=lambda o: (o.created_at, o.id or 0)) if track_ids is not None else found

    # --- look-up cache -----------------------------------------------------------------------------

    def get_lookup(self, service: str, key: str) -> tuple[str, dict[str, Any] | None, datetime] | None:
        """A cached service answer as (status, payload, fetched_at), or None."""
        with self.transaction() as s:
            row = s.scalar(select(LookupRow).where(LookupRow.service == service, LookupRow.key == key))
            return (row.status, row.payload, row.fetched_at) if row is not None else None

    def put_lookup(self, service: str, key: str, status: str, payload: dict[str, Any] | None) -> None:
        """Cache a service answer (replacing an older one)."""
        with self.transaction() as s:
            row = s.scalar(select(LookupRow).where(LookupRow.service == service, LookupRow.key == key))
            if row is None:
                row = LookupRow(service=service, key=key)
                s.add(row)
            row.status = status
            row.payload = payload
            row.fetched_at = utcnow()

    # --- sessions ----------------------------------------------------------------------------------

    def save_session(self, plan: SessionPlan, params: dict[str, Any] | None = None) -> int:
        """Store a session plan with its items; returns the new session id."""
        with self.transaction() as s:
            row = SessionRow(
                name=plan.name or f"{plan.arc_name} {plan.target_minutes:g} min",
                arc=plan.arc_name,
                target_minutes=plan.target_minutes,
                seed=plan.seed,
                patient_code=plan.patient_code,
                total_s=plan.total_s,
                costs=dict(plan.costs),
                params=dict(params or {}),
            )
            if plan.created_at is not None:
                row.created_at = plan.created_at
            row.items = [convert.session_item_row(item) for item in plan.items]
            s.add(row)
            s.flush()
            return row.id

    def get_session(self, session_id: int) -> SessionPlan:
        """A saved session; NotFoundError if there is none with that id."""
        with self.transaction() as s:
            row = s.get(SessionRow, session_id)
            if row is None:
                raise NotFoundError(f"no session with id {session_id} (see `playlist-builder session list`)")
            return convert.session_from_row(row)

    def session_params(self, session_id: int) -> dict[str, Any]:
        """The build parameters a session was saved with."""
        with self.transaction() as s:
            row = s.get(SessionRow, session_id)
            if row is None:
                raise NotFoundError(f"no session with id {session_id}")
            return dict(row.params or {})

    def list_sessions(
        self, *, patient_code: str | None = None, limit: int | None = None
    ) -> list[SessionPlan]:
        """Saved sessions, newest first."""
        stmt = select(SessionRow).order_by(SessionRow.created_at.desc(), SessionRow.id.desc())
        if patient_code is not None:
            stmt = stmt.where(SessionRow.patient_code == patient_code)
        if limit is not None:
            stmt = stmt.limit(limit)
        with self.transaction() as s:
            return [convert.session_from_row(r) for r in s.scalars(stmt)]

    def recent_patient_track_ids(self, patient_code: str, sessions: int) -> list[int]:
        """Track ids used in a patient's last `sessions` sessions (newest session first)."""
        ids: list[int] = []
        for plan in self.list_sessions(patient_code=patient_code, limit=sessions):
            ids.extend(item.track_id for item in plan.items)
        return ids

    def delete_session(self, session_id: int) -> None:
        """Remove a session and its items and sync records."""
        with self.transaction() as s:
            s.execute(delete(SessionRow).where(SessionRow.id == session_id))

    # --- syncs -------------------------------------------------------------------------------------

    def record_sync(
        self,
        session_id: int,
        kind: str,
        target: str,
        *,
        external_id: str | None = None,
        snapshot: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> int:
        """Record that a session was exported or synced somewhere."""
        with self.transaction() as s:
            row = SyncRow(
                session_id=session_id,
                kind=kind,
                target=target,
                external_id=external_id,
                snapshot=snapshot,
                details=dict(details or {}),
            )
            s.add(row)
            s.flush()
            return row.id

    def syncs(self, session_id: int, *, kind: str | None = None) -> list[SyncRecord]:
        """A session's exports and syncs, newest first."""
        stmt = select(SyncRow).where(SyncRow.session_id == session_id)
        if kind is not None:
            stmt = stmt.where(SyncRow.kind == kind)
        stmt = stmt.order_by(SyncRow.created_at.desc(), SyncRow.id.desc())
        with self.transaction() as s:
            return [
                SyncRecord(
                    r.id,
                    r.session_id,
                    r.kind,
                    r.target,
                    r.external_id,
                    r.snapshot,
                    dict(r.details or {}),
                    r.created_at,
                )
                for r in s.scalars(stmt)
            ]


def _fetch_plain_rows(session: Session, stmt: Select[Any]) -> list[tuple[Any, ...]]:
    """All rows of `stmt` as the database driver returns them: plain tuples, no SQLAlchemy Row objects.

    For bulk reads of plain columns (ints, floats, text) only: building a Row per row costs as much as
    the query itself at 100,000 rows. No type processing is applied to the values.
    """
    connection = session.connection()
    compiled = stmt.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.construct_params()
    args: Any = tuple(params[name] for name in compiled.positiontup or ()) if compiled.positional else params
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(str(compiled), args)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def _finite_or_none(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _features_values(
    features: Features | None,
    error: str | None,
    file_size: int | None,
    file_mtime: float | None,
    analyzer_version: str,
) -> dict[str, Any]:
    """The `features` row's columns for one analysis (or for the reason it failed)."""
    values: dict[str, Any] = {
        "analyzer_version": analyzer_version,
        "file_size": file_size,
        "file_mtime": file_mtime,
        "error": error,
        "analysed_at": utcnow(),
        "data": None,
        "energy": None,
        "integrated_lufs": None,
        "tempo_bpm": None,
        "vocal_probability": None,
    }
    if features is not None:
        values.update(
            data=convert.features_to_json(features),
            energy=features.energy,
            integrated_lufs=_finite_or_none(features.integrated_lufs),
            tempo_bpm=_finite_or_none(features.tempo_bpm),
            vocal_probability=features.vocal_probability,
        )
    return values


def _classification_values(classification: Classification, input_hash: str) -> dict[str, Any]:
    """The `classifications` row's columns for one verdict."""
    secondary = classification.secondary_category
    return {
        "category": classification.category.value,
        "secondary_category": secondary.value if secondary else None,
        "lyrics": classification.lyrics.value,
        "energy": classification.energy,
        "energy_estimated": classification.energy_estimated,
        "confidence": classification.confidence,
        "reasons": [convert.evidence_to_json(e) for e in classification.reasons],
        "review_reasons": list(classification.review_reasons),
        "rules_version": classification.rules_version,
        "input_hash": input_hash,
        "classified_at": utcnow(),
    }


def in_chunks(values: Sequence[Any], size: int = CHUNK_SIZE) -> Iterator[list[Any]]:
    """Split values into pieces small enough for an SQL IN list (databases limit bound parameters)."""
    for start in range(0, len(values), size):
        yield list(values[start : start + size])
