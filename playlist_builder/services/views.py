"""Read-only views of tracks and decisions: frozen dataclasses with an `as_json()` for `--json`.

A view carries the effective verdict (after clinician decisions), every reason with its detector and
the audio windows it is about, and whether the track may enter a session by the one eligibility rule
(`db/query.py`), with the reasons when it may not.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any

from playlist_builder.classify.overrides import apply_overrides
from playlist_builder.db.query import TrackState, ineligible_reasons
from playlist_builder.errors import InputError, NotFoundError
from playlist_builder.model import (
    Category,
    Classification,
    Evidence,
    Features,
    LyricsStatus,
    Override,
    OverrideAction,
    Source,
    Track,
)
from playlist_builder.services.review import open_review_reasons

if TYPE_CHECKING:  # `library list` reads through a LibraryReader and never imports SQLAlchemy
    from playlist_builder.db.library import Library
    from playlist_builder.db.reader import LibraryReader


@dataclass(frozen=True)
class ReasonView:
    """One reason behind a verdict: which source and detector said what, and where in the audio."""

    source: str
    aspect: str
    claim: str
    weight: float
    detail: str
    detector: str = ""
    windows: tuple[tuple[float, float], ...] = ()

    @classmethod
    def of(cls, evidence: Evidence) -> ReasonView:
        """The view of one piece of evidence."""
        return cls(
            source=evidence.source,
            aspect=evidence.aspect,
            claim=str(evidence.claim),
            weight=float(evidence.weight),
            detail=evidence.detail,
            detector=evidence.detector,
            windows=tuple((float(start), float(end)) for start, end in evidence.windows),
        )

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict (the stored reasons' shape)."""
        return {
            "source": self.source,
            "aspect": self.aspect,
            "claim": self.claim,
            "weight": self.weight,
            "detail": self.detail,
            "detector": self.detector,
            "windows": [[start, end] for start, end in self.windows],
        }


@dataclass(frozen=True)
class DecisionView:
    """One clinician decision."""

    id: int | None
    track_id: int
    action: str
    category: str | None
    note: str | None
    created_at: str | None
    undone_at: str | None

    @classmethod
    def of(cls, decision: Override) -> DecisionView:
        """The view of one decision."""
        return cls(
            id=decision.id,
            track_id=decision.track_id,
            action=decision.action.value,
            category=decision.category.value if decision.category else None,
            note=decision.note,
            created_at=decision.created_at.isoformat() if decision.created_at else None,
            undone_at=decision.undone_at.isoformat() if decision.undone_at else None,
        )

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "id": self.id,
            "action": self.action,
            "category": self.category,
            "note": self.note,
            "created_at": self.created_at,
            "undone_at": self.undone_at,
        }


@dataclass(frozen=True)
class BinauralView:
    """A detected binaural beat: beat rate, carrier, the conventional band name, and how steady."""

    beat_hz: float
    carrier_hz: float
    band: str
    share: float

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "beat_hz": self.beat_hz,
            "carrier_hz": self.carrier_hz,
            "band": self.band,
            "share": self.share,
        }


