"""Use-cases of classification: classify the library, what may enter a session, track views."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime

import requests

from playlist_builder.classify.engine import decide, input_hash
from playlist_builder.classify.evidence import build_evidence
from playlist_builder.classify.lookup_runner import LookupRunner
from playlist_builder.classify.lookups import LrclibClient, MusicBrainzClient, new_http_session
from playlist_builder.classify.overrides import EffectiveVerdict, apply_overrides
from playlist_builder.classify.rules import Rules, load_rules
from playlist_builder.config import Settings
from playlist_builder.db.library import Library
from playlist_builder.model import (
    Category,
    Classification,
    Features,
    Override,
    OverrideAction,
    Source,
    Track,
)
from playlist_builder.services.progress import ProgressCallback, ProgressEvent, report


@dataclass
class ClassifyReport:
    """What a classify run did; `warnings` are for the CLI to print (one per unreachable service)."""

    rules_version: str
    total: int = 0
    classified: int = 0
    unchanged: int = 0
    by_lyrics: Counter[str] = field(default_factory=Counter)
    by_category: Counter[str] = field(default_factory=Counter)
    needs_review: int = 0
    lookups: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready view."""
        return {
            "rules_version": self.rules_version,
            "total": self.total,
            "classified": self.classified,
            "unchanged": self.unchanged,
            "by_lyrics": dict(self.by_lyrics),
            "by_category": dict(self.by_category),
            "needs_review": self.needs_review,
            "lookups": dict(self.lookups),
            "warnings": list(self.warnings),
        }


def _overrides_by_track(overrides: Sequence[Override]) -> dict[int, list[Override]]:
    grouped: dict[int, list[Override]] = defaultdict(list)
    for decision in overrides:
        grouped[decision.track_id].append(decision)
    return grouped


def _lookup_runner(
    library: Library, settings: Settings, rules: Rules, *, offline: bool, http: requests.Session | None
) -> LookupRunner:
    clients: list[LrclibClient | MusicBrainzClient] = []
    if not offline:
        session = http if http is not None else new_http_session()
        options = {"timeout_s": rules.lookups.timeout_s, "retries": int(rules.lookups.retries)}
        clients = [
            LrclibClient(session, settings.lrclib_url, **options),
            MusicBrainzClient(session, settings.musicbrainz_url, **options),
        ]
    return LookupRunner(rules, library.get_lookup, library.put_lookup, clients, offline=offline)


def _curated_links(tracks: Sequence[Track]) -> dict[int, list[Track]]:
    """Curated entries by the id of the track they were matched to (their trust flows to it)."""
    links: dict[int, list[Track]] = defaultdict(list)
    for track in tracks:
        if track.source is Source.CURATED and track.linked_track_id is not None:
            links[track.linked_track_id].append(track)
    return links


def classify_library(
    library: Library,
    settings: Settings,
    *,
    offline: bool = False,
    force: bool = False,
    http: requests.Session | None = None,
    progress: ProgressCallback | None = None,
) -> ClassifyReport:
    """Classify every present track; tracks whose inputs and rules are unchanged are skipped.

    Local files use their audio features; Spotify and curated rows use metadata and look-ups (a curated
    row matched to a local file uses that file's features). Clinician decisions are never touched.
    """
    rules = load_rules(settings.rules_dir)
    offline = offline or settings.offline
    runner = _lookup_runner(library, settings, rules, offline=offline, http=http)
    tracks = library.list_tracks(missing=False)
    features = library.features_for()
    states = library.analysis_state()
    hashes = {} if force else library.classification_hashes()
    links = _curated_links(tracks)
    result = ClassifyReport(rules_version=rules.version, total=len(tracks))
    for done, track in enumerate(tracks, start=1):
        assert track.id is not None
        report(progress, ProgressEvent(done - 1, len(tracks), item=track.title))
        own = features.get(track.id)
        if own is None and track.linked_track_id is not None:
            own = features.get(track.linked_track_id)  # e.g. a curated entry matched to a local file
        state = states.get(track.id)
        evidence = build_evidence(
            track,
            own,
            rules,
            linked_curated=links.get(track.id, []),
            analysis_failed=state is not None and state.has_error,
            lookups=runner.evidence_for,
        )
        digest = input_hash(track, own, evidence, rules)
        if hashes.get(track.id) == digest:
            result.unchanged += 1
            continue
        classification = decide(track, evidence, rules)
        library.save_classification(track.id, classification, input_hash=digest)
        result.classified += 1
    report(progress, ProgressEvent(len(tracks), len(tracks), message="done"))
    _summarise(library, tracks, result)
    result.lookups = dict(sorted(runner.counts.items()))
    result.warnings = list(runner.warnings)
    return result


