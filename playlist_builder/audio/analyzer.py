"""Analyse one audio file into `Features`: decode it whole, once, and run every measurement on the way.

The file is read from start to end in blocks, in order. Every block passes the whole-track measurements:
its frames are counted (the decodable length: damaged files are found), and the voice-activity ear hears
it (a voice anywhere in a track is heard, not only in sampled windows). The costlier measurements
(spectra, nature, beats, the musicnn tags, loudness) run on the sampling plan's windows as they pass.
Memory stays bounded whatever the file's length: one block, one sampled window (<= WINDOW_S, or a
whole short track) and one voice-activity segment are held at a time, folded to at most two channels.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from playlist_builder.audio import binaural, damage, decode
from playlist_builder.audio.energy import energy_score, session_energy
from playlist_builder.audio.features import FeatureAccumulator, spectrogram, to_stereo
from playlist_builder.audio.loudness import LoudnessMeter
from playlist_builder.audio.nature import NatureAccumulator
from playlist_builder.audio.version import ANALYZER_VERSION
from playlist_builder.audio.vocal import DETECTOR as MUSICNN_DETECTOR
from playlist_builder.audio.vocal import (
    MODEL_SAMPLE_RATE,
    VocalEvidence,
    VocalModel,
    combine_vocal_evidence,
    load_vocal_model,
    to_model_rate,
)
from playlist_builder.audio.voice_activity import DETECTOR as VOICE_ACTIVITY_DETECTOR
from playlist_builder.audio.voice_activity import (
    VoiceActivityModel,
    WholeTrackListener,
    load_voice_activity_model,
)
from playlist_builder.errors import AudioError
from playlist_builder.model import EarWindow, Features

# Whenever a change here, in the measurements or in the sampling plan changes results, bump
# FEATURES_VERSION in audio/version.py (it holds every version, so that learning the current one loads
# nothing heavy). Stored features from another version are redone.

# The vocal model hears every sampled window whole (15 s, five of its 3-second patches). Hearing only
# the middle of each window was faster but let a speech-like track with pauses score 0.77 where the
# whole of it scores 0.93: missing a voice is the one error the lyrics filter must not make, and the
# model at about 1.4% of real time still leaves the analysis well above 200x real time.
VOCAL_WINDOW_S = 15.0
# The model is given one 3-second patch at a time: its memory grows by about 30 MB for every patch
# run at once, and one at a time is also the fastest per patch. A remainder under half a patch joins
# the piece before it.
VOCAL_CHUNK_S = 3.0
VOCAL_MIN_CHUNK_S = 1.5
# A file is read this far past the length its header states (a header may understate it); reading
# stops wherever the audio really ends.
READ_OVERRUN_S = 30.0
# A file whose header states no length is read to its end (at most this far: 115 days).
READ_ALL_S = 1e7


@dataclass
class _Measurements:
    """Everything gathered window by window."""

    meter: LoudnessMeter
    features: FeatureAccumulator = field(default_factory=FeatureAccumulator)
    nature: NatureAccumulator = field(default_factory=NatureAccumulator)
    beats: list[binaural.WindowBeats] = field(default_factory=list)
    vocal: list[VocalEvidence] = field(default_factory=list)
    ears: list[EarWindow] = field(default_factory=list)
    plan: list[tuple[float, float]] = field(default_factory=list)
    frames_read: int = 0


# The parts of an analysis that an ear's own version covers (audio/version.py), and the detector name
# each one's windows carry: a new version of one ear re-hears a file with that ear alone (`rehear`).
EAR_PARTS = ("musicnn", "voice_activity")
DETECTOR_OF_PART = {"musicnn": MUSICNN_DETECTOR, "voice_activity": VOICE_ACTIVITY_DETECTOR}


@dataclass(frozen=True)
class Ears:
    """The voice detectors every window is heard by."""

    musicnn: VocalModel
    voice_activity: VoiceActivityModel


def load_ears() -> Ears:
    """Every shipped ear, loaded once per process."""
    return Ears(load_vocal_model(), load_voice_activity_model())


def analyze_file(path: str | os.PathLike[str], vocal_model: VocalModel | Ears | None = None) -> Features:
    """Features of one file; AudioError (with the reason) when nothing can decode it."""
    if isinstance(vocal_model, Ears):
        model = vocal_model
    else:
        model = Ears(vocal_model or load_vocal_model(), load_voice_activity_model())
    source = decode.open_audio(path)
    try:
        return _analyse(source, model)
    except decode.DecodeError as first:
        if source.info.decoder != decode.SOUNDFILE:
            raise
        # libsndfile opened the file but could not decode it (some Opus and damaged MP3 files): try ffmpeg
        try:
            fallback = decode.open_audio(path, decoders=(decode.FFMPEG,))
        except AudioError:
            raise first from None
        try:
            # judged as the file it is (its format says whether its length is exact, whether its
            # samples can click); ffmpeg's own error reports say where it is damaged, if anywhere
            return _analyse(fallback, model, audio_format=source.info.format)
        except decode.DecodeError as second:
            raise AudioError(f"{first}; ffmpeg: {str(second).split(': ', 1)[-1]}") from second
        finally:
            fallback.close()
    finally:
        source.close()


def _analyse(source: decode.AudioSource, model: Ears, audio_format: str | None = None) -> Features:
    """Decode a whole source once, in order, measuring every block and the sampled windows it holds,
    and watching every block for damage (audio/damage.py)."""
    info = source.info
    rate = info.sample_rate
    audio_format = info.format if audio_format is None else audio_format
    watch = damage.DamageWatch(rate, audio_format)
    measured = _Measurements(meter=LoudnessMeter(rate, info.channels))
    plan = decode.sampling_plan(info.duration_s)
    whole_track = len(plan) == 1
    windows = _WindowCollector(plan, rate)
    listener = WholeTrackListener(model.voice_activity, rate, info.duration_s)
    stated = info.duration_s
    # a file of unknown length is read to its end: its blocks stream through, memory stays bounded
    length_s = READ_ALL_S if stated is None else stated + READ_OVERRUN_S
    try:
        for block in source.read_window(0.0, length_s):
            watch.add(block)  # the raw block: NaN and inf are damage, clicks are looked for in it
            if not np.isfinite(block.sum()):  # damaged float files can hold NaN or inf: heard as silence
                block = np.nan_to_num(block, nan=0.0, posinf=0.0, neginf=0.0)
            measured.frames_read += block.shape[0]
            listener.add(_mono(to_stereo(block)))
            for start_s, window in windows.add(block):
                _sampled_window(measured, model, window, rate, whole_track, start_s)
    except decode.DecodeError as error:
        if measured.frames_read == 0 or info.decoder == decode.SOUNDFILE:
            raise  # nothing decodes (or another decoder may read further): not a partial result
        # the last decoder stops part-way: what came before is the file's audio, and it falls short
        watch.decoder_error(error.reason, watch.seconds)  # where decoding stopped
    for at_s, message in source.errors:  # errors the decoder reported and got past
        watch.decoder_error(message, at_s)
    for start_s, window in windows.finish():
        _sampled_window(measured, model, window, rate, whole_track, start_s)
    if not measured.plan:
        if measured.frames_read and stated:
            raise decode.DecodeError(
                f"{info.path}: only {measured.frames_read / rate:.1f} s of the {stated:.1f} s its header "
                "states decode (a truncated or damaged file)"
            )
        raise decode.DecodeError(f"{info.path}: no audio could be decoded")
    measured.ears.extend(listener.finish())
    # the file's own checks, and a second opinion on a file libsndfile decodes short (its count, when
    # ffmpeg decodes more without an error, is the decodable length)
    problems, decoded_s = damage.conclude(watch, replace(info, format=audio_format))
    features = _features(measured, info, max(measured.frames_read / rate, decoded_s))
    return replace(features, audio_format=audio_format, decode_problems=problems)


def _mono(stereo: np.ndarray) -> np.ndarray:
    """One channel of (frames, 1 or 2) samples: the mean of two (faster than `mean(axis=1)`)."""
    if stereo.shape[1] == 1:
        return stereo[:, 0]
    mono = stereo[:, 0] + stereo[:, 1]
    mono *= 0.5
    return mono


class _WindowCollector:
    """Gathers the sampling plan's windows from the blocks of a whole-file read, in order."""

    def __init__(self, plan: tuple[tuple[float, float], ...], rate: int) -> None:
        self._spans = [(round(start * rate), round((start + length) * rate)) for start, length in plan]
        self._position = 0  # frames of the file seen so far
        self._parts: list[np.ndarray] = []

    def add(self, block: np.ndarray) -> list[tuple[float, np.ndarray]]:
        """The windows this block completes, as (start frame, samples)."""
        done = []
        begin, end = self._position, self._position + block.shape[0]
        self._position = end
        while self._spans:
            first, last = self._spans[0]
            if first >= end:
                break
            self._parts.append(block[max(first, begin) - begin : min(last, end) - begin])
            if last > end:
                break
            done.append(self._complete())
        return done

    def finish(self) -> list[tuple[float, np.ndarray]]:
        """A window the file ended inside (what of it there is)."""
        return [self._complete()] if self._parts else []

    def _complete(self) -> tuple[float, np.ndarray]:
        first, _ = self._spans.pop(0)
        window = np.concatenate(self._parts) if len(self._parts) > 1 else self._parts[0]
        self._parts = []
        return first, window


