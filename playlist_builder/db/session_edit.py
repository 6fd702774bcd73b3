"""Editing a saved session in place (rename, replace its plan after a swap), through Library transactions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, update

from playlist_builder.db import convert
from playlist_builder.db.library import Library
from playlist_builder.db.schema import SessionItemRow, SessionRow
from playlist_builder.errors import NotFoundError
from playlist_builder.model import SessionPlan


def rename_session(library: Library, session_id: int, name: str) -> None:
    """Give a saved session a new name."""
    with library.transaction() as s:
        result = s.execute(update(SessionRow).where(SessionRow.id == session_id).values(name=name))
        if result.rowcount == 0:
            raise NotFoundError(f"no session with id {session_id}")


def replace_session_plan(
    library: Library, session_id: int, plan: SessionPlan, params: dict[str, Any]
) -> None:
    """Replace a session's items, totals and parameters (same id, name, patient code and date)."""
    with library.transaction() as s:
        row = s.get(SessionRow, session_id)
        if row is None:
            raise NotFoundError(f"no session with id {session_id}")
        s.execute(delete(SessionItemRow).where(SessionItemRow.session_id == session_id))
        s.flush()
        s.expire(row, ["items"])
        row.total_s = plan.total_s
        row.costs = dict(plan.costs)
        row.params = dict(params)
        for item in plan.items:
            item_row = convert.session_item_row(item)
            item_row.session_id = session_id
            s.add(item_row)