def _summarise(library: Library, tracks: Sequence[Track], result: ClassifyReport) -> None:
    """Count effective verdicts (after clinician decisions) over the present tracks."""
    ids = [t.id for t in tracks if t.id is not None]
    classifications = library.classifications(ids)
    decisions = _overrides_by_track(library.overrides(ids))
    for track_id in ids:
        classification = classifications.get(track_id)
        if classification is None:
            continue
        verdict = apply_overrides(classification, decisions.get(track_id, []))
        result.by_lyrics[verdict.lyrics.value] += 1
        result.by_category[verdict.category.value] += 1
        if needs_review(classification, verdict):
            result.needs_review += 1


def needs_review(classification: Classification, verdict: EffectiveVerdict) -> bool:
    """True when a clinician decision is still wanted (see `open_review_reasons`)."""
    return bool(open_review_reasons(classification, verdict))


def open_review_reasons(classification: Classification, verdict: EffectiveVerdict) -> list[str]:
    """The review reasons a clinician has not yet settled: approve or ban settles all of them; setting
    a category settles the low-confidence ones."""
    if verdict.approved or verdict.banned:
        return []
    reasons = list(classification.review_reasons)
    if verdict.category_overridden:
        reasons = [r for r in reasons if not r.startswith("low confidence")]
    return reasons


def eligible_tracks(library: Library) -> list[tuple[Track, Classification, EffectiveVerdict]]:
    """Tracks that may enter a session: classified, `instrumental` after decisions, not banned, present.

    Also left out: tracks without a known duration (a session cannot place them), local files the
    analysis could not decode (dead air), and a row linked to another eligible row (a curated entry
    matched to a local file): the linked file plays.
    """
    tracks = library.list_tracks(missing=False)
    classifications = library.classifications()
    decisions = _overrides_by_track(library.overrides(active_only=True))
    undecodable = {tid for tid, state in library.analysis_state().items() if state.has_error}
    chosen: list[tuple[Track, Classification, EffectiveVerdict]] = []
    for track in tracks:
        classification = classifications.get(track.id) if track.id is not None else None
        if classification is None or not track.duration_s or track.duration_s <= 0 or track.id in undecodable:
            continue
        verdict = apply_overrides(classification, decisions.get(track.id, []))
        if verdict.eligible:
            chosen.append((track, classification, verdict))
    eligible_ids = {track.id for track, _, _ in chosen}
    return [
        entry
        for entry in chosen
        if entry[0].linked_track_id is None or entry[0].linked_track_id not in eligible_ids
    ]


# --- review and clinician decisions ----------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewItem:
    """A track waiting for a clinician's decision, with the reasons."""

    track: Track
    classification: Classification
    verdict: EffectiveVerdict
    reasons: tuple[str, ...]


def review_queue(library: Library) -> list[ReviewItem]:
    """Present tracks that need a decision: unknown lyrics, choirs, possible birdsong, low confidence."""
    tracks = library.list_tracks(missing=False)
    classifications = library.classifications()
    decisions = _overrides_by_track(library.overrides())
    queue: list[ReviewItem] = []
    for track in tracks:
        classification = classifications.get(track.id) if track.id is not None else None
        if classification is None:
            continue
        verdict = apply_overrides(classification, decisions.get(track.id, []))
        reasons = open_review_reasons(classification, verdict)
        if reasons:
            queue.append(ReviewItem(track, classification, verdict, tuple(reasons)))
    return queue


def _decide(
    library: Library,
    track_id: int,
    action: OverrideAction,
    *,
    category: Category | None = None,
    note: str | None = None,
) -> Override:
    library.require_track(track_id)
    decision = Override(
        track_id=track_id,
        action=action,
        created_at=datetime.now(UTC),
        category=category,
        note=note.strip() if note and note.strip() else None,
    )
    new_id = library.add_override(decision)
    return replace(decision, id=new_id)