def _sampled_window(
    measured: _Measurements, model: Ears, window: np.ndarray, rate: int, whole_track: bool, first: float
) -> None:
    """Meter (every channel) and measure (folded to at most two) one sampled window; `first` is its first
    frame in the file."""
    if window.shape[0] == 0:
        return
    start_s = first / rate
    measured.meter.new_segment()
    measured.meter.add(window)
    measured.plan.append((round(start_s, 3), round(window.shape[0] / rate, 3)))
    _measure_window(measured, to_stereo(window), rate, model, whole_track, start_s)


def _vocal_excerpt(mono: np.ndarray, rate: int, whole_track: bool) -> tuple[np.ndarray, int]:
    """The part of a window the ears hear (all of a whole track, else the middle VOCAL_WINDOW_S) and
    the sample it starts at."""
    keep = round(VOCAL_WINDOW_S * rate)
    if whole_track or mono.size <= keep:
        return mono, 0
    start = (mono.size - keep) // 2
    return mono[start : start + keep], start


def _vocal_chunks(size: int, rate: int) -> list[tuple[int, int]]:
    """(start, stop) of consecutive pieces of at most VOCAL_CHUNK_S; a remainder under
    VOCAL_MIN_CHUNK_S joins the last."""
    step = round(VOCAL_CHUNK_S * rate)
    starts = list(range(0, size, step))
    if len(starts) > 1 and size - starts[-1] < VOCAL_MIN_CHUNK_S * rate:
        starts.pop()
    return list(zip(starts, [*starts[1:], size], strict=True))


