"""Spectral shape, onsets, tempo, stereo width, energy and nature evidence on signals with known answers."""

from __future__ import annotations

import numpy as np
import pytest
from audio_signals import RATE, pink_noise, tone
from hypothesis import given
from hypothesis import strategies as st

from playlist_builder.audio import features
from playlist_builder.audio.energy import energy_parts, energy_score
from playlist_builder.audio.nature import NatureAccumulator


def measure(stereo: np.ndarray, rate: int = RATE) -> dict[str, float | None]:
    """Run the feature accumulator over one window."""
    stereo = stereo if stereo.ndim == 2 else stereo[:, None]
    accumulator = features.FeatureAccumulator()
    accumulator.add_window(stereo, features.spectrogram(stereo.mean(axis=1), rate))
    return accumulator.result()


def clicks(bpm: float, duration: float = 15.0, noise: float = 0.01) -> np.ndarray:
    """Short 2 kHz blips at a steady tempo over faint noise."""
    frames = round(duration * RATE)
    impulses = np.zeros(frames)
    impulses[:: round(RATE * 60 / bpm)] = 1.0
    blip = np.exp(-np.arange(2000) / 200) * np.sin(2 * np.pi * 2000 * np.arange(2000) / RATE)
    signal = 0.5 * np.convolve(impulses, blip)[:frames]
    return signal + noise * np.random.default_rng(0).standard_normal(frames)


def test_a_tone_has_its_frequency_as_centroid_and_no_flatness() -> None:
    result = measure(tone(1000.0, 5.0))
    assert result["spectral_centroid_hz"] == pytest.approx(1000.0, rel=0.03)
    assert result["spectral_rolloff_hz"] == pytest.approx(1000.0, abs=100)
    assert result["spectral_flatness"] < 0.01
    assert result["onset_rate_hz"] == 0.0
    assert result["tempo_bpm"] is None


def test_white_noise_is_flat_bright_and_without_onsets() -> None:
    result = measure(0.1 * np.random.default_rng(1).standard_normal(RATE * 10))
    assert result["spectral_flatness"] > 0.5
    assert result["spectral_centroid_hz"] > 8000
    assert result["onset_rate_hz"] < 0.3
    assert result["pulse_clarity"] < 0.2


@pytest.mark.parametrize("bpm", [60.0, 90.0, 120.0, 150.0])
def test_a_click_track_gives_its_tempo_and_onset_rate(bpm: float) -> None:
    result = measure(clicks(bpm))
    assert result["tempo_bpm"] == pytest.approx(bpm, rel=0.03)
    assert result["onset_rate_hz"] == pytest.approx(bpm / 60, rel=0.15)
    assert result["pulse_clarity"] > 0.5


def test_silence_measures_zero_everywhere() -> None:
    result = measure(np.zeros((RATE * 3, 2), dtype=np.float32))
    assert all(value in (0.0, None) for value in result.values())


def test_stereo_width_from_mono_to_out_of_phase() -> None:
    noise = np.random.default_rng(2).standard_normal((RATE * 3, 2)) * 0.1
    same = np.stack([noise[:, 0], noise[:, 0]], axis=1)
    assert measure(same)["stereo_width"] == pytest.approx(0.0, abs=1e-6)
    assert measure(noise)["stereo_width"] == pytest.approx(0.5, abs=0.02)
    assert measure(same * [1, -1])["stereo_width"] == pytest.approx(1.0, abs=1e-6)
    assert measure(noise[:, :1])["stereo_width"] == 0.0  # mono file


def test_surround_folds_down_to_stereo_without_the_lfe() -> None:
    block = np.zeros((4, 6), dtype=np.float32)
    block[:, 2] = 1.0  # centre
    block[:, 3] = 5.0  # LFE
    block[:, 4] = 1.0  # left surround
    folded = features.to_stereo(block)
    assert folded.shape == (4, 2)
    assert folded[0] == pytest.approx([2 * np.sqrt(0.5), np.sqrt(0.5)])
    mono = np.ones((4, 1), dtype=np.float32)
    assert features.to_stereo(mono) is mono


