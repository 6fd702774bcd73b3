"""one row per local file: resolved-path keys, fingerprints, damage; duplicate rows merged

A local file used to be keyed by (root, path relative to the root), so scanning a folder and then its
parent made a second row for every file in it, and a clinician's ban on one row did not reach the
other. From here on a local file's key is its resolved absolute path. Rows that name the same file are
merged into the oldest one:

- decisions: every decision moves to the kept row; when the copies disagree the strictest wins
  (ban > hold > approve): a ban on any copy bans the file, and an approval stands only when every
  copy was approved (otherwise the file is held for review again: the approvals are marked undone);
- session items and links (curated rows linked to a copy) are repointed to the kept row;
- features and classification are kept from the kept row, or taken from a copy when it has none.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MERGE_NOTE = "undone when duplicate rows of one file were merged: not every copy was approved"

tracks = sa.table(
    "tracks",
    sa.column("id", sa.Integer),
    sa.column("identity", sa.Text),
    sa.column("source", sa.String),
    sa.column("source_key", sa.Text),
    sa.column("root_id", sa.Integer),
    sa.column("missing", sa.Boolean),
    sa.column("linked_track_id", sa.Integer),
)
roots = sa.table("roots", sa.column("id", sa.Integer), sa.column("path", sa.Text))
overrides = sa.table(
    "overrides",
    sa.column("id", sa.Integer),
    sa.column("track_id", sa.Integer),
    sa.column("action", sa.String),
    sa.column("note", sa.Text),
    sa.column("undone_at", sa.DateTime(timezone=True)),
)
session_items = sa.table("session_items", sa.column("track_id", sa.Integer))
features = sa.table("features", sa.column("track_id", sa.Integer))
classifications = sa.table("classifications", sa.column("track_id", sa.Integer))


def resolved_path(root: str, key: str) -> str:
    """The resolved absolute path a (root, relative key) pair named."""
    path = root if key in ("", ".") else os.path.join(root, key)
    return os.path.realpath(path)


def upgrade() -> None:
    """Add the new columns, then merge duplicate rows and re-key local files by resolved path."""
    with op.batch_alter_table("tracks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fingerprint", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_tracks_fingerprint"), ["fingerprint"], unique=False)
    with op.batch_alter_table("features", schema=None) as batch_op:
        batch_op.add_column(sa.Column("damage", sa.Text(), nullable=True))
    merge_duplicate_files(op.get_bind())


def merge_duplicate_files(bind: sa.Connection) -> None:
    """Merge local rows that name the same file, then key every local row by its resolved path."""
    root_paths = dict(bind.execute(sa.select(roots.c.id, roots.c.path)).all())
    rows = bind.execute(
        sa.select(tracks.c.id, tracks.c.source_key, tracks.c.root_id, tracks.c.missing)
        .where(tracks.c.source == "local")
        .order_by(tracks.c.id)
    ).all()
    groups: dict[str, list[tuple[int, bool]]] = defaultdict(list)
    for track_id, key, root_id, missing in rows:
        root = root_paths.get(root_id)
        path = resolved_path(root, key) if root is not None else os.path.realpath(key)
        groups[path].append((track_id, bool(missing)))
    for path, members in groups.items():
        keep = members[0][0]
        dropped = [track_id for track_id, _ in members[1:]]
        if dropped:
            _merge(bind, keep, dropped, all_missing=all(missing for _, missing in members))
        bind.execute(
            sa.update(tracks).where(tracks.c.id == keep).values(identity=f"local::{path}", source_key=path)
        )


def _active(action: str) -> sa.ColumnElement[bool]:
    return sa.and_(overrides.c.action == action, overrides.c.undone_at.is_(None))


def _merge(bind: sa.Connection, keep: int, dropped: list[int], *, all_missing: bool) -> None:
    """Fold the rows `dropped` into `keep` (see the module docstring for who wins)."""
    members = [keep, *dropped]
    approved = {
        track_id
        for (track_id,) in bind.execute(
            sa.select(overrides.c.track_id).where(overrides.c.track_id.in_(members), _active("approve"))
        )
    }
    bind.execute(sa.update(overrides).where(overrides.c.track_id.in_(dropped)).values(track_id=keep))
    if approved and approved != set(members):
        bind.execute(
            sa.update(overrides)
            .where(overrides.c.track_id == keep, _active("approve"))
            .values(
                undone_at=datetime.now(UTC),
                note=sa.func.coalesce(overrides.c.note + "; ", "") + MERGE_NOTE,  # the clinician's note stays
            )
        )
    bind.execute(sa.update(session_items).where(session_items.c.track_id.in_(dropped)).values(track_id=keep))
    bind.execute(sa.update(tracks).where(tracks.c.linked_track_id.in_(dropped)).values(linked_track_id=keep))
    for table in (features, classifications):
        has_own = bind.execute(sa.select(table.c.track_id).where(table.c.track_id == keep)).first()
        if has_own is None:
            donor = bind.execute(
                sa.select(table.c.track_id).where(table.c.track_id.in_(dropped)).order_by(table.c.track_id)
            ).first()
            if donor is not None:
                bind.execute(sa.update(table).where(table.c.track_id == donor[0]).values(track_id=keep))
        bind.execute(sa.delete(table).where(table.c.track_id.in_(dropped)))
    bind.execute(sa.update(tracks).where(tracks.c.id == keep).values(missing=all_missing))
    bind.execute(sa.delete(tracks).where(tracks.c.id.in_(dropped)))


def downgrade() -> None:
    """Drop the new columns (merged rows stay merged: that cannot be undone)."""
    with op.batch_alter_table("features", schema=None) as batch_op:
        batch_op.drop_column("damage")
    with op.batch_alter_table("tracks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tracks_fingerprint"))
        batch_op.drop_column("fingerprint")
