"""Evidence from a track's names, its audio features and curated membership (pure: no I/O)."""

from __future__ import annotations

from collections.abc import Sequence

from playlist_builder.classify.rules import NAME_FIELDS, Rules, normalise_text
from playlist_builder.model import Category, Evidence, Features, LyricsStatus, Source, Track

# Aspects and claims beyond the model's lyrics/category/energy: `review` evidence never decides
# anything by itself, it holds a track for a clinician (and keeps it from being passed automatically).
REVIEW = "review"
CLAIM_CHOIR = "choir"
CLAIM_BIRDSONG = "possible-birdsong"
CLAIM_VOICES_NAMED = "voices-named"
CLAIM_SILENT = "near-silent"
# Review claims that also keep a track from being `instrumental` until a clinician listens: voices.
HOLDS_LYRICS = frozenset({CLAIM_CHOIR, CLAIM_BIRDSONG, CLAIM_VOICES_NAMED})

VOCAL = LyricsStatus.VOCAL.value
INSTRUMENTAL = LyricsStatus.INSTRUMENTAL.value


def _field_text(track: Track, name: str) -> str:
    value = getattr(track, name, None)
    return value if isinstance(value, str) else ""


def name_evidence(track: Track, rules: Rules) -> list[Evidence]:
    """Lyrics markers, category keywords and voice hints found in the track's tags and names."""
    found: list[Evidence] = []
    lyrics = rules.lyrics
    if track.has_embedded_lyrics:
        found.append(
            Evidence("tags", "lyrics", VOCAL, lyrics["embedded_lyrics_weight"], "lyrics embedded in tags")
        )
    if track.has_lrc_sidecar:
        found.append(
            Evidence("tags", "lyrics", VOCAL, lyrics["lrc_sidecar_weight"], ".lrc lyrics file beside it")
        )
    if track.explicit:
        source = "spotify" if track.source is Source.SPOTIFY else "tags"
        found.append(
            Evidence(source, "lyrics", VOCAL, lyrics["explicit_weight"], "marked explicit (has words)")
        )
    texts = {name: normalise_text(_field_text(track, name)) for name in NAME_FIELDS}
    for marker in rules.markers:
        for name in marker.fields:
            hit = marker.matcher.first_match(texts.get(name, ""))
            if hit:
                detail = f"{name} {_field_text(track, name)!r} contains {hit!r}"
                found.append(Evidence("tags", "lyrics", marker.claim.value, marker.weight, detail))
                break
    for name in rules.review_fields:
        hit = rules.review_names.first_match(texts.get(name, ""))
        if hit:
            detail = f"{name} {_field_text(track, name)!r} names voices ({hit!r}): sung or spoken words?"
            found.append(Evidence("tags", REVIEW, CLAIM_VOICES_NAMED, 0.0, detail))
            break
    for rule in rules.categories:
        for name, field_weight in rules.field_weights.items():
            hit = rule.matcher.first_match(texts.get(name, ""))
            if hit and field_weight > 0:
                detail = f"{name} {_field_text(track, name)!r} contains {hit!r}"
                weight = round(rule.weight * field_weight, 4)
                found.append(Evidence("tags", "category", rule.category.value, weight, detail))
    return found


def curated_evidence(track: Track, rules: Rules) -> list[Evidence]:
    """Membership of a clinic-curated list: trusted evidence of category and of no lyrics."""
    if track.source is not Source.CURATED and track.curated_category is None:
        return []
    library = track.curated_library or "a curated library"
    note = f" ({track.curated_note})" if track.curated_note else ""
    found = [
        Evidence(
            "curated",
            "lyrics",
            INSTRUMENTAL,
            rules.curated["instrumental_weight"],
            f"listed in {library}{note}",
        )
    ]
    if track.curated_category is not None:
        detail = f"listed in {library} as {track.curated_category.value}"
        found.append(
            Evidence(
                "curated", "category", track.curated_category.value, rules.curated["category_weight"], detail
            )
        )
    return found


def _choir_probability(features: Features, rules: Rules) -> tuple[str, float] | None:
    best: tuple[str, float] | None = None
    for tag in rules.choir_tags:
        value = float(features.tags.get(tag, 0.0) or 0.0)
        if value >= rules.audio["choir_tag_threshold"] and (best is None or value > best[1]):
            best = (tag, value)
    return best


def _vocal_window_share(features: Features, threshold: float) -> float:
    windows = features.vocal_windows
    if not windows:
        return 0.0
    return sum(1 for value in windows if value >= threshold) / len(windows)


