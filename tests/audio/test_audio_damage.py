"""Damage found anywhere in a file (audio/damage.py): decoder errors, clicks, non-finite samples, MP3
checksums, Ogg end-of-stream pages; and healthy audio that must not look damaged."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from playlist_builder.audio import damage, decode
from playlist_builder.audio.analyzer import analyze_file
from playlist_builder.audio.vocal import VocalModel
from playlist_builder.model import AudioProblem, ProblemKind

RATE = 44_100


def music(seconds: float, rate: int = RATE, seed: int = 0) -> np.ndarray:
    """A soft chord over quiet noise, stereo float32: music-like, smooth sample to sample."""
    t = np.arange(round(seconds * rate)) / rate
    chord = sum(0.12 * np.sin(2 * np.pi * f * t) for f in (220.0, 277.2, 329.6))
    noise = np.random.default_rng(seed).standard_normal((t.size, 2)) * 0.003
    return (np.stack([chord, chord * 0.9], axis=1) + noise).astype(np.float32)


def watch(path: Path, vocal_model: VocalModel) -> tuple[tuple[AudioProblem, ...], float]:
    """What the analyser found wrong with a file, and the seconds that decode."""
    features = analyze_file(path, vocal_model)
    return features.decode_problems, features.duration_s


def kinds(problems: tuple[AudioProblem, ...]) -> set[str]:
    return {problem.kind for problem in problems}


def flip(path: Path, offset: int, bit: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 1 << bit
    path.write_bytes(bytes(data))


def test_healthy_files_of_every_format_show_no_damage(tmp_path: Path, vocal_model: VocalModel) -> None:
    audio = music(3.0)
    for name, subtype in (("a.wav", "PCM_16"), ("b.wav", "PCM_24"), ("c.wav", "FLOAT"), ("d.flac", "PCM_16")):
        sf.write(tmp_path / name, audio, RATE, subtype=subtype)
        assert watch(tmp_path / name, vocal_model) == ((), pytest.approx(3.0)), name
    sf.write(tmp_path / "e.ogg", audio, RATE, subtype="VORBIS")
    sf.write(tmp_path / "f.mp3", audio, RATE, format="MP3", subtype="MPEG_LAYER_III")
    for name in ("e.ogg", "f.mp3"):
        problems, seconds = watch(tmp_path / name, vocal_model)
        assert problems == () and seconds == pytest.approx(3.0, abs=0.01), name


def test_a_flac_frame_that_fails_its_checksum_is_a_decoder_error_where_it_is(
    tmp_path: Path, vocal_model: VocalModel
) -> None:
    path = tmp_path / "pad.flac"
    sf.write(path, music(4.0), RATE, subtype="PCM_16")
    size = path.stat().st_size
    flip(path, int(size * 0.6), 3)  # inside a frame about 60 % of the way through
    problems, _ = watch(path, vocal_model)
    (error,) = [p for p in problems if p.kind == ProblemKind.DECODER_ERROR]
    assert error.start_s is not None and 1.6 < error.start_s < 3.2
    assert "CRC" in error.detail or "flac" in error.detail.lower()


def test_an_ogg_page_that_fails_its_checksum_is_found_where_it_is(
    tmp_path: Path, vocal_model: VocalModel
) -> None:
    path = tmp_path / "pad.ogg"
    sf.write(path, music(6.0), RATE, subtype="VORBIS")
    flip(path, int(path.stat().st_size * 0.5), 5)
    problems, _ = watch(path, vocal_model)
    (checksum,) = [p for p in problems if p.kind == ProblemKind.CHECKSUM]
    assert checksum.detail == "an Ogg page fails its checksum"
    assert checksum.start_s is not None and 1.5 < checksum.start_s < 4.0  # the audio before the page


def test_the_ogg_checksum_matches_the_one_ogg_writers_compute(tmp_path: Path) -> None:
    sf.write(tmp_path / "pad.ogg", music(3.0), RATE, subtype="VORBIS")
    data = (tmp_path / "pad.ogg").read_bytes()
    pages = 0
    position = 0
    while position < len(data):
        page = damage._ogg_page_at(data, position)
        assert page is not None
        assert damage.ogg_page_crc(page) == int.from_bytes(page[22:26], "little")
        position += len(page)
        pages += 1
    assert pages > 3
    (tmp_path / "tagged.ogg").write_bytes(data + b"TAG" + b"\0" * 125)  # an ID3v1 tag appended
    assert damage.ogg_problems(tmp_path / "tagged.ogg", RATE) == ()


def test_an_ogg_cut_at_a_page_boundary_lacks_its_end_of_stream_page(
    tmp_path: Path, vocal_model: VocalModel
) -> None:
    path = tmp_path / "pad.ogg"
    sf.write(path, music(6.0), RATE, subtype="VORBIS")
    data = path.read_bytes()
    last_page = data.rfind(b"OggS")
    path.write_bytes(data[:last_page])  # every page left is whole and valid: only the end is missing
    problems, _ = watch(path, vocal_model)
    assert ProblemKind.CUT_SHORT in kinds(problems)
    assert damage.ogg_problems(tmp_path / "pad.ogg")[0].detail.startswith("the Ogg stream stops")


def test_a_flipped_high_bit_in_a_wav_is_a_click_at_its_time(tmp_path: Path, vocal_model: VocalModel) -> None:
    path = tmp_path / "pad.wav"
    sf.write(path, music(3.0), RATE, subtype="PCM_16")
    frame = round(1.75 * RATE)
    flip(path, 44 + frame * 4 + 1, 6)  # left channel, high byte, bit 14 of the sample: a jump of 0.5
    problems, _ = watch(path, vocal_model)
    (clicks,) = problems
    assert clicks.kind == ProblemKind.CLICKS and clicks.count == 1
    assert clicks.start_s == pytest.approx(1.75, abs=0.001) and clicks.peak_s == clicks.start_s


def test_a_flipped_low_bit_in_a_wav_is_not_damage(tmp_path: Path, vocal_model: VocalModel) -> None:
    path = tmp_path / "pad.wav"
    sf.write(path, music(3.0), RATE, subtype="PCM_16")
    flip(path, 44 + round(1.2 * RATE) * 4, 4)  # low byte: the sample moves by 16 / 32768 (-66 dBFS)
    assert watch(path, vocal_model) == ((), pytest.approx(3.0))


def test_nan_and_infinity_in_a_float_wav_are_damage_where_they_start(
    tmp_path: Path, vocal_model: VocalModel
) -> None:
    audio = music(3.0)
    audio[round(2.5 * RATE) : round(2.5 * RATE) + 10, 1] = np.nan
    audio[round(2.6 * RATE), 0] = np.inf
    path = tmp_path / "float.wav"
    sf.write(path, audio, RATE, subtype="FLOAT")
    (problem,) = watch(path, vocal_model)[0]
    assert problem.kind == ProblemKind.NON_FINITE and problem.count == 11
    assert problem.start_s == pytest.approx(2.5, abs=0.001)


def test_healthy_sharp_signals_are_not_clicks() -> None:
    rate = 44_100
    t = np.arange(rate * 2) / rate
    signals = {
        "square": 0.5 * np.sign(np.sin(2 * np.pi * 110 * t)),
        "saw": 0.5 * (2 * ((t * 97) % 1.0) - 1),
        "white noise": np.random.default_rng(1).uniform(-0.9, 0.9, t.size),
        "gated tone": 0.5 * np.sin(2 * np.pi * 1000 * t) * ((t * 8) % 1.0 < 0.5),
        "nyquist tone": 0.5 * np.cos(np.pi * np.arange(t.size)),
        "short clicks": np.convolve(np.where(np.arange(t.size) % 4410 == 0, 0.5, 0.0), np.hanning(9), "same"),
    }
    for name, mono in signals.items():
        quantised = np.round(np.stack([mono, mono], axis=1) * 32767) / 32768
        watcher = damage.DamageWatch(rate, "WAV/PCM_16")
        for start in range(0, t.size, 65_536):
            watcher.add(quantised[start : start + 65_536].astype(np.float32))
        assert [p for p in watcher.result() if p.kind == ProblemKind.CLICKS] == [], name


def test_a_click_split_across_two_blocks_is_found_once() -> None:
    samples = np.round(music(2.0) * 32767).astype(np.int16)
    frame = 65_536  # the first frame of the second block
    samples[frame, 0] ^= np.int16(1 << 14)  # a flipped bit 14: a jump of half of full scale
    audio = (samples / 32768).astype(np.float32)
    watcher = damage.DamageWatch(RATE, "WAV/PCM_16")
    watcher.add(audio[:frame])
    watcher.add(audio[frame:])
    (clicks,) = watcher.result()
    assert clicks.count == 1 and clicks.start_s == pytest.approx(frame / RATE, abs=1e-4)


def test_clicks_are_not_looked_for_in_compressed_formats() -> None:
    audio = music(1.0)
    audio[20_000, 0] += 0.5
    watcher = damage.DamageWatch(RATE, "OGG/VORBIS")
    watcher.add(audio)
    assert watcher.result() == ()


def test_decoder_errors_keep_their_positions_and_count() -> None:
    watcher = damage.DamageWatch(RATE)
    watcher.add(np.zeros((RATE, 2), np.float32))
    watcher.decoder_error("CRC mismatch!", None)  # ffmpeg does not say where
    watcher.decoder_error("CRC error at PTS 70000", 70_000 / RATE)
    watcher.decoder_error("frame lost", 0.5)
    (problem,) = watcher.result()
    assert problem.kind == ProblemKind.DECODER_ERROR and problem.count == 3
    assert problem.start_s == pytest.approx(0.5) and problem.detail == "frame lost"
    unplaced = damage.DamageWatch(RATE)
    unplaced.decoder_error("CRC mismatch!", None)
    assert unplaced.result()[0].start_s is None


def test_ffmpeg_error_lines_are_parsed_with_positions() -> None:
    text = "[flac @ 0x5555] CRC error at PTS 20480\n[ogg @ 0x1] CRC mismatch!\n"
    text += "    Last message repeated 2 times\n"
    assert decode.parse_ffmpeg_errors(text, 22_050) == [
        (20480 / 22_050, "CRC error at PTS 20480"),
        (None, "CRC mismatch!"),
        (None, "CRC mismatch!"),
        (None, "CRC mismatch!"),
    ]


def _ffmpeg_mp3(tmp_path: Path) -> Path:
    binary = decode.ffmpeg_binary()
    if binary is None:
        pytest.skip("no ffmpeg to encode an MP3 with")
    sf.write(tmp_path / "clean.wav", music(3.0, rate=22_050), 22_050)
    path = tmp_path / "clean.mp3"
    subprocess.run(
        [binary, "-v", "error", "-y", "-i", str(tmp_path / "clean.wav"), "-b:a", "64k", str(path)], check=True
    )
    return path


def test_an_mp3_whose_audio_fails_its_lame_checksum_is_damaged(tmp_path: Path) -> None:
    path = _ffmpeg_mp3(tmp_path)
    assert damage.mp3_problems(path) == ()
    flip(path, int(path.stat().st_size * 0.7), 2)
    (problem,) = damage.mp3_problems(path)
    assert problem.kind == ProblemKind.CHECKSUM and "checksum its encoder wrote" in problem.detail


def test_an_mp3_cut_short_is_found_by_its_lame_byte_count(tmp_path: Path) -> None:
    path = _ffmpeg_mp3(tmp_path)
    path.write_bytes(path.read_bytes()[:-500])
    (problem,) = damage.mp3_problems(path)
    assert problem.kind == ProblemKind.CUT_SHORT and "500 bytes" in problem.detail


def test_an_mp3_edited_by_mp3gain_is_not_blamed_for_its_stale_checksum(tmp_path: Path) -> None:
    path = _ffmpeg_mp3(tmp_path)
    flip(path, int(path.stat().st_size * 0.7), 2)
    with open(path, "ab") as handle:
        handle.write(b"APETAGEX" + b"\0" * 24 + b"MP3GAIN_MINMAX\0" + b"120,200")
    assert damage.mp3_problems(path) == ()


def test_crc16_of_many_lanes_matches_the_plain_loop() -> None:
    data = os.urandom(300_001)
    crc = 0x1234
    for byte in data:
        crc = (crc >> 8) ^ damage._CRC16_TABLE[(crc ^ byte) & 0xFF]
    assert damage.crc16_arc(data, 0x1234) == crc
