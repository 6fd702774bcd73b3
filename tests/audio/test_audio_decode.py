"""Decoding: the sampling plan, windows from every format, the ffmpeg fallback, and clear failures."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from audio_signals import RATE, tone, write

from playlist_builder.audio import decode
from playlist_builder.errors import AudioError


@pytest.mark.parametrize("duration", [0.5, 30.0, decode.WHOLE_TRACK_S])
def test_short_tracks_are_read_whole(duration: float) -> None:
    assert decode.sampling_plan(duration) == ((0.0, duration),)


@pytest.mark.parametrize("duration", [61.0, 180.0, 300.0, 600.0, 3600.0, 8 * 3600.0])
def test_long_tracks_are_sampled_in_windows_spread_over_the_whole(duration: float) -> None:
    plan = decode.sampling_plan(duration)
    assert decode.MIN_WINDOWS <= len(plan) <= decode.MAX_WINDOWS
    assert all(length == decode.WINDOW_S for _, length in plan)
    starts = [start for start, _ in plan]
    assert starts == sorted(starts)
    assert starts[0] < duration / len(plan)  # the first window lies in the first share of the track
    assert starts[-1] + decode.WINDOW_S <= duration
    assert starts[-1] > duration * (1 - 1.5 / len(plan))  # ... and the last in the last share
    assert decode.plan_seconds(plan) <= decode.MAX_WINDOWS * decode.WINDOW_S


def test_unknown_length_reads_consecutive_windows_from_the_start() -> None:
    plan = decode.sampling_plan(None)
    assert plan[0] == (0.0, decode.WINDOW_S)
    assert [start for start, _ in plan] == [i * decode.WINDOW_S for i in range(decode.MAX_WINDOWS)]


@pytest.mark.parametrize("suffix", [".wav", ".flac", ".ogg", ".mp3"])
def test_soundfile_reads_a_window_of_each_format(tmp_path: Path, suffix: str) -> None:
    samples = np.stack([tone(440, 4.0), tone(660, 4.0)], axis=1).astype(np.float32)
    path = write(tmp_path / f"tone{suffix}", samples, subtype="MPEG_LAYER_III" if suffix == ".mp3" else None)
    with decode.open_audio(path) as source:
        assert source.info.decoder == decode.SOUNDFILE
        assert source.info.channels == 2
        assert source.info.duration_s == pytest.approx(4.0, abs=0.1)
        blocks = list(source.read_window(1.0, 2.0))
    window = np.concatenate(blocks)
    assert window.dtype == np.float32
    assert window.shape[1] == 2
    assert window.shape[0] == pytest.approx(2 * RATE, rel=0.01)
    assert np.sqrt(np.mean(window[:, 0] ** 2)) == pytest.approx(0.5 / np.sqrt(2), rel=0.1)


def test_a_window_past_the_end_is_short_or_empty(tmp_path: Path) -> None:
    path = write(tmp_path / "short.flac", tone(440, 2.0).astype(np.float32))
    with decode.open_audio(path) as source:
        assert sum(len(b) for b in source.read_window(1.5, 5.0)) == pytest.approx(0.5 * RATE, abs=2)
        assert list(source.read_window(3.0, 5.0)) == []


def test_reads_in_bounded_blocks(tmp_path: Path) -> None:
    path = write(tmp_path / "long.wav", np.zeros(decode.BLOCK_FRAMES * 3, dtype=np.float32))
    with decode.open_audio(path) as source:
        sizes = [len(block) for block in source.read_window(0.0, 10_000.0)]
    assert max(sizes) <= decode.BLOCK_FRAMES
    assert sum(sizes) == decode.BLOCK_FRAMES * 3


def _ffmpeg_encode(source: Path, target: Path, *args: str) -> Path:
    binary = decode.ffmpeg_binary()
    assert binary is not None
    subprocess.run([binary, "-v", "error", "-y", "-i", str(source), *args, str(target)], check=True)
    return target


def test_ffmpeg_decodes_what_soundfile_cannot(tmp_path: Path) -> None:
    wav = write(tmp_path / "src.wav", np.stack([tone(440, 3.0), tone(880, 3.0)], axis=1).astype(np.float32))
    m4a = _ffmpeg_encode(wav, tmp_path / "Ünïcode tone.m4a", "-c:a", "aac")
    with decode.open_audio(m4a) as source:
        assert source.info.decoder == decode.FFMPEG
        assert (source.info.sample_rate, source.info.channels) == (RATE, 2)
        assert source.info.duration_s == pytest.approx(3.0, abs=0.1)
        window = np.concatenate(list(source.read_window(1.0, 1.0)))
    assert window.shape == (RATE, 2)
    left, right = (np.abs(np.fft.rfft(window[:, c])).argmax() for c in (0, 1))
    assert (left, right) == (440, 880)  # 1-second window: bin index = Hz; channel order kept


def test_ffmpeg_can_be_asked_for_directly(tmp_path: Path) -> None:
    path = write(tmp_path / "tone.flac", tone(440, 2.0).astype(np.float32))
    with decode.open_audio(path, decoders=(decode.FFMPEG,)) as source:
        assert source.info.decoder == decode.FFMPEG
        assert source.info.channels == 1
        frames = sum(len(block) for block in source.read_window(0.5, 1.0))
    assert frames == RATE


def test_parse_ffmpeg_probe_reads_duration_rate_and_layout() -> None:
    text = (
        "Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'x.m4a':\n"
        "  Duration: 01:02:03.50, start: 0.000000, bitrate: 129 kb/s\n"
        "  Stream #0:0[0x1](und): Audio: aac (LC) (mp4a / 0x6134706D), 48000 Hz, 5.1, fltp, 127 kb/s\n"
    )
    assert decode.parse_ffmpeg_probe(text) == (3723.5, 48000, 6, "aac")
    assert decode.parse_ffmpeg_probe("  Duration: N/A\n  Stream #0:0: Audio: pcm_s16le, 8000 Hz, mono")[
        1:
    ] == (
        8000,
        1,
        "pcm_s16le",
    )
    assert decode.parse_ffmpeg_probe("garbage") == (None, None, None, "")


def test_a_corrupt_file_fails_with_every_decoders_reason(tmp_path: Path) -> None:
    path = tmp_path / "broken.mp3"
    path.write_bytes(b"ID3" + bytes(range(256)) * 40)
    with pytest.raises(AudioError) as caught:
        decode.open_audio(path)
    message = str(caught.value)
    assert str(path) in message
    assert "soundfile:" in message and "ffmpeg:" in message


def test_a_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match="no such file"):
        decode.open_audio(tmp_path / "nowhere.flac")
