"""Accounts of the clinic app in the database (users table), through the Library's transactions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from playlist_builder.db.library import Library
from playlist_builder.db.schema import UserRow
from playlist_builder.errors import InputError


@dataclass(frozen=True)
class UserRecord:
    """One stored account (the hash is never shown; it is only compared)."""

    id: int
    name: str
    role: str
    password_hash: str
    created_at: datetime


def _record(row: UserRow) -> UserRecord:
    return UserRecord(row.id, row.name, row.role, row.password_hash, row.created_at)


def add_user(library: Library, name: str, role: str, password_hash: str) -> int:
    """Store a new account; InputError when the name is taken."""
    with library.transaction() as s:
        if s.scalar(select(UserRow.id).where(UserRow.name == name)) is not None:
            raise InputError(f"an account named {name!r} already exists")
        row = UserRow(name=name, role=role, password_hash=password_hash)
        s.add(row)
        s.flush()
        return row.id


def set_password_hash(library: Library, name: str, password_hash: str) -> None:
    """Replace an account's password hash (after a rehash or a password change)."""
    with library.transaction() as s:
        row = s.scalar(select(UserRow).where(UserRow.name == name))
        if row is not None:
            row.password_hash = password_hash


def find_user(library: Library, name: str) -> UserRecord | None:
    """The account with this name, or None."""
    with library.transaction() as s:
        row = s.scalar(select(UserRow).where(UserRow.name == name))
        return _record(row) if row is not None else None


def list_users(library: Library) -> list[UserRecord]:
    """Every account, by name."""
    with library.transaction() as s:
        return [_record(row) for row in s.scalars(select(UserRow).order_by(UserRow.name))]


def count_users(library: Library) -> int:
    """How many accounts exist."""
    with library.transaction() as s:
        return int(s.scalar(select(func.count(UserRow.id))) or 0)
