"""Whole-file analysis on generated files: formats, rates, channel layouts, edge cases, failures."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from audio_signals import RATE, binaural_pair, isochronic, pink_noise, tone, write
from mutagen.wave import WAVE

from playlist_builder.audio import decode
from playlist_builder.audio.analyzer import ANALYZER_VERSION, analyze_file
from playlist_builder.audio.vocal import MTT_TAGS, VocalModel
from playlist_builder.errors import AudioError
from playlist_builder.model import BrainwaveBand


def test_a_binaural_file_is_fully_described(tmp_path: Path, vocal_model: VocalModel) -> None:
    path = write(tmp_path / "Théta 200-206.flac", binaural_pair(200.0, 206.0, 20.0, noise=0.3))
    features = analyze_file(path, vocal_model)
    assert features.analyzer_version == ANALYZER_VERSION
    assert features.binaural is not None
    assert features.binaural.beat_hz == pytest.approx(6.0, abs=0.25)
    assert features.binaural.band is BrainwaveBand.THETA
    assert features.binaural.share == 1.0
    assert features.amplitude_beat is None
    assert features.duration_s == pytest.approx(20.0, abs=0.01)
    assert (features.sample_rate, features.channels, features.decoder) == (RATE, 2, "soundfile")
    assert features.sampling_plan == ((0.0, 20.0),)
    assert set(features.tags) == set(MTT_TAGS)
    assert 0.0 <= features.vocal_probability <= 1.0
    assert features.vocal_windows and all(0.0 <= p <= 1.0 for p in features.vocal_windows)
    assert 0.0 <= features.energy <= 1.0
    assert -40 < features.integrated_lufs < -5
    json.dumps(asdict(features))  # storable as JSON: plain finite numbers only


def test_an_isochronic_file_is_not_binaural(tmp_path: Path, vocal_model: VocalModel) -> None:
    features = analyze_file(write(tmp_path / "iso.ogg", isochronic(220.0, 10.0, 10.0)), vocal_model)
    assert features.binaural is None
    assert features.amplitude_beat is not None
    assert features.amplitude_beat.kind == "isochronic"
    assert features.amplitude_beat.rate_hz == pytest.approx(10.0, abs=0.25)


def test_silence(tmp_path: Path, vocal_model: VocalModel) -> None:
    features = analyze_file(write(tmp_path / "silence.wav", np.zeros((RATE * 3, 2), np.float32)), vocal_model)
    assert features.integrated_lufs == -70.0
    assert features.true_peak_dbtp == -120.0
    assert features.energy == 0.0
    assert features.nature_score == 0.0
    assert features.binaural is None and features.amplitude_beat is None


def test_clipping_shows_in_the_true_peak(tmp_path: Path, vocal_model: VocalModel) -> None:
    clipped = np.clip(tone(997.0, 3.0, amplitude=2.0), -1.0, 1.0).astype(np.float32)
    features = analyze_file(write(tmp_path / "clipped.wav", clipped, subtype="FLOAT"), vocal_model)
    assert features.true_peak_dbtp >= 0.0
    assert features.integrated_lufs > -3.0


def test_mono_8khz_file(tmp_path: Path, vocal_model: VocalModel) -> None:
    path = write(tmp_path / "phone.wav", tone(997.0, 4.0, rate=8000).astype(np.float32), rate=8000)
    features = analyze_file(path, vocal_model)
    assert (features.sample_rate, features.channels) == (8000, 1)
    assert features.stereo_width == 0.0
    assert features.spectral_centroid_hz == pytest.approx(997.0, rel=0.05)
    assert features.integrated_lufs == pytest.approx(-3.01 - 6.02, abs=0.2)  # mono sine at -6 dBFS peak


def test_96khz_file(tmp_path: Path, vocal_model: VocalModel) -> None:
    rate = 96_000
    t = np.arange(rate * 3) / rate
    samples = np.stack([0.3 * np.sin(2 * np.pi * 400 * t), 0.3 * np.sin(2 * np.pi * 409 * t)], axis=1)
    features = analyze_file(
        write(tmp_path / "hires.flac", samples.astype(np.float32), rate=rate), vocal_model
    )
    assert features.sample_rate == rate
    assert features.binaural is not None and features.binaural.beat_hz == pytest.approx(9.0, abs=0.25)


def test_surround_file_is_metered_with_surround_weights(tmp_path: Path, vocal_model: VocalModel) -> None:
    frames = RATE * 4
    samples = np.zeros((frames, 6), dtype=np.float32)
    samples[:, 4] = tone(997.0, 4.0, amplitude=0.1)  # left surround only
    features = analyze_file(write(tmp_path / "surround.wav", samples), vocal_model)
    assert features.channels == 6
    assert features.integrated_lufs == pytest.approx(-20 - 3.01 + 10 * np.log10(1.41), abs=0.1)
    assert features.stereo_width == pytest.approx(0.5)  # all on one side after the fold-down


def test_one_second_file(tmp_path: Path, vocal_model: VocalModel) -> None:
    features = analyze_file(write(tmp_path / "blip.ogg", binaural_pair(300.0, 310.0, 1.0)), vocal_model)
    assert features.duration_s == pytest.approx(1.0, abs=0.05)
    assert len(features.vocal_windows) == 1


def test_long_file_is_sampled_with_its_plan_recorded(tmp_path: Path, vocal_model: VocalModel) -> None:
    rate = 8000  # keeps a 5-minute fixture small and quick
    noise = pink_noise(rate * 300, seed=5, amplitude=0.3).astype(np.float32)
    features = analyze_file(write(tmp_path / "rain.flac", noise, rate=rate), vocal_model)
    assert features.duration_s == pytest.approx(300.0)
    assert features.sampling_plan == decode.sampling_plan(300.0)
    assert len(features.vocal_windows) == len(features.sampling_plan) * 5  # each 15 s window heard whole
    assert features.nature_score > 0.8


def test_analysis_is_repeatable(tmp_path: Path, vocal_model: VocalModel) -> None:
    path = write(tmp_path / "noise.flac", pink_noise(RATE * 5, seed=8, amplitude=0.3).astype(np.float32))
    first, second = analyze_file(path, vocal_model), analyze_file(path, vocal_model)
    assert first == second


def test_a_corrupt_file_raises_audio_error_with_the_reason(tmp_path: Path, vocal_model: VocalModel) -> None:
    path = tmp_path / "corrupt.flac"
    path.write_bytes(b"fLaC" + b"\x00" * 300)
    with pytest.raises(AudioError, match=r"corrupt\.flac: cannot decode"):
        analyze_file(path, vocal_model)


def test_a_truncated_file_measures_only_what_decodes(tmp_path: Path, vocal_model: VocalModel) -> None:
    # Not "analyses fine": the header still promises 4 seconds, but only 2 decode. The analysis says so
    # (the analyse service then marks the file damaged: never eligible).
    path = write(tmp_path / "cut.wav", tone(997.0, 4.0).astype(np.float32))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    assert WAVE(str(path)).info.length == pytest.approx(4.0)  # what the header claims (and the scan reads)
    features = analyze_file(path, vocal_model)
    assert features.duration_s == pytest.approx(2.0, abs=0.05)
    assert features.integrated_lufs == pytest.approx(-9.0, abs=0.5)


def test_a_long_truncated_flac_counts_its_decodable_frames(tmp_path: Path, vocal_model: VocalModel) -> None:
    rate = 8000
    noise = pink_noise(rate * 300, seed=6, amplitude=0.3).astype(np.float32)
    path = write(tmp_path / "cut.flac", noise, rate=rate)
    whole = analyze_file(path, vocal_model)
    assert whole.duration_s == pytest.approx(300.0, abs=0.01)  # healthy: the tail decodes
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * 0.35)])  # cut to 35 % of its bytes
    assert sf.info(str(path)).duration == pytest.approx(300.0)  # the header still says 5 minutes
    features = analyze_file(path, vocal_model)
    assert 80.0 < features.duration_s < 120.0


def test_non_finite_samples_count_as_silence(tmp_path: Path, vocal_model: VocalModel) -> None:
    samples = tone(997.0, 3.0).astype(np.float32)
    samples[RATE : RATE + 100] = np.nan
    samples[RATE * 2] = np.inf
    features = analyze_file(write(tmp_path / "nan.wav", samples, subtype="FLOAT"), vocal_model)
    assert features.integrated_lufs == pytest.approx(-9.0, abs=0.2)
    json.dumps(asdict(features), allow_nan=False)


def test_decodable_length_of_a_file_cut_just_before_its_end(tmp_path: Path, vocal_model: VocalModel) -> None:
    # the tail the header promises is gone: the whole-file read counts what decodes, short of 300 s
    rate = 8000
    path = write(
        tmp_path / "nearly.flac", pink_noise(rate * 300, seed=7, amplitude=0.3).astype(np.float32), rate=rate
    )
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * 0.995)])
    with decode.open_audio(path) as source:
        assert source.info.duration_s == pytest.approx(300.0)
    assert 290.0 < analyze_file(path, vocal_model).duration_s < 299.9


def test_a_file_that_ends_before_its_first_sampled_window_says_how_much_decodes(
    tmp_path: Path, vocal_model: VocalModel
) -> None:
    # A 5-minute FLAC cut to 5 % of its bytes: its first sampled window (at 30 s) is never reached.
    rate = 8000
    path = write(
        tmp_path / "stub.flac", pink_noise(rate * 300, seed=9, amplitude=0.3).astype(np.float32), rate=rate
    )
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * 0.05)])
    with pytest.raises(AudioError, match=r"only \d+\.\d s of the 300\.0 s its header states decode"):
        analyze_file(path, vocal_model)
