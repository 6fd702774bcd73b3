"""Vocal detector: preprocessing against librosa's recorded values, and a regression check of the model."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from playlist_builder.audio import vocal
from playlist_builder.audio.vocal import (
    MTT_TAGS,
    PATCH_FRAMES,
    VOCAL_MODEL_VERSION,
    VocalEvidence,
    VocalModel,
    combine_vocal_evidence,
    load_vocal_model,
)
from playlist_builder.errors import AudioError

# Recorded by running the shipped model (musicnn_mtt.onnx) on `vowel_like_signal()`. A regression check:
# if these move, the model file, the preprocessing or the resampler changed, and VOCAL_MODEL_VERSION must too.
RECORDED_PROBABILITY = 0.9165
RECORDED_WINDOWS = (0.9028, 0.9181)
RECORDED_TAGS = {
    "vocal": 0.1661,
    "solo": 0.1477,
    "guitar": 0.1469,
    "violin": 0.1431,
    "singing": 0.1007,
    "no vocal": 0.0251,
    "choir": 0.0053,
}
REGRESSION_TOLERANCE = 0.005  # onnxruntime/BLAS builds differ in the last float32 digits, not more


def vowel_like_signal(rate: int = 44_100, seconds: float = 6.5) -> tuple[np.ndarray, int]:
    """Stereo 44.1 kHz: a sung-vowel-like harmonic tone (vibrato, two formants, syllables) over a drone."""
    t = np.arange(int(rate * seconds)) / rate
    f0 = 220.0 * (1 + 0.03 * np.sin(2 * np.pi * 5.0 * t))
    phase = 2 * np.pi * np.cumsum(f0) / rate

    def formants(hz: float) -> float:
        return np.exp(-(((hz - 700) / 250) ** 2)) + 0.6 * np.exp(-(((hz - 1200) / 300) ** 2)) + 0.1

    voice = sum(formants(220.0 * k) * np.sin(k * phase) / k for k in range(1, 16))
    syllables = 0.5 + 0.5 * np.sin(2 * np.pi * 4.0 * t) ** 2
    drone = 0.3 * np.sin(2 * np.pi * 110.0 * t)
    left = 0.2 * voice * syllables + 0.1 * drone
    right = 0.2 * voice * syllables - 0.05 * drone
    return np.stack([left, right], axis=1).astype(np.float32), rate


def sine(hz: float, seconds: float, rate: int = 16_000, amplitude: float = 0.3) -> np.ndarray:
    """A mono float32 sine."""
    return (amplitude * np.sin(2 * np.pi * hz * np.arange(int(rate * seconds)) / rate)).astype(np.float32)


# --- preprocessing (no model) ---


def test_mel_filterbank_matches_librosa_slaney() -> None:
    """Shape, support and values as librosa.filters.mel(sr=16000, n_fft=512, n_mels=96) (recorded)."""
    filters = vocal.mel_filterbank()
    assert filters.shape == (96, 257)
    assert filters.min() >= 0.0
    assert np.nonzero(filters[0])[0].tolist() == [1]
    assert np.nonzero(filters[50])[0].tolist() == [57, 58, 59, 60]
    assert np.nonzero(filters[95])[0].tolist() == list(range(241, 256))
    assert filters[0, 1] == pytest.approx(0.031999223, rel=1e-5)
    assert filters[50, 59] == pytest.approx(0.013077741, rel=1e-5)
    assert filters[95, 248] == pytest.approx(0.0039845603, rel=1e-5)
    assert float(filters.sum()) == pytest.approx(3.0719137, rel=1e-5)


def test_mel_filters_have_unit_area_in_hz() -> None:
    """Slaney normalisation: each filter wide enough to sample well integrates to about 1 over Hz."""
    filters = vocal.mel_filterbank()
    bin_hz = 16_000 / 512
    areas = filters.sum(axis=1) * bin_hz
    assert areas.mean() == pytest.approx(1.0, abs=1e-3)  # sampling errors of narrow filters average out
    assert np.allclose(areas[60:], 1.0, atol=0.02)  # above ~2 kHz each filter spans many FFT bins
    assert not filters.flags.writeable  # the cached array is shared


def test_log_mel_of_silence_is_zero_and_a_tone_lands_in_its_band() -> None:
    """log10(10000·x + 1) is 0 for silence; a 1 kHz tone peaks in band 31 at librosa's level (recorded)."""
    assert np.all(vocal.log_mel_spectrogram(np.zeros(8_000, dtype=np.float32)) == 0.0)
    log_mel = vocal.log_mel_spectrogram(sine(1_000.0, 0.5))
    assert log_mel.shape == (32, 96)  # centred frames: 1 + 8000 // 256
    assert int(np.argmax(log_mel[10])) == 31
    assert log_mel[10].max() == pytest.approx(5.6153, abs=1e-3)


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (15.0, 5),  # 938 frames: 5 whole patches, a 3-frame tail is dropped
        (30.0, 10),  # 1876 frames
        (4.5, 2),  # 282 frames: one patch and a 95-frame tail (>= half a patch) aligned to the end
        (1.0, 1),  # 63 frames: repeat-padded to one patch
        (0.0, 1),  # nothing: one silent frame, padded
    ],
)
def test_patch_count_for_length(seconds: float, expected: int) -> None:
    """Patches of 187 frames for a given length of 16 kHz audio."""
    batch = vocal.patches(vocal.log_mel_spectrogram(np.zeros(int(16_000 * seconds), dtype=np.float32)))
    assert batch.shape == (expected, PATCH_FRAMES, 96)


