"""Schema migrations: a cheap version check on every open; Alembic only when the schema must change.

Opening an up-to-date database reads `alembic_version` with one plain query and compares it with the
newest revision named in the migration files, so everyday commands never import Alembic (about a
third of a second). When a migration is needed it runs under a lock (an immediate SQLite write
transaction, a PostgreSQL advisory lock) and looks at the version again inside the lock, so two
commands started at once on a new database do not both try to create it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, inspect, text

from playlist_builder.db.revisions import MIGRATIONS_DIR, VERSION_TABLE, ShippedRevisions, shipped_revisions
from playlist_builder.db.revisions import VERSIONS_DIR as VERSIONS_DIR  # re-exported
from playlist_builder.errors import DatabaseUnusableError

if TYPE_CHECKING:
    from alembic.config import Config

# Any fixed 64-bit number: every playlist-builder process migrating one PostgreSQL database takes
# the same advisory lock, so only one migrates and the others wait, then find the schema current.
PG_MIGRATION_LOCK_KEY = 0x706C_6179_6C69_7374  # "playlist" in ASCII, as a number


def alembic_config(engine: Engine | None = None) -> Config:
    """An Alembic config pointing at our migrations (and at `engine`'s connection when given)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        # the option is read through configparser, where "%" starts an interpolation (a folder named
        # "50%" would otherwise stop the migration with a ValueError)
        url = engine.url.render_as_string(hide_password=False)
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str:
    """The newest migration revision shipped with this version."""
    head = shipped_revisions().head
    if head is not None:
        return head
    from alembic.script import ScriptDirectory

    alembic_head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert alembic_head is not None
    return alembic_head


def _stored_revision(connection: Connection) -> tuple[str | None, bool]:
    """(the revision recorded in the database, whether it holds any other table)."""
    tables = set(inspect(connection).get_table_names())
    if VERSION_TABLE not in tables:
        return None, bool(tables)
    version = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()
    return (str(version) if version is not None else None), True


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None for an empty database)."""
    with engine.connect() as connection:
        return _stored_revision(connection)[0]


def _check_usable(revision: str | None, has_tables: bool, shipped: ShippedRevisions, where: str) -> None:
    """Refuse a database made by something else, or by a newer playlist-builder."""
    if revision is None and has_tables:
        raise DatabaseUnusableError(
            f"cannot open database {where}: not a playlist-builder database (it holds other tables and "
            "no playlist-builder schema); check --db / PLAYLIST_BUILDER_DB"
        )
    if revision is not None and revision not in shipped.known:
        raise DatabaseUnusableError(
            f"cannot open database {where}: made by a newer version of playlist-builder (schema "
            f"{revision}); upgrade playlist-builder to use it"
        )


def upgrade_to_head(engine: Engine, where: str | None = None) -> str | None:
    """Bring the schema up to date in place; returns the revision found first (None: created now).

    Nothing but one query runs when the schema is current. Otherwise the migration runs under a
    lock and re-reads the version inside it, so concurrent first use migrates exactly once.
    """
    where = where or engine.url.render_as_string(hide_password=True)
    shipped = shipped_revisions()
    head = head_revision()
    with engine.connect() as connection:
        revision, has_tables = _stored_revision(connection)
    _check_usable(revision, has_tables, shipped, where)
    if revision == head:
        return revision
    return _migrate_locked(engine, head, shipped, where)


def _migrate_locked(engine: Engine, head: str, shipped: ShippedRevisions, where: str) -> str | None:
    """Take the migration lock, look again, and run Alembic only if the schema is still behind."""
    with engine.connect() as connection:
        _LOCKS.get(engine.dialect.name, _no_lock)(connection)
        revision, has_tables = _stored_revision(connection)
        _check_usable(revision, has_tables, shipped, where)
        if revision != head:
            _run_alembic(engine, connection)
        connection.commit()
    return revision


def _lock_sqlite(connection: Connection) -> None:
    # An immediate transaction takes SQLite's write lock now (others wait on the busy timeout);
    # SQLite's DDL is transactional, so the whole migration commits or vanishes as one.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _lock_postgresql(connection: Connection) -> None:
    # Held until this transaction ends; PostgreSQL's DDL is transactional too.
    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_MIGRATION_LOCK_KEY})


def _no_lock(connection: Connection) -> None:
    return None


_LOCKS: dict[str, Callable[[Connection], None]] = {"sqlite": _lock_sqlite, "postgresql": _lock_postgresql}


def _run_alembic(engine: Engine, connection: Connection) -> None:
    """Upgrade on `connection`, inside the transaction the caller holds (Alembic joins it)."""
    from alembic import command

    config = alembic_config(engine)
    attributes: dict[str, Any] = config.attributes
    attributes["connection"] = connection
    command.upgrade(config, "head")
