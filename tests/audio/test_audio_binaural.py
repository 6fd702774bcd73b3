"""Binaural detection: every generated binaural pair found (beat ±0.25 Hz), nothing else called binaural."""

from __future__ import annotations

import numpy as np
import pytest
from audio_signals import RATE, binaural_pair, isochronic, monaural, pink_noise, tone

from playlist_builder.audio import binaural
from playlist_builder.model import BrainwaveBand

DURATION = 15.0  # one analysis window

BINAURAL_CASES = [
    (200.0, 206.0, 0.0),
    (200.0, 206.0, 0.5),  # under pink noise louder than the tones
    (400.0, 410.3, 0.3),
    (150.0, 150.7, 0.3),  # a slow delta beat: tones 0.7 Hz apart
    (200.0, 239.0, 0.0),  # gamma, near the top of the beat range
    (1200.0, 1210.0, 0.3),  # near the top of the carrier range
    (315.0, 311.0, 0.3),  # the higher tone in the left ear
]


@pytest.mark.parametrize(("left", "right", "noise"), BINAURAL_CASES)
def test_finds_every_binaural_pair_with_the_beat_within_a_quarter_hertz(
    left: float, right: float, noise: float
) -> None:
    found = binaural.analyse_window(binaural_pair(left, right, DURATION, noise), RATE)
    assert found.binaural is not None
    carrier, beat = found.binaural
    assert beat == pytest.approx(abs(left - right), abs=0.25)
    assert carrier == pytest.approx((left + right) / 2, abs=0.5)
    assert found.amplitude is None  # each ear holds a steady tone: nothing pulses


def test_a_short_file_still_gets_its_beat() -> None:
    found = binaural.analyse_window(binaural_pair(220.0, 230.0, 2.0), RATE)
    assert found.binaural is not None
    assert found.binaural[1] == pytest.approx(10.0, abs=0.25)


@pytest.mark.parametrize(("carrier", "rate"), [(200.0, 6.0), (300.0, 10.0), (150.0, 2.5), (440.0, 40.0)])
def test_isochronic_pulses_are_not_binaural_but_reported_with_their_rate(carrier: float, rate: float) -> None:
    found = binaural.analyse_window(isochronic(carrier, rate, DURATION), RATE)
    assert found.binaural is None
    assert found.amplitude is not None
    kind, measured_carrier, measured_rate = found.amplitude
    assert kind == "isochronic"
    assert measured_carrier == pytest.approx(carrier, abs=0.5)
    assert measured_rate == pytest.approx(rate, abs=0.25)


@pytest.mark.parametrize(("low", "high"), [(200.0, 206.0), (300.0, 310.0), (150.0, 152.5)])
def test_monaural_beats_are_not_binaural_but_reported_with_their_rate(low: float, high: float) -> None:
    signal = monaural(low, high, DURATION)
    for candidate in (signal, signal + pink_noise(signal.shape[0], seed=4, amplitude=0.2)[:, None]):
        found = binaural.analyse_window(candidate.astype(np.float32), RATE)
        assert found.binaural is None
        assert found.amplitude is not None
        assert found.amplitude[0] == "monaural"
        assert found.amplitude[1] == pytest.approx((low + high) / 2, abs=0.5)
        assert found.amplitude[2] == pytest.approx(high - low, abs=0.25)


def test_amplitude_modulated_tone_in_both_ears_is_not_binaural() -> None:
    t = np.arange(round(DURATION * RATE)) / RATE
    mono = 0.4 * np.sin(2 * np.pi * 250 * t) * (0.5 + 0.5 * np.sin(2 * np.pi * 7 * t))
    found = binaural.analyse_window(np.stack([mono, mono], axis=1).astype(np.float32), RATE)
    assert found.binaural is None
    assert found.amplitude is not None and found.amplitude[2] == pytest.approx(7.0, abs=0.25)


def _chords(seed: int) -> np.ndarray:
    """Plain stereo 'music': changing chords with harmonics, panned differently, with some noise."""
    rng = np.random.default_rng(seed)
    frames = round(DURATION * RATE)
    t = np.arange(frames) / RATE
    left = np.zeros(frames)
    right = np.zeros(frames)
    for start in range(0, frames, RATE // 2):  # a new chord every half second
        stop = min(frames, start + RATE // 2)
        envelope = np.exp(-np.arange(stop - start) / (0.2 * RATE))
        for root in rng.choice([110.0, 146.8, 164.8, 196.0, 220.0, 246.9, 293.7], size=3):
            pan = rng.uniform(0.0, 1.0)
            for harmonic in (1, 2, 3):
                partial = np.sin(2 * np.pi * root * harmonic * t[start:stop]) * envelope / harmonic
                left[start:stop] += (1 - pan) * partial
                right[start:stop] += pan * partial
    stereo = np.stack([left, right], axis=1) * 0.1
    return (stereo + pink_noise(frames, seed=seed, amplitude=0.02)[:, None]).astype(np.float32)


@pytest.mark.parametrize(
    "name",
    [
        "identical tone",
        "mono tone",
        "white noise",
        "pink noise",
        "silence",
        "chords 1",
        "chords 2",
        "far tones",
    ],
)
def test_nothing_else_is_called_binaural(name: str) -> None:
    frames = round(DURATION * RATE)
    rng = np.random.default_rng(5)
    same = tone(200.0, DURATION)
    signals = {
        "identical tone": np.stack([same, same], axis=1),
        "mono tone": same[:, None],
        "white noise": rng.standard_normal((frames, 2)) * 0.1,
        "pink noise": np.stack([pink_noise(frames, 6), pink_noise(frames, 7)], axis=1),
        "silence": np.zeros((frames, 2)),
        "chords 1": _chords(1),
        "chords 2": _chords(2),
        # each ear its own tone, but further apart than a critical band: two notes, not a beat
        "far tones": np.stack([tone(100.0, DURATION), tone(138.0, DURATION)], axis=1),
    }
    found = binaural.analyse_window(signals[name].astype(np.float32), RATE)
    assert found.binaural is None
    assert found.amplitude is None  # nor does anything here pulse (a steady tone included)


def test_summary_reports_medians_band_and_share() -> None:
    windows = [
        binaural.WindowBeats(binaural=(203.0, 6.0)),
        binaural.WindowBeats(binaural=(203.0, 6.2)),
        binaural.WindowBeats(binaural=(203.0, 5.9)),
        binaural.WindowBeats(),
    ]
    beat, pulse = binaural.summarise(windows)
    assert beat is not None and pulse is None
    assert beat.beat_hz == pytest.approx(6.0)
    assert beat.band is BrainwaveBand.THETA
    assert beat.share == pytest.approx(0.75)


def test_summary_ignores_a_beat_heard_in_too_few_windows() -> None:
    hit, miss = binaural.WindowBeats(binaural=(203.0, 6.0)), binaural.WindowBeats()
    assert binaural.summarise([hit, miss, miss, miss]) == (None, None)  # a quarter of the windows
    assert binaural.summarise([hit, miss]) == (None, None)  # half, but only one window
    assert binaural.summarise([hit])[0] is not None  # a short track analysed in one window
    assert binaural.summarise([]) == (None, None)


def test_a_pulse_too_slow_to_repeat_in_the_window_is_not_a_beat() -> None:
    found = binaural.analyse_window(isochronic(300.0, 0.6, 5.0), RATE)  # three pulses in 5 s
    assert found.amplitude is None