lufs = st.floats(-80, 0)
rates = st.floats(0, 20)
centroids = st.floats(20, 20_000)
tempos = st.one_of(st.none(), st.floats(30, 250))
clarity = st.floats(0, 1)


@given(lufs, rates, centroids, tempos, clarity, st.floats(0, 10), st.floats(0, 5), st.floats(0, 4000))
def test_energy_is_bounded_and_never_falls_when_louder_denser_brighter_or_faster(
    loud: float, onsets: float, centroid: float, tempo: float | None, pulse: float, more_db: float,
    more_onsets: float, more_hz: float,
) -> None:  # fmt: skip
    base = energy_score(loud, onsets, centroid, tempo, pulse)
    assert 0.0 <= base <= 1.0
    assert energy_score(loud + more_db, onsets, centroid, tempo, pulse) >= base
    assert energy_score(loud, onsets + more_onsets, centroid, tempo, pulse) >= base
    assert energy_score(loud, onsets, centroid + more_hz, tempo, pulse) >= base
    if tempo is not None:
        assert energy_score(loud, onsets, centroid, tempo + more_onsets * 10, pulse) >= base
    assert energy_score(loud, onsets, centroid, tempo, min(1.0, pulse + 0.1)) >= base


def test_energy_spans_still_to_busy() -> None:
    still = energy_score(-38.0, 0.1, 300.0, None, 0.0)
    busy = energy_score(-9.0, 7.0, 3500.0, 160.0, 0.9)
    assert still < 0.1
    assert busy > 0.9
    assert set(energy_parts(-20.0, 1.0, 1000.0, 100.0, 0.5)) == {"loudness", "density", "brightness", "pace"}


def nature_of(mono: np.ndarray, rate: int = RATE) -> tuple[float, dict[str, float]]:
    """Nature score and parts of one window."""
    accumulator = NatureAccumulator()
    accumulator.add_window(mono.astype(np.float32), features.spectrogram(mono, rate))
    return accumulator.result()


def test_rain_like_noise_scores_as_nature() -> None:
    frames = RATE * 15
    slow_swell = 1.0 + 0.3 * np.sin(2 * np.pi * 0.1 * np.arange(frames) / RATE)  # a wave every 10 s
    score, parts = nature_of(pink_noise(frames, seed=3, amplitude=0.3) * slow_swell)
    assert score > 0.8
    assert parts["noise_texture"] > 0.8 and parts["steady_level"] > 0.8


def test_chirps_over_a_noise_bed_score_as_nature() -> None:
    frames = RATE * 15
    t = np.arange(frames) / RATE
    bed = pink_noise(frames, seed=4, amplitude=0.05)
    chirps = np.zeros(frames)
    for start in np.arange(0.3, 14.5, 0.7):  # a 120 ms upward glide every 0.7 s
        index = (t >= start) & (t < start + 0.12)
        local = t[index] - start
        chirps[index] = 0.3 * np.sin(2 * np.pi * (3000 * local + 0.5 * 12_000 * local**2))
    score, parts = nature_of(bed + chirps)
    assert parts["calls"] > 0.5
    assert score > 0.6


@pytest.mark.parametrize("kind", ["tone", "chord", "beat over chord", "silence"])
def test_music_like_signals_are_not_nature(kind: str) -> None:
    duration = 15.0
    chord = sum(tone(f * h, duration, amplitude=0.1 / h) for f in (220.0, 277.2, 329.6) for h in (1, 2, 3))
    signals = {
        "tone": tone(440.0, duration),
        "chord": chord,
        "beat over chord": chord + clicks(120.0, duration, noise=0.0),
        "silence": np.zeros(round(duration * RATE)),
    }
    score, _ = nature_of(np.asarray(signals[kind], dtype=float))
    assert score < 0.3
