"""The migration revisions shipped with this version, read from the files' header lines: no SQLAlchemy.

`db/migrate.py` compares them with the database's `alembic_version` on every open; the quick read-only
path (`db/reader.py`) does the same before it reads a SQLite file with the standard library alone.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSIONS_DIR = MIGRATIONS_DIR / "versions"
VERSION_TABLE = "alembic_version"
_REVISION_LINE = re.compile(r"^revision\b[^=\n]*=\s*(?P<value>.+)$", re.MULTILINE)
_DOWN_REVISION_LINE = re.compile(r"^down_revision\b[^=\n]*=\s*(?P<value>.+)$", re.MULTILINE)
_QUOTED = re.compile(r"""["']([^"']+)["']""")


@dataclass(frozen=True)
class ShippedRevisions:
    """The migration revisions shipped with this version, read from the files' header lines."""

    known: frozenset[str]
    head: str | None  # None when the graph has several heads (then Alembic is asked)


@functools.cache
def shipped_revisions(versions_dir: Path = VERSIONS_DIR) -> ShippedRevisions:
    """Every revision id in the migration files, and the one no other revision builds on."""
    known: set[str] = set()
    parents: set[str] = set()
    for path in sorted(versions_dir.glob("*.py")):
        source = path.read_text(encoding="utf-8")
        revision = _REVISION_LINE.search(source)
        if revision is None:
            continue
        known.update(_QUOTED.findall(revision.group("value"))[:1])
        down = _DOWN_REVISION_LINE.search(source)
        if down is not None:
            parents.update(_QUOTED.findall(down.group("value")))
    heads = known - parents
    return ShippedRevisions(frozenset(known), next(iter(heads)) if len(heads) == 1 else None)
