"""The continuous mix: measured loudness of the written file, smooth boundaries, peaks, length, memory."""

from __future__ import annotations

import errno
import os
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from export_fixtures import SessionMaker, TrackSpec, mix_options, write_audio

from playlist_builder.audio.loudness import LoudnessMeter, integrated_loudness, true_peak_dbtp
from playlist_builder.config import Settings
from playlist_builder.db.library import Library
from playlist_builder.errors import ExportError, InputError
from playlist_builder.export import atomic
from playlist_builder.export.ffmpeg import find_ffmpeg
from playlist_builder.export.mix import MixTrack, Placement, layout, mix_to_file, track_gain
from playlist_builder.services.export_mix import export_mix

MIX_RATE = 44100  # the 22.05 kHz test files are mixed at CD rate: never below 44.1 kHz
CROSSFADE_S = 4.0
ST_STEP_S = 0.5
# Tracks far apart in level (about -8, -33, -21 and -27 LUFS as written), noise and tones mixed.
LEVELS = [
    TrackSpec("Loud wind", seconds=24, amplitude=0.25, noise=True),
    TrackSpec("Whisper", seconds=20, amplitude=0.015, noise=True),
    TrackSpec("Drone", seconds=22, amplitude=0.08, freq=220),
    TrackSpec("Rain", seconds=24, amplitude=0.03, noise=True),
]


def boundary_times(made_specs: list[TrackSpec], crossfade_s: float) -> list[float]:
    """Mix times where each crossfade is half done."""
    times, start = [], 0.0
    for spec in made_specs[:-1]:
        start += spec.seconds - crossfade_s
        times.append(start + crossfade_s / 2)
    return times


def short_term_loudness(samples: np.ndarray, rate: int, step_s: float) -> np.ndarray:
    """Short-term loudness (3 s windows) every `step_s` seconds, through the product's own meter."""
    meter = LoudnessMeter(rate, samples.shape[1], measure_peak=False)
    meter.add(samples)
    return meter.short_term(step_s)


def assert_smooth_boundaries(samples: np.ndarray, rate: int, boundaries: list[float]) -> None:
    """No short-term loudness jump above 3 LU around any track boundary."""
    short_term = short_term_loudness(samples, rate, ST_STEP_S)
    for boundary in boundaries:
        # value i covers the 3 s window ending at (i + 1) * step + 2.5 s... compare windows fully each side
        before = short_term[int((boundary - 6.0) / ST_STEP_S)]
        after = short_term[int((boundary + 3.0) / ST_STEP_S)]
        assert abs(after - before) <= 3.0, (boundary, before, after)
        around = short_term[int((boundary - 8) / ST_STEP_S) : int((boundary + 8) / ST_STEP_S)]
        assert np.max(np.abs(np.diff(around))) <= 3.0, (boundary, around)


@pytest.mark.parametrize("target", [-20.0, -23.0, -18.0])
def test_written_mix_meets_target_and_boundaries_are_smooth(
    library: Library, settings: Settings, make_session: SessionMaker, tmp_path: Path, target: float
) -> None:
    made = make_session(LEVELS, crossfade_s=CROSSFADE_S)
    originals = [integrated_loudness(*sf.read(p)) for p in made.paths if p]
    assert max(originals) - min(originals) > 20  # the test means something only if levels differ widely
    out = tmp_path / "mix.flac"
    result = export_mix(library, settings, made.id, out, target_lufs=target, fade_in_s=2, fade_out_s=4)
    samples, rate = sf.read(out)
    assert rate == MIX_RATE and samples.shape[1] == 2
    expected_s = sum(s.seconds for s in LEVELS) - CROSSFADE_S * (len(LEVELS) - 1)
    assert samples.shape[0] == round(expected_s * rate)
    assert integrated_loudness(samples, rate) == pytest.approx(target, abs=1.0)
    assert true_peak_dbtp(samples, rate) <= -1.0
    assert result.mix.integrated_lufs == pytest.approx(integrated_loudness(samples, rate), abs=0.05)
    assert_smooth_boundaries(samples, rate, boundary_times(LEVELS, CROSSFADE_S))
    assert samples[0].max() == 0 and np.abs(samples[-10:]).max() < 1e-3  # fades at both ends
    sync = library.syncs(made.id, kind="mix")[0]
    assert sync.target == str(out) and sync.details["target_lufs"] == target


