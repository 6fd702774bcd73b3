"""Conversions between ORM rows / JSON and the frozen model types."""

from __future__ import annotations

import math
from dataclasses import asdict, fields
from typing import TYPE_CHECKING, Any

from playlist_builder.model import (
    AmplitudeBeat,
    AudioProblem,
    BinauralBeat,
    BrainwaveBand,
    Category,
    Classification,
    EarWindow,
    Evidence,
    Features,
    LyricsStatus,
    Override,
    OverrideAction,
    PlanItem,
    SessionPlan,
    Source,
    Track,
)

if TYPE_CHECKING:  # the rows are read by attribute: `db/reader.py` passes plain rows without SQLAlchemy
    from playlist_builder.db.schema import (
        ClassificationRow,
        OverrideRow,
        SessionItemRow,
        SessionRow,
        TrackRow,
    )

TRACK_COLUMNS = (
    "title",
    "artist",
    "album_artist",
    "album",
    "genre",
    "composer",
    "track_number",
    "duration_s",
    "sample_rate",
    "channels",
    "isrc",
    "bpm",
    "comment",
    "has_embedded_lyrics",
    "has_lrc_sidecar",
    "file_format",
    "size",
    "mtime",
    "missing",
    "scan_error",
    "explicit",
    "spotify_uri",
    "linked_track_id",
    "curated_library",
    "curated_note",
)


def track_identity(source: Source | str, source_key: str) -> str:
    """The unique identity string of a track row: source and key (a local file's resolved path)."""
    return f"{Source(source).value}::{source_key}"


def track_from_row(row: TrackRow) -> Track:
    """A frozen Track from its row."""
    values = {name: getattr(row, name) for name in TRACK_COLUMNS}
    return Track(
        id=row.id,
        source=Source(row.source),
        source_key=row.source_key,
        root_path=row.root.path if row.root is not None else None,
        curated_category=Category(row.curated_category) if row.curated_category else None,
        **values,
    )


def apply_track_to_row(row: TrackRow, track: Track) -> None:
    """Copy a Track's metadata onto its row."""
    for name in TRACK_COLUMNS:
        if name == "linked_track_id" and track.linked_track_id is None:
            continue  # a rescan must not drop a link made by matching
        if name == "spotify_uri" and track.spotify_uri is None and track.source is not Source.SPOTIFY:
            continue
        setattr(row, name, getattr(track, name))
    row.curated_category = track.curated_category.value if track.curated_category else None


def new_track_values(track: Track, identity: str, root_id: int | None) -> dict[str, Any]:
    """Column values of a new track row (for a bulk insert)."""
    from playlist_builder.db.schema import utcnow

    now = utcnow()
    values: dict[str, Any] = {name: getattr(track, name) for name in TRACK_COLUMNS}
    values.update(
        identity=identity,
        source=track.source.value,
        source_key=track.source_key,
        root_id=root_id,
        curated_category=track.curated_category.value if track.curated_category else None,
        added_at=now,
        updated_at=now,
    )
    return values