@dataclass(frozen=True)
class TrackView:
    """One track as a person (or `--json`) sees it: tags, effective verdict, reasons, eligibility."""

    id: int | None
    source: str
    source_key: str
    path: str | None
    title: str
    artist: str | None
    album: str | None
    duration_s: float | None
    isrc: str | None
    spotify_uri: str | None
    missing: bool
    scan_error: str | None
    binaural: BinauralView | None
    overrides: tuple[DecisionView, ...]
    classified: bool
    category: str | None = None
    secondary_category: str | None = None
    lyrics: str | None = None
    energy: float | None = None
    energy_estimated: bool | None = None
    confidence: float | None = None
    reasons: tuple[ReasonView, ...] = ()
    review_reasons: tuple[str, ...] = ()
    banned: bool = False
    note: str | None = None
    eligible: bool = False
    ineligible_reasons: tuple[str, ...] = ()
    damage: str | None = None
    rules_version: str | None = None
    engine_category: str | None = None
    engine_lyrics: str | None = None

    @property
    def needs_review(self) -> bool:
        """True when a clinician decision is still wanted."""
        return bool(self.review_reasons)

    @property
    def engine(self) -> dict[str, str | None] | None:
        """The engine's own verdict before clinician decisions (None when not classified)."""
        if not self.classified:
            return None
        return {"category": self.engine_category, "lyrics": self.engine_lyrics}

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict (keys in a stable order)."""
        return {
            "id": self.id,
            "source": self.source,
            "source_key": self.source_key,
            "path": self.path,
            "title": self.title,
            "artist": self.artist,
            "album": self.album,
            "duration_s": self.duration_s,
            "isrc": self.isrc,
            "spotify_uri": self.spotify_uri,
            "missing": self.missing,
            "scan_error": self.scan_error,
            "binaural": self.binaural.as_json() if self.binaural else None,
            "overrides": [d.as_json() for d in self.overrides],
            "category": self.category,
            "secondary_category": self.secondary_category,
            "lyrics": self.lyrics,
            "energy": self.energy,
            "energy_estimated": self.energy_estimated,
            "confidence": self.confidence,
            "reasons": [r.as_json() for r in self.reasons],
            "review_reasons": list(self.review_reasons),
            "needs_review": self.needs_review,
            "banned": self.banned,
            "note": self.note,
            "eligible": self.eligible,
            "classified": self.classified,
            "rules_version": self.rules_version,
            "engine": self.engine,
            "ineligible_reasons": list(self.ineligible_reasons),
            "damage": self.damage,
        }


def _binaural_view(features: Features | None) -> BinauralView | None:
    if features is None or features.binaural is None:
        return None
    beat = features.binaural
    return BinauralView(beat.beat_hz, beat.carrier_hz, beat.band.value, beat.share)


def _damage(state: TrackState | None) -> str | None:
    """Why a file's audio is damaged (unreadable, or damaged as services/damage.py says)."""
    if state is None:
        return None
    return state.scan_error or state.damage


def track_view(
    track: Track,
    classification: Classification | None,
    features: Features | None,
    overrides: Sequence[Override],
    state: TrackState | None,
) -> TrackView:
    """One track's view: effective category and lyrics (after decisions), reasons and eligibility."""
    reasons_out = ineligible_reasons(state) if state is not None else ["not in the library"]
    base: dict[str, Any] = {
        "id": track.id,
        "source": track.source.value,
        "source_key": track.source_key,
        "path": track.path,
        "title": track.title,
        "artist": track.artist,
        "album": track.album,
        "duration_s": track.duration_s,
        "isrc": track.isrc,
        "spotify_uri": track.spotify_uri,
        "missing": track.missing,
        "scan_error": track.scan_error,
        "binaural": _binaural_view(features),
        "overrides": tuple(DecisionView.of(o) for o in overrides),
        "eligible": not reasons_out,
        "ineligible_reasons": tuple(reasons_out),
        "damage": _damage(state),
        "banned": any(o.action is OverrideAction.BAN and o.undone_at is None for o in overrides),
    }
    if classification is None:
        return TrackView(classified=False, **base)
    verdict = apply_overrides(classification, overrides)
    return TrackView(
        classified=True,
        category=verdict.category.value,
        secondary_category=verdict.secondary_category.value if verdict.secondary_category else None,
        lyrics=verdict.lyrics.value,
        energy=classification.energy,
        energy_estimated=classification.energy_estimated,
        confidence=classification.confidence,
        reasons=tuple(ReasonView.of(e) for e in classification.reasons),
        review_reasons=tuple(open_review_reasons(classification, verdict)),
        note=verdict.note,
        rules_version=classification.rules_version,
        engine_category=classification.category.value,
        engine_lyrics=classification.lyrics.value,
        **base,
    )


def describe_tracks(library: Library | LibraryReader, tracks: Sequence[Track]) -> list[TrackView]:
    """Views of many tracks, loading their verdicts, features, decisions and states in bulk."""
    ids = [t.id for t in tracks if t.id is not None]
    classifications = library.classifications(ids)
    features = library.features_for(ids)
    states = library.track_states(ids)
    grouped: dict[int, list[Override]] = defaultdict(list)
    for decision in library.overrides(ids, active_only=False):
        grouped[decision.track_id].append(decision)
    views = []
    for track in tracks:
        tid = track.id if track.id is not None else -1
        views.append(
            track_view(track, classifications.get(tid), features.get(tid), grouped[tid], states.get(tid))
        )
    return views