def approve(library: Library, track_id: int, *, note: str | None = None) -> Override:
    """Record a clinician's approval: the track counts as instrumental from now on."""
    return _decide(library, track_id, OverrideAction.APPROVE, note=note)


def ban(library: Library, track_id: int, *, note: str | None = None) -> Override:
    """Record a clinician's ban: the track never enters a session."""
    return _decide(library, track_id, OverrideAction.BAN, note=note)


def set_category(library: Library, track_id: int, category: Category, *, note: str | None = None) -> Override:
    """Record a clinician's choice of category for a track."""
    return _decide(library, track_id, OverrideAction.SET_CATEGORY, category=category, note=note)


def undo(library: Library, decision_id: int) -> Override:
    """Revert one clinician decision (it is kept, marked undone)."""
    return library.undo_override(decision_id, datetime.now(UTC))


def decisions(
    library: Library, track_id: int | None = None, *, include_undone: bool = False
) -> list[Override]:
    """Clinician decisions, oldest first (all tracks, or one)."""
    ids = [track_id] if track_id is not None else None
    return library.overrides(ids, active_only=not include_undone)


# --- views ------------------------------------------------------------------------------------------------


def _binaural_view(features: Features | None) -> dict[str, object] | None:
    if features is None or features.binaural is None:
        return None
    beat = features.binaural
    return {
        "beat_hz": beat.beat_hz,
        "carrier_hz": beat.carrier_hz,
        "band": beat.band.value,
        "share": beat.share,
    }


def override_view(decision: Override) -> dict[str, object]:
    """One clinician decision as a JSON-ready dict."""
    return {
        "id": decision.id,
        "action": decision.action.value,
        "category": decision.category.value if decision.category else None,
        "note": decision.note,
        "created_at": decision.created_at.isoformat() if decision.created_at else None,
        "undone_at": decision.undone_at.isoformat() if decision.undone_at else None,
    }


def track_view(
    track: Track,
    classification: Classification | None,
    features: Features | None,
    overrides: Sequence[Override],
) -> dict[str, object]:
    """One track as a JSON-ready dict: effective category and lyrics (after decisions) and the reasons."""
    view: dict[str, object] = {
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
        "overrides": [override_view(o) for o in overrides],
    }
    if classification is None:
        view.update(
            category=None,
            secondary_category=None,
            lyrics=None,
            energy=None,
            energy_estimated=None,
            confidence=None,
            reasons=[],
            review_reasons=[],
            needs_review=False,
            banned=False,
            note=None,
            classified=False,
            rules_version=None,
            engine=None,
        )
        return view
    verdict = apply_overrides(classification, overrides)
    view.update(
        category=verdict.category.value,
        secondary_category=verdict.secondary_category.value if verdict.secondary_category else None,
        lyrics=verdict.lyrics.value,
        energy=classification.energy,
        energy_estimated=classification.energy_estimated,
        confidence=classification.confidence,
        reasons=[asdict(e) for e in classification.reasons],
        review_reasons=open_review_reasons(classification, verdict),
        needs_review=needs_review(classification, verdict),
        banned=verdict.banned,
        note=verdict.note,
        eligible=verdict.eligible and not track.missing,
        classified=True,
        rules_version=classification.rules_version,
        engine={"category": classification.category.value, "lyrics": classification.lyrics.value},
    )
    return view


def describe_tracks(library: Library, tracks: Sequence[Track]) -> list[dict[str, object]]:
    """JSON-ready views of many tracks, loading their verdicts, features and decisions in bulk."""
    ids = [t.id for t in tracks if t.id is not None]
    classifications = library.classifications(ids)
    features = library.features_for(ids)
    grouped = _overrides_by_track(library.overrides(ids, active_only=False))
    return [
        track_view(t, classifications.get(t.id), features.get(t.id), grouped.get(t.id, []))  # type: ignore[arg-type]
        for t in tracks
    ]


def describe_track(library: Library, track: Track) -> dict[str, object]:
    """A JSON-ready view of one track (see `track_view`)."""
    return describe_tracks(library, [track])[0]