def test_peaky_track_gets_less_gain_to_respect_the_ceiling() -> None:
    gain, limited = track_gain(-30.0, -3.0, mix_options(target_lufs=-20.0))
    assert limited and gain == pytest.approx(1.9)
    assert track_gain(-25.0, -10.0, mix_options(target_lufs=-20.0)) == (pytest.approx(5.0), False)
    assert track_gain(-70.0, -120.0, mix_options()) == (0.0, False)  # silence is left alone
    assert track_gain(-60.0, -50.0, mix_options(max_gain_db=24.0)) == (24.0, False)  # noise is not lifted


def test_layout_clamps_fades_and_crossfades_to_the_tracks() -> None:
    tracks = [
        MixTrack(Path("a"), "a", None, 0),
        MixTrack(Path("b"), "b", 3.0, 30.0),
        MixTrack(Path("c"), "c", None, 0),
    ]
    options = mix_options(fade_in_s=30, fade_out_s=60, boundary_fade_s=4, trim_fade_s=3)
    places = layout([100, 500, 40], tracks, 10, options)
    assert places == [
        Placement(play=100, overlap_in=0, overlap_out=15, ramp_in=50, ramp_out=40),
        Placement(play=30, overlap_in=15, overlap_out=0, ramp_in=15, ramp_out=15),  # cut short: fades out
        Placement(play=40, overlap_in=0, overlap_out=0, ramp_in=20, ramp_out=20),
    ]
    for place in places:
        assert place.ramp_in >= place.overlap_in and place.ramp_out >= place.overlap_out
        assert place.ramp_in + place.ramp_out <= place.play
    # Between whole tracks with a short overlap, each side fades over the boundary fade.
    whole = [MixTrack(Path("a"), "a"), MixTrack(Path("b"), "b", None, 0.5)]
    assert layout([600, 600], whole, 10, options) == [
        Placement(play=600, overlap_in=0, overlap_out=5, ramp_in=300, ramp_out=40),
        Placement(play=600, overlap_in=5, overlap_out=0, ramp_in=40, ramp_out=560),
    ]


@pytest.mark.skipif(find_ffmpeg() is None, reason="no ffmpeg to encode MP3 or resample")
def test_mp3_mix_and_mixed_sample_rates(tmp_path: Path) -> None:
    a, b = tmp_path / "a.flac", tmp_path / "b.ogg"
    write_audio(a, TrackSpec("a", seconds=12, amplitude=0.2, noise=True, rate=44100))
    write_audio(b, TrackSpec("b", seconds=12, amplitude=0.02, noise=True, rate=22050, channels=1), seed=3)
    out = tmp_path / "mix.mp3"
    events: list[tuple[float, float, str]] = []
    tracks = [MixTrack(a, "a"), MixTrack(b, "b", None, 3.0)]
    result = mix_to_file(tracks, out, mix_options(target_lufs=-20.0), lambda *e: events.append(e))
    assert events[-1][0] == pytest.approx(events[-1][1]) == pytest.approx(12 + 12 + 21)  # measured + written
    assert [e[0] for e in events] == sorted(e[0] for e in events)
    assert events[0][2] == "measuring a" and events[-1][2] == "mixing b"
    assert result.rate == 44100  # the best source's rate; b is resampled up by ffmpeg
    samples, rate = sf.read(out)
    assert abs(samples.shape[0] / rate - 21.0) < 0.1
    assert integrated_loudness(samples, rate) == pytest.approx(-20.0, abs=1.0)


