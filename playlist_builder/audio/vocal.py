"""Vocal evidence from the musicnn MagnaTagATune tagger (ONNX), with numpy/scipy preprocessing.

The model (tools/convert_musicnn.py, models/MODEL_CARD.md) tags 3-second patches of 16 kHz audio with 50
MagnaTagATune tags. Per patch, the voice probability is the share of the voice tags' mass in the voice
plus no-voice tags' mass (see `patch_voice_probabilities`); a stretch of audio scores the 90th percentile
of its patches, so a voice heard in a tenth of the sampled audio counts while one odd patch does not.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soxr
from scipy import fft as scipy_fft
from scipy import signal

from playlist_builder.audio.version import VOCAL_MODEL_PATH
from playlist_builder.audio.version import VOCAL_MODEL_VERSION as VOCAL_MODEL_VERSION  # re-exported
from playlist_builder.errors import AudioError
from playlist_builder.model import EarWindow

# Bump VOCAL_MODEL_VERSION (in audio/version.py) when the model file, the preprocessing or the
# probability rule changes: stored results are redone.
MODEL_PATH = VOCAL_MODEL_PATH

# The model's input, fixed by its training (musicnn's configuration.py and the checkpoint's config.json).
MODEL_SAMPLE_RATE = 16_000
FFT_SIZE = 512
HOP_LENGTH = 256
N_MELS = 96
PATCH_FRAMES = 187  # 3 s of frames
LOG_GAIN = 10_000.0  # log10(10000·x + 1): musicnn's "logC" compression
FLOAT16_MAX = 65_504.0  # the training spectrograms were stored as float16; we round the same way

# Voice tags against no-voice tags: every tag whose name says a voice is there, or is not. The synonyms'
# outputs are strongly correlated, so summing them averages out the noise of single weak labels. Left
# out on purpose: "choir"/"choral" fire on orchestral strings and synth pads in the dev corpus and are
# reported through `tags` instead (the classifier holds choirs for review); the bare "female", "male",
# "woman", "man" and "opera" separated vocal from non-vocal tracks slightly worse on the dev corpus.
VOICE_TAGS = (
    "vocal",
    "vocals",
    "singing",
    "voice",
    "female vocal",
    "male vocal",
    "female voice",
    "male voice",
)
NO_VOICE_TAGS = ("no vocal", "no vocals", "no voice")
# The whole voice family, kept raw for every 3-second window (`EarWindow.scores`) so the rules can judge
# window by window: the voice tags, the bare gender tags, and choir/choral/opera (which also fire on
# orchestral pads, so the rules weigh them apart from the voice share).
VOICE_FAMILY_TAGS = (
    *VOICE_TAGS,
    "female",
    "male",
    "woman",
    "man",
    "choir",
    "choral",
    "opera",
    *NO_VOICE_TAGS,
)
DETECTOR = "musicnn-mtt"
# A stretch of audio scores this percentile of its patches (see the module docstring).
AGGREGATE_PERCENTILE = 90.0
# A patch whose mean log-mel value is below this is silence (about -70 dBFS noise gives 0.003): the model
# then answers with its bias (guitar, quiet, classical), which says nothing about a voice.
SILENT_PATCH_LOG_MEL = 0.01

# Resampling to the models' 16 kHz: libsoxr at its "high quality" setting, the resampler librosa (and so
# musicnn's training data) uses by default; about 0.02% of real time, a fifth of a long polyphase FIR.
RESAMPLE_QUALITY = "HQ"

# In the model's output order (musicnn configuration.MTT_LABELS).
MTT_TAGS: tuple[str, ...] = (
    "guitar", "classical", "slow", "techno", "strings", "drums", "electronic", "rock", "fast",
    "piano", "ambient", "beat", "violin", "vocal", "synth", "female", "indian", "opera",
    "male", "singing", "vocals", "no vocals", "harpsichord", "loud", "quiet", "flute", "woman",
    "male vocal", "no vocal", "pop", "soft", "sitar", "solo", "man", "classic", "choir",
    "voice", "new age", "dance", "male voice", "female vocal", "beats", "harp", "cello", "no voice",
    "weird", "country", "metal", "female voice", "choral",
)  # fmt: skip


@dataclass(frozen=True)
class VocalEvidence:
    """How likely a voice is present: overall, per 3-second patch, and the 50 averaged tag probabilities."""

    probability: float
    window_probabilities: tuple[float, ...]
    tags: dict[str, float]


def to_model_rate(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """Downmix to mono and resample to 16 kHz as float32."""
    audio = np.asarray(samples, dtype=np.float32)
    if audio.ndim == 2:
        audio = audio.mean(axis=1, dtype=np.float32)
    elif audio.ndim != 1:
        raise AudioError(f"vocal model: expected 1-D or (frames, channels) samples, got shape {audio.shape}")
    if sample_rate <= 0:
        raise AudioError(f"vocal model: invalid sample rate {sample_rate}")
    if not np.isfinite(audio).all():  # a damaged stream can decode to NaN, which would poison every tag
        audio = np.nan_to_num(audio, nan=0.0, posinf=0.0, neginf=0.0)
    if sample_rate != MODEL_SAMPLE_RATE:
        audio = soxr.resample(audio, sample_rate, MODEL_SAMPLE_RATE, quality=RESAMPLE_QUALITY)
    return np.ascontiguousarray(audio, dtype=np.float32)


class ModelRateStream:
    """`to_model_rate` for a track fed block by block: mono blocks in order, 16 kHz float32 out.

    The resampler keeps its state across blocks, so the output is the same as resampling the whole track
    at once (no seam at a block boundary, no context to carry)."""

    def __init__(self, sample_rate: int) -> None:
        if sample_rate <= 0:
            raise AudioError(f"vocal model: invalid sample rate {sample_rate}")
        self._stream = (
            None
            if sample_rate == MODEL_SAMPLE_RATE
            else soxr.ResampleStream(
                sample_rate, MODEL_SAMPLE_RATE, 1, dtype="float32", quality=RESAMPLE_QUALITY
            )
        )

    def add(self, mono: np.ndarray, last: bool = False) -> np.ndarray:
        """The 16 kHz samples this block completes (`last`: the track ends here, flush the rest)."""
        audio = np.ascontiguousarray(mono, dtype=np.float32)
        if self._stream is None:
            return audio
        return np.ascontiguousarray(self._stream.resample_chunk(audio, last=last), dtype=np.float32)


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Slaney's mel scale: linear below 1 kHz, logarithmic above (librosa's default, htk=False)."""
    hz = np.asarray(hz, dtype=np.float64)
    linear = hz / (200.0 / 3)
    log_step = math.log(6.4) / 27.0
    return np.where(hz >= 1000.0, 15.0 + np.log(np.maximum(hz, 1e-12) / 1000.0) / log_step, linear)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    """Inverse of `_hz_to_mel`."""
    mel = np.asarray(mel, dtype=np.float64)
    log_step = math.log(6.4) / 27.0
    return np.where(mel >= 15.0, 1000.0 * np.exp(log_step * (mel - 15.0)), mel * (200.0 / 3))