def _measure_window(
    measured: _Measurements,
    window: np.ndarray,
    rate: int,
    model: Ears,
    whole_track: bool,
    start_s: float = 0.0,
) -> None:
    """Run every per-window measurement (the voice-activity ear hears the whole track elsewhere)."""
    mono = window[:, 0] if window.shape[1] == 1 else window.mean(axis=1, dtype=np.float32)
    spec = spectrogram(mono, rate)
    measured.features.add_window(window, spec)
    measured.nature.add_window(mono, spec)
    measured.beats.append(binaural.analyse_window(window, rate))
    _musicnn_hears(measured, mono, rate, model, whole_track, start_s)


def _musicnn_hears(
    measured: _Measurements, mono: np.ndarray, rate: int, model: Ears, whole_track: bool, start_s: float
) -> None:
    """musicnn's evidence and windows for one sampled window (mono, at the file's rate)."""
    excerpt, first = _vocal_excerpt(mono, rate, whole_track)
    heard = to_model_rate(excerpt, rate)
    offset_s = start_s + first / rate
    bounds = _vocal_chunks(heard.size, MODEL_SAMPLE_RATE)
    for start, stop in bounds:
        evidence, windows = model.musicnn.ear_windows(heard[start:stop], offset_s + start / MODEL_SAMPLE_RATE)
        measured.vocal.append(evidence)
        measured.ears.extend(windows)


def rehear(path: str | os.PathLike[str], stored: Features, model: Ears, parts: frozenset[str]) -> Features:
    """`stored` with only the ears named in `parts` ("musicnn", "voice_activity") heard again, after a
    new version of those ears: the file is decoded once more, by the decoder that analysed it, and the
    ears hear exactly what a full analysis gives them (every second, the same sampled windows), but
    nothing else is measured. AudioError when it cannot be done; a full analysis then redoes the file."""
    unknown = parts - set(EAR_PARTS)
    if unknown or not parts:
        raise ValueError(f"rehear: not an ear of the analysis: {sorted(unknown) or 'none named'}")
    decoders = (stored.decoder,) if stored.decoder in (decode.SOUNDFILE, decode.FFMPEG) else None
    source = decode.open_audio(path, decoders=decoders) if decoders else decode.open_audio(path)
    try:
        info = source.info
        rate = info.sample_rate
        plan = decode.sampling_plan(info.duration_s)
        windows = _WindowCollector(plan, rate) if "musicnn" in parts else None
        listener = (
            WholeTrackListener(model.voice_activity, rate, info.duration_s)
            if "voice_activity" in parts
            else None
        )
        measured = _Measurements(meter=LoudnessMeter(rate, info.channels))
        length_s = READ_ALL_S if info.duration_s is None else info.duration_s + READ_OVERRUN_S
        for block in source.read_window(0.0, length_s):
            if not np.isfinite(block.sum()):
                block = np.nan_to_num(block, nan=0.0, posinf=0.0, neginf=0.0)
            if listener is not None:
                listener.add(_mono(to_stereo(block)))
            if windows is not None:
                for first, window in windows.add(block):
                    _rehear_window(measured, model, window, rate, len(plan) == 1, first)
        if windows is not None:
            for first, window in windows.finish():
                _rehear_window(measured, model, window, rate, len(plan) == 1, first)
        if listener is not None:
            measured.ears.extend(listener.finish())
    finally:
        source.close()
    detectors = {DETECTOR_OF_PART[part] for part in parts}
    kept = [ear for ear in stored.ear_windows if ear.detector not in detectors]
    updated = replace(
        stored,
        analyzer_version=ANALYZER_VERSION,
        ear_windows=tuple(sorted([*kept, *measured.ears], key=lambda ear: (ear.start_s, ear.detector))),
    )
    return replace(updated, **_musicnn_fields(measured)) if "musicnn" in parts else updated


