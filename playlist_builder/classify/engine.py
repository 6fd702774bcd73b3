"""The pure classification engine: evidence in, a category, lyrics status and energy out, with reasons.

No I/O, no database, no network, no clock: every input is passed in, so it is tested with plain objects.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

from playlist_builder.classify.evidence import (
    CLAIM_EVIDENCE_FAILED,
    HOLDS_LYRICS,
    REVIEW,
    LookupEvidence,
    analysis_note,
    curated_evidence,
    gather_evidence,
)
from playlist_builder.classify.rules import NAME_FIELDS, Rules, normalise_text
from playlist_builder.model import Category, Classification, Evidence, Features, LyricsStatus, Track

LOG = logging.getLogger(__name__)
FOUR_CATEGORIES = (Category.AMBIENT, Category.BINAURAL, Category.MINIMAL, Category.NATURE)


def combine(weights: Iterable[float]) -> float:
    """Combine independent pieces of evidence: the chance that at least one of them is right."""
    remaining = 1.0
    for weight in weights:
        remaining *= 1.0 - min(1.0, max(0.0, weight))
    return 1.0 - remaining


@dataclass(frozen=True)
class LyricsVerdict:
    """The lyrics status, how sure it is, and why a clinician should look (if so)."""

    status: LyricsStatus
    confidence: float
    review: tuple[str, ...]


def _describe(evidence: Sequence[Evidence]) -> str:
    return "; ".join(f"{e.source}: {e.detail}" for e in evidence)


def decide_lyrics(evidence: Sequence[Evidence], rules: Rules) -> LyricsVerdict:
    """`vocal` on any strong vocal evidence; `instrumental` only with enough positive evidence and none
    against (no vocal evidence at all, nothing held for review); otherwise `unknown`."""
    lyrics = [e for e in evidence if e.aspect == "lyrics" and e.weight > 0]
    vocal = [e for e in lyrics if e.claim == LyricsStatus.VOCAL.value]
    instrumental = [e for e in lyrics if e.claim == LyricsStatus.INSTRUMENTAL.value]
    held = [e for e in evidence if e.aspect == REVIEW and e.claim in HOLDS_LYRICS]
    strong = [e for e in vocal if e.weight >= rules.decision.strong_vocal_weight]
    if strong:
        return LyricsVerdict(LyricsStatus.VOCAL, combine(e.weight for e in strong), ())
    support = combine(e.weight for e in instrumental)
    if vocal and instrumental:
        reason = f"lyrics unknown: conflicting evidence (vocal: {_describe(vocal)} / instrumental: "
        return LyricsVerdict(LyricsStatus.UNKNOWN, 0.0, (reason + f"{_describe(instrumental)})",))
    if vocal:
        return LyricsVerdict(
            LyricsStatus.UNKNOWN, 0.0, (f"lyrics unknown: weak vocal evidence ({_describe(vocal)})",)
        )
    if held:
        return LyricsVerdict(LyricsStatus.UNKNOWN, 0.0, ("lyrics unknown: voices possible, held for review",))
    if not instrumental:
        return LyricsVerdict(LyricsStatus.UNKNOWN, 0.0, ("lyrics unknown: no evidence either way",))
    needed = rules.decision.min_instrumental
    if support < needed:
        weak = f"{support:.2f} < {needed:.2f}: {_describe(instrumental)}"
        reason = f"lyrics unknown: instrumental evidence too weak ({weak})"
        return LyricsVerdict(LyricsStatus.UNKNOWN, 0.0, (reason,))
    return LyricsVerdict(LyricsStatus.INSTRUMENTAL, support, ())


@dataclass(frozen=True)
class CategoryVerdict:
    """Primary and secondary category with the primary's score."""

    primary: Category
    secondary: Category | None
    confidence: float
    scores: dict[str, float]


def decide_category(evidence: Sequence[Evidence], rules: Rules) -> CategoryVerdict:
    """The best-supported of the four categories, unless it is too weak or busy music outweighs it."""
    scores = {
        c.value: combine(e.weight for e in evidence if e.aspect == "category" and e.claim == c.value)
        for c in Category
    }
    ranked = sorted(FOUR_CATEGORIES, key=lambda c: scores[c.value], reverse=True)
    best, runner_up = ranked[0], ranked[1]
    busy = scores[Category.UNCLASSIFIED.value]
    if scores[best.value] < rules.decision.min_category_score or busy >= scores[best.value]:
        secondary = best if scores[best.value] >= rules.decision.min_secondary_score else None
        return CategoryVerdict(Category.UNCLASSIFIED, secondary, busy, scores)
    secondary = runner_up if scores[runner_up.value] >= rules.decision.min_secondary_score else None
    return CategoryVerdict(best, secondary, scores[best.value], scores)


def _clamp(value: float, low: float, high: float) -> float:
    return min(high, max(low, value))