@functools.cache
def mel_filterbank(
    sample_rate: int = MODEL_SAMPLE_RATE, n_fft: int = FFT_SIZE, n_mels: int = N_MELS
) -> np.ndarray:
    """Slaney-normalised triangular mel filters, shape (n_mels, n_fft // 2 + 1), as librosa.filters.mel."""
    fft_hz = np.linspace(0.0, sample_rate / 2, n_fft // 2 + 1)
    edges_hz = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(sample_rate / 2), n_mels + 2))
    widths = np.diff(edges_hz)
    ramps = edges_hz[:, None] - fft_hz[None, :]
    rising = -ramps[:-2] / widths[:-1, None]
    falling = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(rising, falling))
    # Slaney normalisation: each filter has unit area in Hz, so wide high bands are not louder.
    weights *= (2.0 / (edges_hz[2:] - edges_hz[:-2]))[:, None]
    filters = weights.astype(np.float32)
    filters.flags.writeable = False  # cached and shared: nobody may change it in place
    return filters


def log_mel_spectrogram(audio: np.ndarray) -> np.ndarray:
    """(frames, 96) log-compressed mel power of 16 kHz mono audio, as musicnn computes it with librosa."""
    # Centred frames with zero padding (librosa >= 0.10's default) and a periodic Hann window.
    padded = np.pad(np.asarray(audio, dtype=np.float32), FFT_SIZE // 2)
    frames = np.lib.stride_tricks.sliding_window_view(padded, FFT_SIZE)[::HOP_LENGTH]
    window = signal.get_window("hann", FFT_SIZE).astype(np.float32)
    spectrum = scipy_fft.rfft(frames * window, axis=1)
    power = spectrum.real**2 + spectrum.imag**2
    mel = power @ mel_filterbank().T
    # musicnn stored its training spectrograms as float16; rounding the same way keeps inputs identical.
    mel = np.minimum(mel, FLOAT16_MAX).astype(np.float16).astype(np.float32)
    return np.log10(LOG_GAIN * mel + 1.0)


def patch_starts(frame_count: int) -> list[int]:
    """First frame of each patch `patches` cuts from `frame_count` frames ([0] for a short clip)."""
    if frame_count < PATCH_FRAMES:
        return [0]
    whole = frame_count // PATCH_FRAMES
    starts = [index * PATCH_FRAMES for index in range(whole)]
    # A tail of at least half a patch gets its own patch, aligned to the end, so a voice there is heard.
    if frame_count - whole * PATCH_FRAMES >= PATCH_FRAMES // 2:
        starts.append(frame_count - PATCH_FRAMES)
    return starts


def patches(log_mel: np.ndarray) -> np.ndarray:
    """Split (frames, 96) into non-overlapping (n, 187, 96) patches; short input is repeat-padded."""
    frame_count = len(log_mel)
    if frame_count == 0:
        raise AudioError("vocal model: no audio to analyse")
    if frame_count < PATCH_FRAMES:
        # The model was trained with "repeat-pad" for short clips (checkpoint config.json).
        repeats = -(-PATCH_FRAMES // frame_count)
        return np.tile(log_mel, (repeats, 1))[np.newaxis, :PATCH_FRAMES]
    return np.stack([log_mel[start : start + PATCH_FRAMES] for start in patch_starts(frame_count)])


def patch_voice_probabilities(taggram: np.ndarray, batch: np.ndarray) -> np.ndarray:
    """Per-patch voice probability: voice-tag mass / (voice + no-voice tag mass); silent patches score 0.

    Why a share and not, say, the "vocal" tag alone: MagnaTagATune tags are sparse crowd labels whose
    absolute values swing with genre and production (a clearly sung patch may read "vocal" 0.15), while
    the annotators' choice between "vocal" and "no vocal" is what the two groups encode; their ratio
    cancels the overall scale. On the dev corpus it separated vocal from non-vocal tracks better than
    noisy-OR, maximum or single-tag rules. It is uncalibrated: the voice tags were used more often, so
    undecided audio sits around 0.6–0.8; the decision threshold comes from benchmarks/vocal_accuracy.py
    (0.87 on the dev corpus), not from 0.5.
    """
    voice = taggram[:, _VOICE_INDEXES].sum(axis=1)
    no_voice = taggram[:, _NO_VOICE_INDEXES].sum(axis=1)
    share = voice / np.maximum(voice + no_voice, 1e-12)
    silent = batch.mean(axis=(1, 2)) < SILENT_PATCH_LOG_MEL
    return np.where(silent, 0.0, share)


def aggregate_probability(window_probabilities: np.ndarray | tuple[float, ...]) -> float:
    """A stretch of audio's voice probability from its patches' (the AGGREGATE_PERCENTILE-th percentile)."""
    values = np.asarray(window_probabilities, dtype=np.float64)
    if values.size == 0:
        return 0.0
    return float(np.percentile(values, AGGREGATE_PERCENTILE))


_VOICE_INDEXES = [MTT_TAGS.index(tag) for tag in VOICE_TAGS]
_NO_VOICE_INDEXES = [MTT_TAGS.index(tag) for tag in NO_VOICE_TAGS]


class VocalModel:
    """The musicnn MTT tagger on onnxruntime, single-threaded (the analyser runs one worker per core)."""

    def __init__(self, model_path: Path = MODEL_PATH) -> None:
        if not Path(model_path).is_file():
            raise AudioError(f"vocal model file missing: {model_path} (reinstall playlist-builder)")
        try:
            import onnxruntime

            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = 1
            options.inter_op_num_threads = 1
            options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
            self._session = onnxruntime.InferenceSession(
                str(model_path), sess_options=options, providers=["CPUExecutionProvider"]
            )
            self._input_name = self._session.get_inputs()[0].name
        except Exception as error:  # onnxruntime raises its own untyped errors; the user needs one line
            raise AudioError(
                f"vocal model {model_path} could not be loaded by onnxruntime: {error}"
            ) from error

    def _run(self, batch: np.ndarray) -> np.ndarray:
        """(n, 50) tag probabilities for (n, 187, 96) patches."""
        try:
            return np.asarray(self._session.run(None, {self._input_name: batch})[0], dtype=np.float64)
        except Exception as error:
            raise AudioError(f"vocal model failed at run time: {error}") from error

    def taggram(self, samples: np.ndarray, sample_rate: int) -> np.ndarray:
        """(n, 50) tag probabilities, one row per 3-second patch."""
        return self._run(patches(log_mel_spectrogram(to_model_rate(samples, sample_rate))))

    def analyse(self, samples: np.ndarray, sample_rate: int) -> VocalEvidence:
        """Vocal evidence for one stretch of audio (1-D mono or (frames, channels), any sample rate)."""
        batch = patches(log_mel_spectrogram(to_model_rate(samples, sample_rate)))
        taggram = self._run(batch)
        windows = patch_voice_probabilities(taggram, batch)
        return VocalEvidence(
            probability=aggregate_probability(windows),
            window_probabilities=tuple(float(value) for value in windows),
            tags={tag: float(value) for tag, value in zip(MTT_TAGS, taggram.mean(axis=0), strict=True)},
        )

    def ear_windows(self, mono_16k: np.ndarray, offset_s: float) -> tuple[VocalEvidence, list[EarWindow]]:
        """Evidence for 16 kHz mono audio and one EarWindow per 3-second patch, timed from `offset_s`."""
        log_mel = log_mel_spectrogram(mono_16k)
        batch = patches(log_mel)
        taggram = self._run(batch)
        shares = patch_voice_probabilities(taggram, batch)
        length_s = mono_16k.size / MODEL_SAMPLE_RATE
        windows = []
        for index, start in enumerate(patch_starts(len(log_mel))):
            start_s = start * HOP_LENGTH / MODEL_SAMPLE_RATE
            scores = {"voice_share": round(float(shares[index]), 4)}
            scores |= {tag: round(float(taggram[index, MTT_TAGS.index(tag)]), 4) for tag in VOICE_FAMILY_TAGS}
            windows.append(
                EarWindow(
                    detector=DETECTOR,
                    start_s=round(offset_s + start_s, 3),
                    end_s=round(
                        offset_s + min(length_s, start_s + PATCH_FRAMES * HOP_LENGTH / MODEL_SAMPLE_RATE), 3
                    ),
                    scores=scores,
                )
            )
        evidence = VocalEvidence(
            probability=aggregate_probability(shares),
            window_probabilities=tuple(float(value) for value in shares),
            tags={tag: float(value) for tag, value in zip(MTT_TAGS, taggram.mean(axis=0), strict=True)},
        )
        return evidence, windows


@functools.cache
def load_vocal_model() -> VocalModel:
    """The shipped model, loaded once per process; AudioError if it is missing or cannot be loaded."""
    return VocalModel(MODEL_PATH)


def combine_vocal_evidence(items: list[VocalEvidence]) -> VocalEvidence:
    """One track's evidence from its windows' evidence: every 3-second patch weighs the same."""
    if not items:
        raise ValueError("combine_vocal_evidence needs at least one VocalEvidence")
    windows = tuple(value for item in items for value in item.window_probabilities)
    weights = [max(1, len(item.window_probabilities)) for item in items]
    total = sum(weights)
    tags = {
        tag: sum(item.tags.get(tag, 0.0) * weight for item, weight in zip(items, weights, strict=True))
        / total
        for tag in MTT_TAGS
    }
    return VocalEvidence(probability=aggregate_probability(windows), window_probabilities=windows, tags=tags)