def _lyrics_from_audio(features: Features, rules: Rules) -> list[Evidence]:
    audio = rules.audio
    found: list[Evidence] = []
    probability = features.vocal_probability
    choir = _choir_probability(features, rules)
    calls = features.nature_parts.get("calls", 1.0)  # analysers without parts: the score alone decides
    birdsong = features.nature_score >= audio["birdsong_nature_score"] and calls >= audio["birdsong_calls"]
    if choir is not None:
        detail = (
            f"musicnn '{choir[0]}' {choir[1]:.2f}: a wordless choir or sung words? listen before approving"
        )
        found.append(Evidence("audio", REVIEW, CLAIM_CHOIR, choir[1], detail))
    share = _vocal_window_share(features, audio["window_vocal_threshold"])
    heard = None
    if probability >= audio["vocal_threshold"]:
        heard = (
            audio["vocal_weight"],
            f"vocal probability {probability:.2f} >= {audio['vocal_threshold']:.2f}",
        )
    elif share >= audio["window_min_share"] > 0:
        heard = (
            audio["window_weight"],
            f"voice in {share:.0%} of windows (>= {audio['window_vocal_threshold']:.2f})",
        )
    if heard is not None and (birdsong or choir is not None):
        cause = "birdsong" if birdsong else "a wordless choir"
        detail = f"{heard[1]}, but it could be {cause}"
        found.append(Evidence("audio", "lyrics", VOCAL, audio["ambiguous_vocal_weight"], detail))
        if birdsong:
            bird_detail = f"{heard[1]} with nature score {features.nature_score:.2f}: birds, or a voice?"
            found.append(Evidence("audio", REVIEW, CLAIM_BIRDSONG, features.nature_score, bird_detail))
    elif heard is not None:
        found.append(Evidence("audio", "lyrics", VOCAL, heard[0], heard[1]))
    elif probability >= audio["instrumental_below"]:
        detail = f"vocal probability {probability:.2f}: uncertain ({audio['instrumental_below']:.2f}..."
        detail += f"{audio['vocal_threshold']:.2f})"
        found.append(Evidence("audio", "lyrics", VOCAL, audio["uncertain_vocal_weight"], detail))
    else:
        detail = f"vocal probability {probability:.2f} < {audio['instrumental_below']:.2f}: no voice heard"
        found.append(Evidence("audio", "lyrics", INSTRUMENTAL, audio["instrumental_weight"], detail))
    return found


def _beat_rate_ok(rate_hz: float, rules: Rules) -> bool:
    return rules.audio["beat_min_hz"] <= rate_hz <= rules.audio["beat_max_hz"]


def _categories_from_audio(features: Features, rules: Rules) -> list[Evidence]:
    audio = rules.audio
    found: list[Evidence] = []
    beat = features.binaural
    if beat is not None and beat.share >= audio["binaural_min_share"] and _beat_rate_ok(beat.beat_hz, rules):
        detail = (
            f"binaural beat {beat.beat_hz:.2f} Hz ({beat.band.value}) on a {beat.carrier_hz:.0f} Hz carrier, "
            f"{beat.share:.0%} of the track"
        )
        found.append(Evidence("audio", "category", Category.BINAURAL.value, audio["binaural_weight"], detail))
    pulse = features.amplitude_beat
    if (
        pulse is not None
        and pulse.share >= audio["amplitude_beat_min_share"]
        and _beat_rate_ok(pulse.rate_hz, rules)
    ):
        detail = (
            f"{pulse.kind} beat {pulse.rate_hz:.2f} Hz ({pulse.band.value}) on {pulse.carrier_hz:.0f} Hz, "
            f"{pulse.share:.0%} of the track"
        )
        found.append(
            Evidence("audio", "category", Category.BINAURAL.value, audio["amplitude_beat_weight"], detail)
        )
    if features.nature_score >= audio["nature_threshold"]:
        parts = ", ".join(f"{k} {v:.2f}" for k, v in sorted(features.nature_parts.items()))
        detail = f"nature score {features.nature_score:.2f}" + (f" ({parts})" if parts else "")
        found.append(Evidence("audio", "category", Category.NATURE.value, audio["nature_weight"], detail))
    for rule in rules.tag_rules:
        value = float(features.tags.get(rule.tag, 0.0) or 0.0)
        if value >= rule.min:
            detail = f"musicnn '{rule.tag}' {value:.2f} >= {rule.min:.2f}"
            found.append(Evidence("audio", "category", rule.category.value, rule.weight, detail))
    if features.energy >= audio["busy_energy"]:
        detail = f"energy {features.energy:.2f}: busier than calm session music"
        found.append(Evidence("audio", "category", Category.UNCLASSIFIED.value, audio["busy_weight"], detail))
    return found


def audio_evidence(features: Features, rules: Rules) -> list[Evidence]:
    """Lyrics, category and energy evidence from the audio analysis of a local file."""
    found = _lyrics_from_audio(features, rules) + _categories_from_audio(features, rules)
    if features.integrated_lufs <= rules.audio["silent_lufs"]:
        detail = (
            f"integrated loudness {features.integrated_lufs:.0f} LUFS: near silence, dead air in a session?"
        )
        found.append(Evidence("audio", REVIEW, CLAIM_SILENT, 0.0, detail))
    energy = min(1.0, max(0.0, features.energy))
    found.append(Evidence("audio", "energy", f"{energy:.3f}", 1.0, "measured from the audio"))
    return found


def gather_evidence(
    track: Track, features: Features | None, external: Sequence[Evidence], rules: Rules
) -> tuple[Evidence, ...]:
    """All evidence about a track: names, curated membership, audio, then what was passed in."""
    found = name_evidence(track, rules) + curated_evidence(track, rules)
    if features is not None:
        found += audio_evidence(features, rules)
    return tuple(found) + tuple(external)