def test_short_audio_is_repeat_padded() -> None:
    """A clip shorter than a patch is tiled (how the model was trained), not zero-padded."""
    log_mel = vocal.log_mel_spectrogram(sine(440.0, 1.0))
    batch = vocal.patches(log_mel)
    assert np.array_equal(batch[0, : len(log_mel)], log_mel)
    assert np.array_equal(batch[0, len(log_mel) : 2 * len(log_mel)], log_mel)


def test_tail_patch_ends_at_the_last_frame() -> None:
    """The extra tail patch covers the end of the audio."""
    log_mel = np.arange(282 * 96, dtype=np.float32).reshape(282, 96)
    batch = vocal.patches(log_mel)
    assert np.array_equal(batch[1], log_mel[-PATCH_FRAMES:])


def test_downmix_and_resample_keep_pitch_and_length() -> None:
    """Stereo 44.1 kHz and mono 8 kHz come out as 16 kHz mono with the tone where it was."""
    tone = sine(1_000.0, 2.0, rate=44_100)
    stereo = np.stack([tone, tone], axis=1)
    for samples, rate in ((stereo, 44_100), (sine(1_000.0, 2.0, rate=8_000), 8_000)):
        audio = vocal.to_model_rate(samples, rate)
        assert audio.dtype == np.float32 and audio.ndim == 1
        assert len(audio) == 32_000
        spectrum = np.abs(np.fft.rfft(audio[4_000:-4_000]))
        assert np.fft.rfftfreq(24_000, 1 / 16_000)[np.argmax(spectrum)] == pytest.approx(1_000.0, abs=1.0)
        assert np.sqrt(np.mean(audio[4_000:-4_000] ** 2)) == pytest.approx(0.3 / np.sqrt(2), rel=0.01)


def test_upsampling_telephone_audio_leaves_no_image_the_model_would_hear() -> None:
    """A 3 kHz tone at 8 kHz leaves no 5 kHz mirror image (a short FIR leaves -58 dB: the model hears it)."""
    audio = vocal.to_model_rate(sine(3_000.0, 2.0, rate=8_000), 8_000)[4_000:-4_000]
    spectrum = np.abs(np.fft.rfft(audio * np.hanning(len(audio))))
    hz = np.fft.rfftfreq(len(audio), 1 / 16_000)
    tone = spectrum[np.abs(hz - 3_000) < 20].max()
    image = spectrum[np.abs(hz - 5_000) < 20].max()
    assert 20 * np.log10(image / tone) < -70


def test_a_track_resampled_block_by_block_matches_the_whole_track_resampled_at_once() -> None:
    """The whole-track ear resamples as blocks arrive: uneven blocks give the same 16 kHz audio, no seams."""
    rng = np.random.default_rng(7)
    track = (rng.standard_normal(44_100 * 3) * 0.1).astype(np.float32) + sine(440.0, 3.0, rate=44_100)
    stream = vocal.ModelRateStream(44_100)
    cuts = [0, 1, 4_096, 4_097, 50_000, 90_001, track.size]
    parts = [stream.add(track[a:b]) for a, b in itertools.pairwise(cuts)]
    parts.append(stream.add(np.zeros(0, dtype=np.float32), last=True))
    streamed = np.concatenate(parts)
    whole = vocal.to_model_rate(track, 44_100)
    assert streamed.size == whole.size == 48_000
    np.testing.assert_allclose(streamed, whole, atol=1e-5)
    # at the model's own rate the blocks pass through unchanged
    assert np.array_equal(vocal.ModelRateStream(16_000).add(track[:100]), track[:100])


def test_bad_input_raises_audio_error() -> None:
    """Wrong shapes and rates are reported, not crashed on."""
    with pytest.raises(AudioError, match="shape"):
        vocal.to_model_rate(np.zeros((2, 2, 2), dtype=np.float32), 16_000)
    with pytest.raises(AudioError, match="sample rate"):
        vocal.to_model_rate(np.zeros(100, dtype=np.float32), 0)


