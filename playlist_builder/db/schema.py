"""SQLAlchemy 2 typed ORM tables. Every change here needs an Alembic migration in db/migrations."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Timezone-aware now, for row timestamps."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base with stable constraint names (so migrations work on SQLite and PostgreSQL)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}  # noqa: RUF012


class RootRow(Base):
    """A folder (or single file) the clinic registered as music to scan."""

    __tablename__ = "roots"
    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(Text, unique=True)
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_scan_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class TrackRow(Base):
    """One playable item. `identity` is unique: source and source key in one string.

    A local file's source key is its resolved absolute path, so a file is one row however it was
    reached (from its own folder, a parent folder, or on its own); `root_id` is the root that last
    scanned it. `fingerprint` (size and a hash of sampled blocks) recognises the file after a move.
    """

    __tablename__ = "tracks"
    id: Mapped[int] = mapped_column(primary_key=True)
    identity: Mapped[str] = mapped_column(Text, unique=True)
    source: Mapped[str] = mapped_column(String(16), index=True)
    source_key: Mapped[str] = mapped_column(Text)
    root_id: Mapped[int | None] = mapped_column(ForeignKey("roots.id", ondelete="CASCADE"), index=True)
    fingerprint: Mapped[str | None] = mapped_column(String(64), index=True)
    title: Mapped[str] = mapped_column(Text)
    artist: Mapped[str | None] = mapped_column(Text)
    album_artist: Mapped[str | None] = mapped_column(Text)
    album: Mapped[str | None] = mapped_column(Text)
    genre: Mapped[str | None] = mapped_column(Text)
    composer: Mapped[str | None] = mapped_column(Text)
    track_number: Mapped[int | None] = mapped_column(Integer)
    duration_s: Mapped[float | None] = mapped_column(Float)
    sample_rate: Mapped[int | None] = mapped_column(Integer)
    channels: Mapped[int | None] = mapped_column(Integer)
    isrc: Mapped[str | None] = mapped_column(String(32), index=True)
    bpm: Mapped[float | None] = mapped_column(Float)
    comment: Mapped[str | None] = mapped_column(Text)
    has_embedded_lyrics: Mapped[bool] = mapped_column(Boolean, default=False)
    has_lrc_sidecar: Mapped[bool] = mapped_column(Boolean, default=False)
    file_format: Mapped[str | None] = mapped_column(String(16))
    size: Mapped[int | None] = mapped_column(Integer)
    mtime: Mapped[float | None] = mapped_column(Float)
    missing: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    scan_error: Mapped[str | None] = mapped_column(Text)
    explicit: Mapped[bool | None] = mapped_column(Boolean)
    spotify_uri: Mapped[str | None] = mapped_column(Text)
    linked_track_id: Mapped[int | None] = mapped_column(ForeignKey("tracks.id", ondelete="SET NULL"))
    curated_library: Mapped[str | None] = mapped_column(Text)
    curated_category: Mapped[str | None] = mapped_column(String(16))
    curated_note: Mapped[str | None] = mapped_column(Text)
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    root: Mapped[RootRow | None] = relationship(lazy="joined")


class FeaturesRow(Base):
    """Audio measurements of one local file; `error` set when nothing could decode it."""

    __tablename__ = "features"
    track_id: Mapped[int] = mapped_column(ForeignKey("tracks.id", ondelete="CASCADE"), primary_key=True)
    analyzer_version: Mapped[str] = mapped_column(String(128))
    file_size: Mapped[int | None] = mapped_column(Integer)
    file_mtime: Mapped[float | None] = mapped_column(Float)
    energy: Mapped[float | None] = mapped_column(Float)
    integrated_lufs: Mapped[float | None] = mapped_column(Float)
    tempo_bpm: Mapped[float | None] = mapped_column(Float)  # a column for the sequencer's one-query load
    vocal_probability: Mapped[float | None] = mapped_column(Float)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    # Why the file is damaged (its audio does not decode to its stated length), or None when intact.
    damage: Mapped[str | None] = mapped_column(Text)
    analysed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ClassificationRow(Base):
    """The engine's latest verdict on a track; `input_hash` says what it was computed from."""

    __tablename__ = "classifications"
    track_id: Mapped[int] = mapped_column(ForeignKey("tracks.id", ondelete="CASCADE"), primary_key=True)
    category: Mapped[str] = mapped_column(String(16), index=True)
    secondary_category: Mapped[str | None] = mapped_column(String(16))
    lyrics: Mapped[str] = mapped_column(String(16), index=True)
    energy: Mapped[float] = mapped_column(Float)
    energy_estimated: Mapped[bool] = mapped_column(Boolean, default=False)
    confidence: Mapped[float] = mapped_column(Float)
    reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    review_reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    rules_version: Mapped[str] = mapped_column(String(64))
    input_hash: Mapped[str] = mapped_column(String(64))
    classified_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class OverrideRow(Base):
    """A clinician decision. Never touched by re-classification; `undone_at` marks a revert."""

    __tablename__ = "overrides"
    id: Mapped[int] = mapped_column(primary_key=True)
    track_id: Mapped[int] = mapped_column(ForeignKey("tracks.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    category: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    undone_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(64))  # account name; None before accounts


class LookupRow(Base):
    """Cached answer of an online service (LRCLIB, MusicBrainz, Spotify search) for one key."""

    __tablename__ = "lookups"
    __table_args__ = (UniqueConstraint("service", "key", name="uq_lookups_service_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    service: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))  # found | not-found | error
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    fetched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SessionRow(Base):
    """A saved session plan. Carries an opaque patient code at most, never a name."""

    __tablename__ = "sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    arc: Mapped[str] = mapped_column(String(64))
    target_minutes: Mapped[float] = mapped_column(Float)
    seed: Mapped[int] = mapped_column(Integer)
    patient_code: Mapped[str | None] = mapped_column(String(64), index=True)
    total_s: Mapped[float] = mapped_column(Float)
    costs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    items: Mapped[list[SessionItemRow]] = relationship(
        back_populates="session", order_by="SessionItemRow.position", cascade="all, delete-orphan"
    )


class SessionItemRow(Base):
    """One track in a session, in play order."""

    __tablename__ = "session_items"
    __table_args__ = (Index("ix_session_items_session_position", "session_id", "position", unique=True),)
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    track_id: Mapped[int] = mapped_column(ForeignKey("tracks.id", ondelete="RESTRICT"), index=True)
    phase: Mapped[str] = mapped_column(String(64))
    start_s: Mapped[float] = mapped_column(Float)
    duration_s: Mapped[float] = mapped_column(Float)
    crossfade_in_s: Mapped[float] = mapped_column(Float)
    crossfade_out_s: Mapped[float] = mapped_column(Float)
    energy: Mapped[float] = mapped_column(Float)
    category: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    costs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    session: Mapped[SessionRow] = relationship(back_populates="items")


class SyncRow(Base):
    """Where a session was exported or synced, and when (m3u, device, mix, sheet, spotify)."""

    __tablename__ = "syncs"
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(Text)
    external_id: Mapped[str | None] = mapped_column(Text)
    snapshot: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class UserRow(Base):
    """An account of the clinic app: a clinician (reviews and decides) or staff (builds and exports)."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
