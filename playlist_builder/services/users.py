"""Accounts of the clinic app: create, list and check passwords (argon2id hashes, never plain text)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from playlist_builder.db import accounts
from playlist_builder.db.library import Library
from playlist_builder.errors import InputError

CLINICIAN = "clinician"  # reviews tracks and decides (approve, ban, set category); may also build
STAFF = "staff"  # builds sessions and exports them; cannot decide about tracks
ROLES = (CLINICIAN, STAFF)
# Account names are short handles, not people's full names: letters, digits, dot, dash, underscore.
USER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
# NIST SP 800-63B asks for at least 8 characters for memorised secrets chosen by the user.
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024  # a bound so one request cannot make the hasher chew megabytes
# A hash of a random password, checked when the name is unknown so a wrong name costs as long as a
# wrong password (the response time does not tell which names exist).
_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash("no-such-account-placeholder")


@dataclass(frozen=True)
class User:
    """A signed-in person (or the local single user): a name and a role."""

    name: str
    role: str

    @property
    def can_decide(self) -> bool:
        """Clinicians review and decide about tracks."""
        return self.role == CLINICIAN

    @property
    def can_build(self) -> bool:
        """Staff and clinicians build, edit and export sessions."""
        return self.role in (CLINICIAN, STAFF)


def check_name(name: str) -> str:
    """The name if it is a valid account name; InputError otherwise."""
    if not USER_NAME.match(name or ""):
        raise InputError(
            "an account name is 1-64 letters, digits, dots, dashes or underscores, starting with a letter "
            "or digit"
        )
    return name


def check_role(role: str) -> str:
    """The role if it is one of ROLES; InputError otherwise."""
    if role not in ROLES:
        raise InputError(f"the role must be one of {', '.join(ROLES)}, not {role!r}")
    return role


def check_password(password: str) -> str:
    """The password if it is long enough (and not absurdly long); InputError otherwise."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputError(f"the password must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InputError(f"the password must be at most {MAX_PASSWORD_LENGTH} characters")
    return password


def add_user(library: Library, name: str, role: str, password: str) -> User:
    """Create an account with an argon2id hash of its password."""
    check_name(name)
    check_role(role)
    check_password(password)
    accounts.add_user(library, name, role, _HASHER.hash(password))
    return User(name, role)


def authenticate(library: Library, name: str, password: str) -> User | None:
    """The account when name and password match, else None (same work either way)."""
    if len(password) > MAX_PASSWORD_LENGTH:
        return None
    record = accounts.find_user(library, name) if USER_NAME.match(name or "") else None
    try:
        _HASHER.verify(record.password_hash if record else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if record is None:
        return None
    if _HASHER.check_needs_rehash(record.password_hash):
        accounts.set_password_hash(library, name, _HASHER.hash(password))
    return User(record.name, record.role)


def list_users(library: Library) -> list[User]:
    """Every account (name and role), by name."""
    return [User(record.name, record.role) for record in accounts.list_users(library)]


def has_accounts(library: Library) -> bool:
    """Whether any account exists (then every request needs a sign-in)."""
    return accounts.count_users(library) > 0
