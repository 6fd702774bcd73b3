"""Loudness against the reference values of ITU-R BS.1770-4, EBU Tech 3341 and Tech 3342."""

from __future__ import annotations

import numpy as np
import pytest

from playlist_builder.audio import loudness

RATE = 48_000


def sine(db: float, duration: float, freq: float = 1000.0, rate: int = RATE) -> np.ndarray:
    """A sine with peak level `db` dBFS."""
    t = np.arange(round(duration * rate)) / rate
    return 10 ** (db / 20) * np.sin(2 * np.pi * freq * t)


def stereo(mono: np.ndarray) -> np.ndarray:
    """The same signal in both channels."""
    return np.stack([mono, mono], axis=1)


def test_k_weighting_matches_the_published_48k_coefficients() -> None:
    sos = loudness.k_weighting_sos(48_000)
    assert sos[0] == pytest.approx([1.53512485958697, -2.69169618940638, 1.19839281085285, 1.0,
                                    -1.69065929318241, 0.73248077421585], abs=1e-9)  # fmt: skip
    assert sos[1] == pytest.approx([1.0, -2.0, 1.0, 1.0, -1.99004745483398, 0.99007225036621], abs=1e-9)


def test_full_scale_1khz_sine_on_one_channel_reads_minus_3_01() -> None:
    left_only = np.stack([sine(0.0, 10.0), np.zeros(10 * RATE)], axis=1)
    assert loudness.integrated_loudness(left_only, RATE) == pytest.approx(-3.01, abs=0.02)
    assert loudness.integrated_loudness(sine(0.0, 10.0), RATE) == pytest.approx(-3.01, abs=0.02)  # mono


@pytest.mark.parametrize("rate", [8000, 44_100, 48_000, 96_000])
@pytest.mark.parametrize("level", [-20.0, -23.0, -33.0])
def test_stereo_sine_reads_its_level_at_any_rate(rate: int, level: float) -> None:
    # EBU Tech 3341 cases 1 and 2: a stereo 1 kHz sine at L dBFS measures L LUFS (±0.1)
    assert loudness.integrated_loudness(stereo(sine(level, 20.0, 997.0, rate)), rate) == pytest.approx(
        level, abs=0.1
    )


def test_gating_ignores_quiet_passages() -> None:
    # Tech 3341 cases 3 and 4: quieter passages fall under the relative and absolute gates
    case3 = np.concatenate([stereo(sine(-36, 10)), stereo(sine(-23, 60)), stereo(sine(-36, 10))])
    case4 = np.concatenate(
        [stereo(sine(x, d)) for x, d in ((-72, 10), (-36, 10), (-23, 60), (-36, 10), (-72, 10))]
    )
    assert loudness.integrated_loudness(case3, RATE) == pytest.approx(-23.0, abs=0.1)
    assert loudness.integrated_loudness(case4, RATE) == pytest.approx(-23.0, abs=0.1)


@pytest.mark.parametrize(
    ("levels", "expected"),
    [((-20, -30), 10.0), ((-20, -15), 5.0), ((-40, -20), 20.0), ((-50, -35, -20, -35, -50), 15.0)],
)
def test_loudness_range_matches_tech_3342(levels: tuple[int, ...], expected: float) -> None:
    signal = np.concatenate([stereo(sine(level, 20)) for level in levels])
    assert loudness.loudness_range(signal, RATE) == pytest.approx(expected, abs=1.0)


def test_silence_reads_as_the_absolute_gate_and_peak_floor() -> None:
    silence = np.zeros((5 * RATE, 2))
    assert loudness.integrated_loudness(silence, RATE) == loudness.ABSOLUTE_GATE_LUFS
    assert loudness.loudness_range(silence, RATE) == 0.0
    assert loudness.true_peak_dbtp(silence, RATE) == loudness.TRUE_PEAK_FLOOR_DB
    assert loudness.integrated_loudness(np.zeros((0, 2)), RATE) == loudness.ABSOLUTE_GATE_LUFS


def test_true_peak_finds_the_peak_between_samples() -> None:
    # a sine at fs/4 sampled 45° off its crest: samples reach -3 dB, the waveform 0 dB
    t = np.arange(RATE)
    samples = np.sin(2 * np.pi * t / 4 + np.pi / 4)
    assert 20 * np.log10(np.abs(samples).max()) == pytest.approx(-3.01, abs=0.01)
    assert loudness.true_peak_dbtp(samples, RATE) == pytest.approx(0.0, abs=0.3)


def test_true_peak_of_clipped_audio_is_above_full_scale() -> None:
    clipped = np.clip(sine(6.0, 2.0, 997.0), -1.0, 1.0)
    assert loudness.true_peak_dbtp(stereo(clipped), RATE) >= 0.0


def test_streaming_meter_equals_one_shot_measurement() -> None:
    rng = np.random.default_rng(3)
    signal = (rng.standard_normal((RATE * 12, 2)) * np.linspace(0.01, 0.3, RATE * 12)[:, None]).astype(
        np.float32
    )
    meter = loudness.LoudnessMeter(RATE, 2)
    for start in range(0, signal.shape[0], 12_345):  # odd block sizes: sub-blocks straddle block edges
        meter.add(signal[start : start + 12_345])
    assert meter.integrated() == pytest.approx(loudness.integrated_loudness(signal, RATE), abs=0.01)
    assert meter.loudness_range() == pytest.approx(loudness.loudness_range(signal, RATE), abs=0.05)
    assert meter.true_peak_dbtp() == pytest.approx(loudness.true_peak_dbtp(signal, RATE), abs=1e-6)


def test_segments_are_gated_as_one_programme() -> None:
    meter = loudness.LoudnessMeter(RATE, 2)
    for level in (-30.0, -20.0):
        meter.new_segment()
        meter.add(stereo(sine(level, 5.0)))
    joined = loudness.integrated_loudness(np.concatenate([stereo(sine(-30, 5)), stereo(sine(-20, 5))]), RATE)
    assert meter.integrated() == pytest.approx(joined, abs=0.1)


def test_surround_channels_weigh_more_and_lfe_not_at_all() -> None:
    tone = sine(-20.0, 10.0)
    frames = tone.size

    def five_one(channel: int) -> np.ndarray:
        block = np.zeros((frames, 6))
        block[:, channel] = tone
        return block

    front = loudness.integrated_loudness(five_one(0), RATE)
    surround = loudness.integrated_loudness(five_one(4), RATE)
    assert surround - front == pytest.approx(10 * np.log10(1.41), abs=0.02)
    assert loudness.integrated_loudness(five_one(3), RATE) == loudness.ABSOLUTE_GATE_LUFS  # LFE only
    assert list(loudness.channel_weights(6)) == [1.0, 1.0, 1.0, 0.0, 1.41, 1.41]


def test_short_term_loudness_follows_the_level() -> None:
    meter = loudness.LoudnessMeter(RATE, 2)  # the meter the analyser and the mix use
    meter.add(np.concatenate([stereo(sine(-30, 6)), stereo(sine(-20, 6))]))
    values = meter.short_term()
    assert values[0] == pytest.approx(-30.0, abs=0.2)
    assert values[-1] == pytest.approx(-20.0, abs=0.2)


def test_rejects_three_dimensional_input() -> None:
    with pytest.raises(ValueError, match="1-D or"):
        loudness.integrated_loudness(np.zeros((2, 2, 2)), RATE)