def describe_track(library: Library, track: Track) -> TrackView:
    """The view of one track (see `track_view`)."""
    return describe_tracks(library, [track])[0]


@dataclass(frozen=True)
class TrackDetail:
    """`library show`: a track's view plus its audio features and any analysis failure."""

    view: TrackView
    features: dict[str, Any] | None
    analysis_error: str | None

    def as_json(self) -> dict[str, Any]:
        """The view's JSON with `features` and `analysis_error` added."""
        data = self.view.as_json()
        data["features"] = self.features
        data["analysis_error"] = self.analysis_error
        return data


def features_view(features: Features) -> dict[str, Any]:
    """Audio features as plain JSON values (enums as their names; the top eight tags)."""
    from playlist_builder.db.convert import features_to_json

    data = _plain(features_to_json(features))
    data.pop("vocal_windows", None)
    data["tags"] = dict(sorted(features.tags.items(), key=lambda kv: -kv[1])[:8])
    return data


def _plain(value: Any) -> Any:
    """Enums as their values, all the way down (no Python reprs reach a person or a JSON file)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def list_tracks(
    library: Library | LibraryReader,
    *,
    source: Source | None = None,
    under: str | None = None,
    missing: bool | None = None,
    category: Category | None = None,
    lyrics: LyricsStatus | None = None,
) -> list[TrackView]:
    """`library list`: views of the tracks matching the filters (`under`: a registered root).

    Category and lyrics filter on the effective verdict (after clinician decisions).
    """
    if under is not None:
        wanted = os.path.abspath(os.path.expanduser(under))
        if wanted not in {path for _, path in library.roots()}:
            raise InputError(f"{under} is not a registered root (scan it first)")
        under = wanted
    views = describe_tracks(library, library.list_tracks(source=source, under=under, missing=missing))
    return [
        view
        for view in views
        if (category is None or view.category == category.value)
        and (lyrics is None or view.lyrics == lyrics.value)
    ]


def find_track(library: Library, ref: str) -> Track:
    """A track by id (digits) or by the path of its file; NotFoundError when there is none."""
    if ref.isdigit():
        return library.require_track(int(ref))
    track = library.find_track_by_path(os.path.expanduser(ref))
    if track is None:
        raise NotFoundError(f"no track in the library for {ref} (scan its folder first)")
    return track


def show_track(library: Library, ref: str) -> TrackDetail:
    """`library show`: one track (by id or file path) with its audio features and analysis failure."""
    track = find_track(library, ref)
    features = library.get_features(track.id) if track.id is not None else None
    return TrackDetail(
        view=describe_track(library, track),
        features=None if features is None else features_view(features),
        analysis_error=library.features_error(track.id) if track.id is not None else None,
    )


@dataclass(frozen=True)
class HeldBack:
    """A track kept out of sessions, and why (the demo and the session sheet list them)."""

    track_id: int
    title: str
    lyrics: str
    reason: str


def held_back(library: Library) -> list[HeldBack]:
    """Every present track that cannot enter a session (by the one eligibility rule), with the reason."""
    return [
        HeldBack(
            track_id=int(view.id or 0),
            title=view.title,
            lyrics=view.lyrics or "not classified",
            reason=_main_reason(view),
        )
        for view in describe_tracks(library, library.list_tracks(missing=False))
        if not view.eligible
    ]


def _main_reason(view: TrackView) -> str:
    """The most telling reason a track is out: damage, a ban, its strongest vocal evidence, or what
    review waits for; else the first condition of the eligibility rule it fails."""
    if view.banned:
        return f"banned by a clinician{': ' + view.note if view.note else ''}"
    if view.damage:
        return f"damaged: {view.damage}"
    if view.lyrics == "vocal":
        vocal = [r for r in view.reasons if r.claim == "vocal"]
        if vocal:
            strongest = max(vocal, key=lambda r: r.weight)
            return f"{strongest.source}: {strongest.detail}"
    if view.review_reasons:
        return "; ".join(view.review_reasons)
    if view.ineligible_reasons:
        return view.ineligible_reasons[0]
    return f"lyrics status {view.lyrics}: no positive evidence of being instrumental"