def _peak_memory_of_mix(paths: list[Path], out: Path) -> int:
    tracks = [MixTrack(p, p.stem, None, 5.0 if i else 0.0) for i, p in enumerate(paths)]
    tracemalloc.start()
    try:
        mix_to_file(tracks, out, mix_options(fade_in_s=5, fade_out_s=10))
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_rendering_streams_in_memory_that_does_not_grow_with_the_mix(tmp_path: Path) -> None:
    paths = []
    for index in range(6):
        path = tmp_path / f"{index}.wav"
        write_audio(
            path, TrackSpec(str(index), seconds=30, amplitude=0.02 * (index + 1), noise=True, rate=44100)
        )
        paths.append(path)
    short = _peak_memory_of_mix(paths[:2], tmp_path / "short.wav")
    long = _peak_memory_of_mix(paths, tmp_path / "long.wav")
    long_mix_bytes = (6 * 30 - 5 * 5) * 44100 * 2 * 2  # the 16-bit mix held in memory would take ~27 MB
    assert long < 1.25 * short, (short, long)
    assert long < long_mix_bytes / 2, long


def test_bad_target_and_format_are_input_errors(
    library: Library, settings: Settings, make_session: SessionMaker, tmp_path: Path
) -> None:
    made = make_session(LEVELS[:1])
    with pytest.raises(InputError, match="outside -23…-18"):
        export_mix(library, settings, made.id, tmp_path / "m.flac", target_lufs=-14)
    with pytest.raises(InputError, match=r"\.flac, \.wav, \.mp3"):
        export_mix(library, settings, made.id, tmp_path / "m.ogg")


@pytest.mark.parametrize("suffix", [".flac", ".wav"])
@pytest.mark.parametrize("fail_from_end", [False, True])
def test_disk_full_while_mixing_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str, fail_from_end: bool
) -> None:
    """The card fills at the first write, or only at the header rewrite on close: no file either way."""
    source = tmp_path / "a.wav"
    write_audio(source, TrackSpec("a", seconds=3, amplitude=0.1, noise=True))
    folder = tmp_path / "out"
    folder.mkdir()
    real_write = os.write
    calls = {"n": 0, "limit": 10**9}

    def write(fd: int, data: bytes) -> int:
        calls["n"] += 1
        if calls["n"] > calls["limit"]:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(atomic.os, "write", write)
    mix_to_file(
        [MixTrack(source, "a")], folder / f"probe{suffix}", mix_options(fade_in_s=0.5, fade_out_s=0.5)
    )
    calls["limit"], calls["n"] = (calls["n"] - 1 if fail_from_end else 0), 0
    with pytest.raises(ExportError, match="not enough free space"):
        mix_to_file(
            [MixTrack(source, "a")], folder / f"mix{suffix}", mix_options(fade_in_s=0.5, fade_out_s=0.5)
        )
    assert sorted(os.listdir(folder)) == [f"probe{suffix}"]


def test_whole_tracks_meet_in_a_gentle_dip_and_keep_their_length(tmp_path: Path) -> None:
    """Back to back, the outgoing track fades out and the next fades in: no jump, no lost seconds."""
    paths = []
    for index in range(2):
        paths.append(tmp_path / f"{index}.wav")
        write_audio(
            paths[-1], TrackSpec(str(index), seconds=10, amplitude=0.1, freq=220 + 110 * index, rate=44100)
        )
    out = tmp_path / "mix.wav"
    tracks = [MixTrack(paths[0], "a"), MixTrack(paths[1], "b", None, 0.0)]
    mix_to_file(tracks, out, mix_options(boundary_fade_s=4.0, fade_in_s=0.5, fade_out_s=0.5))
    samples, rate = sf.read(out)
    assert samples.shape[0] == 20 * rate  # nothing overlapped, nothing lost
    window = rate // 10
    rms = np.sqrt(np.mean(samples[: samples.shape[0] // window * window, 0].reshape(-1, window) ** 2, axis=1))
    body = np.median(rms)
    assert rms[99] < 0.1 * body and rms[100] < 0.1 * body  # near silence at the change (10 s)
    assert rms[60] > 0.9 * body and rms[140] > 0.9 * body  # full level outside the 4 s fades
    assert np.max(np.abs(np.diff(rms[55:145]))) < 0.05 * body  # ramps of 2.5% per 100 ms, not steps