# --- the model ---


def test_model_output_is_stable_and_matches_recorded_values() -> None:
    """Same output twice, and the recorded tag values of the shipped model."""
    samples, rate = vowel_like_signal()
    model = load_vocal_model()
    first, second = model.analyse(samples, rate), model.analyse(samples, rate)
    assert first == second
    assert set(first.tags) == set(MTT_TAGS) and len(first.tags) == 50
    assert first.probability == pytest.approx(RECORDED_PROBABILITY, abs=REGRESSION_TOLERANCE)
    assert first.window_probabilities == pytest.approx(RECORDED_WINDOWS, abs=REGRESSION_TOLERANCE)
    for tag, value in RECORDED_TAGS.items():
        assert first.tags[tag] == pytest.approx(value, abs=REGRESSION_TOLERANCE), tag


def test_binaural_tones_and_silence_do_not_score_as_voice() -> None:
    """Steady binaural carriers (the library's own material) stay far from voice; silence scores 0."""
    model = load_vocal_model()
    left, right = sine(200.0, 9.0, rate=22_050), sine(206.0, 9.0, rate=22_050)
    binaural = model.analyse(np.stack([left, right], axis=1), 22_050)
    assert binaural.probability < 0.1
    silence = model.analyse(np.zeros(32_000, dtype=np.float32), 16_000)
    assert silence.probability == 0.0
    assert silence.window_probabilities == (0.0,)


@pytest.mark.parametrize("rate", [8_000, 96_000])
def test_one_second_at_unusual_rates_gives_one_window(rate: int) -> None:
    """A 1-second clip at 8 or 96 kHz is padded to one patch; all values are finite probabilities."""
    evidence = load_vocal_model().analyse(sine(330.0, 1.0, rate=rate), rate)
    assert len(evidence.window_probabilities) == 1
    assert 0.0 <= evidence.probability <= 1.0
    assert all(0.0 <= value <= 1.0 for value in evidence.tags.values())


def test_non_finite_samples_do_not_poison_the_tags() -> None:
    """NaN from a damaged stream is treated as silence."""
    samples = sine(440.0, 3.0)
    samples[1_000:2_000] = np.nan
    evidence = load_vocal_model().analyse(samples, 16_000)
    assert np.isfinite(evidence.probability)
    assert all(np.isfinite(value) for value in evidence.tags.values())


def test_load_vocal_model_is_cached() -> None:
    """One model per process."""
    assert load_vocal_model() is load_vocal_model()
    assert isinstance(VOCAL_MODEL_VERSION, str) and VOCAL_MODEL_VERSION


def test_missing_or_broken_model_file_is_a_clear_audio_error(tmp_path: Path) -> None:
    """The message names the file; onnxruntime's own error does not escape."""
    missing = tmp_path / "nowhere" / "musicnn_mtt.onnx"
    with pytest.raises(AudioError, match=r"missing: .*musicnn_mtt\.onnx"):
        VocalModel(missing)
    broken = tmp_path / "modèle cassé.onnx"
    broken.write_bytes(b"not an onnx model")
    with pytest.raises(AudioError, match="could not be loaded"):
        VocalModel(broken)


# --- combining windows ---


def _evidence(windows: tuple[float, ...], vocal_tag: float) -> VocalEvidence:
    tags = dict.fromkeys(MTT_TAGS, 0.0) | {"vocal": vocal_tag}
    return VocalEvidence(vocal.aggregate_probability(windows), windows, tags)


def test_combine_weighs_every_patch_equally_and_recomputes_probability() -> None:
    """Tags are averaged per patch; the probability is the percentile over all patches, not a mean."""
    quiet = _evidence((0.1, 0.1, 0.1, 0.1), vocal_tag=0.0)
    sung = _evidence((0.95,), vocal_tag=0.5)
    combined = combine_vocal_evidence([quiet, sung])
    assert combined.window_probabilities == (0.1, 0.1, 0.1, 0.1, 0.95)
    assert combined.tags["vocal"] == pytest.approx(0.1)  # 0.5 over 1 of 5 patches
    assert combined.probability == pytest.approx(np.percentile([0.1] * 4 + [0.95], 90))
    assert combined.probability > 0.6  # a voice in one window of five is not averaged away


def test_combine_of_one_is_identity_and_of_none_is_an_error() -> None:
    """Combining a single item changes nothing; an empty list is a programming error."""
    single = load_vocal_model().analyse(sine(440.0, 4.0), 16_000)
    combined = combine_vocal_evidence([single])
    assert combined.probability == single.probability
    assert combined.window_probabilities == single.window_probabilities
    assert combined.tags == pytest.approx(single.tags)
    with pytest.raises(ValueError):
        combine_vocal_evidence([])
