"""features.tempo_bpm as a real column (the sequencer loads it without decoding the JSON record)

Revision ID: 0003
Revises: 0002 (re-chained when the safety branch merged: 0002 comes first)
Create Date: 2026-12-01 12:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the column and fill it from each stored record."""
    with op.batch_alter_table("features") as batch:
        batch.add_column(sa.Column("tempo_bpm", sa.Float(), nullable=True))
    features = sa.table("features", sa.column("tempo_bpm", sa.Float()), sa.column("data", sa.JSON()))
    op.execute(
        features.update()
        .where(features.c.data.is_not(None))
        .values(tempo_bpm=features.c.data["tempo_bpm"].as_float())
    )


def downgrade() -> None:
    """Drop the column (the value stays in the JSON record)."""
    with op.batch_alter_table("features") as batch:
        batch.drop_column("tempo_bpm")
