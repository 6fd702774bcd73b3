"""Classify use-case: classify the library's tracks; and the tracks that may enter a session.

Review and decisions live in services/review.py, read-only views in services/views.py.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import requests

from playlist_builder.classify.engine import build_evidence, decide, input_hash
from playlist_builder.classify.lookup_runner import LookupRunner
from playlist_builder.classify.lookups import LrclibClient, MusicBrainzClient, new_http_session
from playlist_builder.classify.overrides import EffectiveVerdict, apply_overrides
from playlist_builder.classify.rules import Rules, load_rules
from playlist_builder.config import Settings
from playlist_builder.db.library import Library
from playlist_builder.model import (
    Classification,
    Source,
    Track,
)
from playlist_builder.services.progress import ProgressCallback, ProgressEvent, report
from playlist_builder.services.review import needs_review, overrides_by_track


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
    decisions = overrides_by_track(library.overrides(ids))
    for track_id in ids:
        classification = classifications.get(track_id)
        if classification is None:
            continue
        verdict = apply_overrides(classification, decisions.get(track_id, []))
        result.by_lyrics[verdict.lyrics.value] += 1
        result.by_category[verdict.category.value] += 1
        if needs_review(classification, verdict):
            result.needs_review += 1


def eligible_tracks(library: Library) -> list[tuple[Track, Classification, EffectiveVerdict]]:
    """Tracks that may enter a session, with their verdict after clinician decisions.

    Which tracks qualify is the one eligibility rule (`db.query.eligibility_clause`): classified
    `instrumental` or approved, not banned, present, readable, with a known length, a local file's
    audio analysed and intact (not damaged), and not a row that plays through another (a curated
    entry linked to a local file: the file's own row is the candidate).
    """
    ids = library.eligible_track_ids()
    tracks = library.list_tracks(ids=ids)
    classifications = library.classifications(ids)
    decisions = overrides_by_track(library.overrides(ids))
    return [
        (
            track,
            classifications[track.id],
            apply_overrides(classifications[track.id], decisions.get(track.id, [])),
        )
        for track in tracks
        if track.id is not None and track.id in classifications
    ]