def estimate_energy(track: Track, category: Category, evidence: Sequence[Evidence], rules: Rules) -> Evidence:
    """An energy for a track without audio: the category's typical energy, given energy evidence
    (e.g. from a curated list), nudged by words in names and a tempo tag; documented in the rules."""
    energy_rules = rules.energy
    base = rules.energy_by_category[category]
    steps = [f"{category.value} typically {base:.2f}"]
    given = [(float(e.claim), e.weight) for e in evidence if e.aspect == "energy" and _is_number(e.claim)]
    if given:
        total = sum(w for _, w in given) + 0.5  # the category's typical value counts as half a vote
        base = (sum(v * w for v, w in given) + 0.5 * base) / total
        steps.append(f"given energy -> {base:.2f}")
    limit = int(rules.lyrics.max_name_chars)  # bounded like every other name match
    names = " ".join(normalise_text((getattr(track, f) or "")[:limit]) for f in NAME_FIELDS)
    for hint in rules.energy_hints:
        hit = hint.matcher.first_match(names)
        if hit:
            base += hint.shift
            steps.append(f"{hit!r} {hint.shift:+.2f}")
    if track.bpm:
        shift = (track.bpm - energy_rules.reference_bpm) * energy_rules.bpm_slope
        shift = _clamp(shift, -energy_rules.bpm_max_shift, energy_rules.bpm_max_shift)
        base += shift
        steps.append(f"{track.bpm:g} bpm {shift:+.2f}")
    value = _clamp(base, energy_rules.min, energy_rules.max)
    return Evidence("rules", "energy", f"{value:.3f}", 0.0, "estimated (no audio): " + ", ".join(steps))


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _review_reasons(evidence: Sequence[Evidence], lyrics: LyricsVerdict) -> list[str]:
    reasons = [f"{e.claim}: {e.detail}" for e in evidence if e.aspect == REVIEW]
    return reasons + list(lyrics.review)


def decide(track: Track, evidence: Sequence[Evidence], rules: Rules) -> Classification:
    """Turn gathered evidence into a classification (the part of the engine the input hash covers)."""
    lyrics = decide_lyrics(evidence, rules)
    category = decide_category(evidence, rules)
    reasons = list(evidence)
    measured = [e for e in evidence if e.aspect == "energy" and e.source == "audio" and _is_number(e.claim)]
    if measured:
        energy, estimated = float(measured[0].claim), False
    else:
        estimate = estimate_energy(track, category.primary, evidence, rules)
        reasons.append(estimate)
        energy, estimated = float(estimate.claim), True
    confidence = category.confidence
    if lyrics.status is LyricsStatus.INSTRUMENTAL:
        confidence = min(confidence, lyrics.confidence)
    review = _review_reasons(evidence, lyrics)
    threshold = rules.decision.review_below_confidence
    if lyrics.status is LyricsStatus.INSTRUMENTAL and confidence < threshold:
        scores = (
            ", ".join(f"{k} {v:.2f}" for k, v in category.scores.items() if v > 0) or "no category evidence"
        )
        review.append(
            f"low confidence {confidence:.2f} < {threshold:.2f} ({category.primary.value}; {scores})"
        )
    if lyrics.status is LyricsStatus.VOCAL:
        review = []  # never enters a session; a clinician who disagrees can still approve it
    return Classification(
        category=category.primary,
        secondary_category=category.secondary,
        lyrics=lyrics.status,
        energy=energy,
        energy_estimated=estimated,
        confidence=round(confidence, 4),
        rules_version=rules.version,
        reasons=tuple(reasons),
        review_reasons=tuple(review),
    )


def build_evidence(
    track: Track,
    features: Features | None,
    rules: Rules,
    *,
    linked_curated: Sequence[Track] = (),
    analysis_failed: bool = False,
    lookups: LookupEvidence | None = None,
) -> tuple[Evidence, ...]:
    """Every piece of evidence about one track, as production classifies it (the one road).

    Curated entries linked to the track lend it their trust; `lookups` (online look-ups, passed in) are
    asked only when the track is not already heard or named as vocal, since they can only add doubt
    then. Evidence that cannot be computed (a broken rule, a malformed stored analysis) never stops a
    run or passes a track: it becomes a review hold, so the track is `unknown`.
    """
    try:
        external = analysis_note(track, features, analysis_failed)
        for entry in linked_curated:
            external.extend(curated_evidence(entry, rules))
        local = gather_evidence(track, features, external, rules)
        if lookups is not None and decide_lyrics(local, rules).status is not LyricsStatus.VOCAL:
            local += tuple(lookups(track))
        return local
    except Exception as error:  # the lyrics filter fails safe: hold the track, say why
        LOG.warning("evidence for %r could not be computed: %s", track.title, error)
        detail = f"evidence could not be computed ({type(error).__name__}: {error}); listen before approving"
        return (Evidence("rules", REVIEW, CLAIM_EVIDENCE_FAILED, 0.0, detail[:300]),)


def classify_track(
    track: Track, features: Features | None, evidence: Sequence[Evidence], rules: Rules
) -> Classification:
    """Classify one track from its tags, its audio features (if any) and outside evidence (look-ups),
    through `build_evidence`, the road production takes."""
    return decide(track, build_evidence(track, features, rules, lookups=lambda _track: evidence), rules)


HASHED_TRACK_FIELDS = (
    *NAME_FIELDS,
    "source",
    "bpm",
    "duration_s",
    "isrc",
    "explicit",
    "has_embedded_lyrics",
    "has_lrc_sidecar",
    "curated_library",
    "curated_category",
    "curated_note",
)


def input_hash(track: Track, features: Features | None, evidence: Sequence[Evidence], rules: Rules) -> str:
    """What a verdict depends on: the track's relevant tags, the analyser version, all gathered evidence
    (which already reflects keyword lists, weights and thresholds) and the decision settings.

    Changing a rule therefore re-classifies only the tracks whose evidence or decision it changes.
    `evidence` is the full gathered evidence (see `gather_evidence`).
    """
    fields = {name: getattr(track, name) for name in HASHED_TRACK_FIELDS}
    payload = {
        "track": fields,
        "analyzer": features.analyzer_version if features is not None else None,
        "evidence": [asdict(e) for e in evidence],
        "decision": rules.decision_digest,
        "energy": rules.energy_digest if features is None else None,
    }
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