def _finite(value: Any) -> Any:
    """JSON cannot hold inf/nan: store them as None."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def features_to_json(features: Features) -> dict[str, Any]:
    """A JSON-safe dict of Features."""
    return _finite(asdict(features))


def features_from_json(data: dict[str, Any]) -> Features:
    """Features rebuilt from `features_to_json` output (unknown keys ignored, missing ones defaulted)."""
    known = {f.name for f in fields(Features)}
    values = {k: v for k, v in data.items() if k in known}
    for name in ("integrated_lufs", "true_peak_dbtp"):
        if values.get(name) is None:
            values[name] = -math.inf
    if values.get("binaural"):
        b = values["binaural"]
        values["binaural"] = BinauralBeat(
            carrier_hz=b["carrier_hz"], beat_hz=b["beat_hz"], band=BrainwaveBand(b["band"]), share=b["share"]
        )
    if values.get("amplitude_beat"):
        a = values["amplitude_beat"]
        values["amplitude_beat"] = AmplitudeBeat(
            kind=a["kind"],
            carrier_hz=a["carrier_hz"],
            rate_hz=a["rate_hz"],
            band=BrainwaveBand(a["band"]),
            share=a["share"],
        )
    values["vocal_windows"] = tuple(values.get("vocal_windows") or ())
    values["sampling_plan"] = tuple(tuple(w) for w in values.get("sampling_plan") or ())
    values["ear_windows"] = tuple(
        EarWindow(
            detector=w["detector"],
            start_s=w["start_s"],
            end_s=w["end_s"],
            scores={k: (v if v is not None else 0.0) for k, v in (w.get("scores") or {}).items()},
        )
        for w in values.get("ear_windows") or ()
    )
    for name in ("nature_parts", "tags"):
        values[name] = {k: (v if v is not None else 0.0) for k, v in (values.get(name) or {}).items()}
    values["decode_problems"] = tuple(
        AudioProblem(
            kind=p["kind"],
            start_s=p.get("start_s"),
            count=int(p.get("count") or 1),
            peak_s=p.get("peak_s"),
            detail=p.get("detail") or "",
        )
        for p in values.get("decode_problems") or ()
    )
    return Features(**values)


def evidence_to_json(evidence: Evidence) -> dict[str, Any]:
    """A JSON dict of one Evidence."""
    return asdict(evidence)


def evidence_from_json(data: dict[str, Any]) -> Evidence:
    """An Evidence from its JSON dict."""
    return Evidence(
        source=data["source"],
        aspect=data["aspect"],
        claim=str(data["claim"]),
        weight=float(data["weight"]),
        detail=data.get("detail", ""),
        detector=data.get("detector", ""),
        windows=tuple((float(start), float(end)) for start, end in data.get("windows") or ()),
    )


def classification_from_row(row: ClassificationRow) -> Classification:
    """A frozen Classification from its row."""
    return Classification(
        category=Category(row.category),
        secondary_category=Category(row.secondary_category) if row.secondary_category else None,
        lyrics=LyricsStatus(row.lyrics),
        energy=row.energy,
        energy_estimated=row.energy_estimated,
        confidence=row.confidence,
        rules_version=row.rules_version,
        reasons=tuple(evidence_from_json(r) for r in row.reasons or ()),
        review_reasons=tuple(row.review_reasons or ()),
    )


def override_from_row(row: OverrideRow) -> Override:
    """A frozen Override from its row."""
    return Override(
        id=row.id,
        track_id=row.track_id,
        action=OverrideAction(row.action),
        category=Category(row.category) if row.category else None,
        note=row.note,
        created_at=row.created_at,
        undone_at=row.undone_at,
        decided_by=row.decided_by,
    )


def session_item_row(item: PlanItem) -> SessionItemRow:
    """A new row for one placed track (its session is set by the caller or the relationship)."""
    from playlist_builder.db.schema import SessionItemRow

    return SessionItemRow(
        position=item.position,
        track_id=item.track_id,
        phase=item.phase,
        start_s=item.start_s,
        duration_s=item.duration_s,
        crossfade_in_s=item.crossfade_in_s,
        crossfade_out_s=item.crossfade_out_s,
        energy=item.energy,
        category=item.category.value,
        reason=item.reason,
        costs=dict(item.costs),
    )


def session_from_row(row: SessionRow) -> SessionPlan:
    """A frozen SessionPlan from its row and items."""
    items = tuple(
        PlanItem(
            position=item.position,
            track_id=item.track_id,
            phase=item.phase,
            start_s=item.start_s,
            duration_s=item.duration_s,
            crossfade_in_s=item.crossfade_in_s,
            crossfade_out_s=item.crossfade_out_s,
            energy=item.energy,
            category=Category(item.category),
            reason=item.reason,
            costs=dict(item.costs or {}),
        )
        for item in row.items
    )
    return SessionPlan(
        id=row.id,
        name=row.name,
        arc_name=row.arc,
        target_minutes=row.target_minutes,
        seed=row.seed,
        patient_code=row.patient_code,
        items=items,
        total_s=row.total_s,
        costs=dict(row.costs or {}),
        created_at=row.created_at,
    )