def _rehear_window(
    measured: _Measurements, model: Ears, window: np.ndarray, rate: int, whole_track: bool, first: float
) -> None:
    if window.shape[0] == 0:
        return
    stereo = to_stereo(window)
    mono = stereo[:, 0] if stereo.shape[1] == 1 else stereo.mean(axis=1, dtype=np.float32)
    _musicnn_hears(measured, mono, rate, model, whole_track, first / rate)


def _musicnn_fields(measured: _Measurements) -> dict[str, Any]:
    """The Features fields musicnn's evidence fills: the voice probability, its windows, the tags."""
    vocal = combine_vocal_evidence(measured.vocal) if measured.vocal else None
    return {
        "vocal_probability": _number(vocal.probability, 4) if vocal else 0.0,
        "vocal_windows": tuple(_number(value, 4) for value in vocal.window_probabilities) if vocal else (),
        "tags": {name: _number(value, 4) for name, value in vocal.tags.items()} if vocal else {},
    }


def _features(measured: _Measurements, info: decode.AudioInfo, duration: float) -> Features:
    """Assemble the Features value from the accumulated measurements."""
    spectral = measured.features.result()
    lufs = measured.meter.integrated()
    nature_score, nature_parts = measured.nature.result()
    binaural_beat, amplitude_beat = binaural.summarise(measured.beats)
    tempo = spectral["tempo_bpm"]
    return Features(
        analyzer_version=ANALYZER_VERSION,
        duration_s=round(float(duration), 3),
        sample_rate=int(info.sample_rate),
        channels=int(info.channels),
        integrated_lufs=_number(lufs, 2),
        loudness_range_lu=_number(measured.meter.loudness_range(), 2),
        true_peak_dbtp=_number(measured.meter.true_peak_dbtp(), 2),
        spectral_centroid_hz=_number(spectral["spectral_centroid_hz"], 1),
        spectral_flatness=_number(spectral["spectral_flatness"], 4),
        spectral_rolloff_hz=_number(spectral["spectral_rolloff_hz"], 1),
        onset_rate_hz=_number(spectral["onset_rate_hz"], 3),
        tempo_bpm=None if tempo is None else _number(tempo, 1),
        pulse_clarity=_number(spectral["pulse_clarity"], 3),
        stereo_width=_number(spectral["stereo_width"], 3),
        energy=energy_score(
            lufs,
            spectral["onset_rate_hz"] or 0.0,
            spectral["spectral_centroid_hz"] or 0.0,
            tempo,
            spectral["pulse_clarity"] or 0.0,
        ),
        session_energy=session_energy(
            spectral["onset_rate_hz"] or 0.0,
            spectral["spectral_centroid_hz"] or 0.0,
            tempo,
            spectral["pulse_clarity"] or 0.0,
        ),
        nature_score=_number(nature_score, 3),
        binaural=binaural_beat,
        amplitude_beat=amplitude_beat,
        nature_parts={name: _number(value, 3) for name, value in nature_parts.items()},
        sampling_plan=tuple(measured.plan),
        decoder=info.decoder,
        ear_windows=tuple(sorted(measured.ears, key=lambda ear: (ear.start_s, ear.detector))),
        **_musicnn_fields(measured),
    )


def _number(value: float | None, digits: int) -> float:
    """A plain, finite, rounded float (stored as JSON: no NaN, no numpy types)."""
    if value is None or not math.isfinite(value):
        return 0.0
    return round(float(value), digits)
