"""Small numpy audio helpers for building the development set: read, resample, level, mix, write."""

from __future__ import annotations

import os
from math import gcd
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

FRAME_S = 0.05  # 50 ms frames for voice-activity and SNR, as the shared corpus does
ACTIVE_BELOW_PEAK_DB = 30.0  # a frame is voice-active within 30 dB of the voice's loud frames


def read_mono(path: Path | str, sr: int) -> np.ndarray:
    """Decode a file to mono float64 at sample rate sr."""
    x, file_sr = sf.read(str(path), dtype="float64", always_2d=True)
    return resample(x.mean(axis=1), file_sr, sr)


def resample(x: np.ndarray, sr_in: int, sr_out: int) -> np.ndarray:
    """Polyphase resampling (band-limited)."""
    if sr_in == sr_out:
        return x
    g = gcd(sr_in, sr_out)
    return resample_poly(x, sr_out // g, sr_in // g)


def rms_db(x: np.ndarray) -> float:
    """RMS level in dBFS."""
    return float(20 * np.log10(np.sqrt(np.mean(x**2)) + 1e-12))


def frame_rms(x: np.ndarray, sr: int) -> np.ndarray:
    """RMS of consecutive FRAME_S frames."""
    n = int(FRAME_S * sr)
    m = len(x) // n
    return np.sqrt((x[: m * n].reshape(m, n) ** 2).mean(axis=1) + 1e-20)


def active_frames(voice: np.ndarray, sr: int) -> np.ndarray:
    """Boolean mask of FRAME_S frames where the voice is active (within 30 dB of its loud frames)."""
    r = frame_rms(voice, sr)
    loud = r[r > 1e-6]
    if len(loud) == 0:
        return np.zeros(len(r), dtype=bool)
    return r > np.percentile(loud, 95) * 10 ** (-ACTIVE_BELOW_PEAK_DB / 20)


def set_rms(x: np.ndarray, target_db: float) -> np.ndarray:
    """Scale x to an RMS of target_db dBFS."""
    return x * 10 ** ((target_db - rms_db(x)) / 20)


def set_active_rms(x: np.ndarray, sr: int, target_db: float) -> np.ndarray:
    """Scale x so its RMS over its active frames is target_db dBFS (silences do not count)."""
    mask = active_frames(x, sr)
    r = frame_rms(x, sr)
    level = 20 * np.log10(np.sqrt((r[mask] ** 2).mean()) + 1e-12) if mask.any() else rms_db(x)
    return x * 10 ** ((target_db - level) / 20)


def voice_gain(bed: np.ndarray, voice: np.ndarray, sr: int, snr_db: float) -> tuple[float, float]:
    """Gain for voice so that voice/bed power over the voice-active frames is snr_db (bed mono).

    Returns the gain and the share of frames where the voice is active.
    """
    mask = active_frames(voice, sr)
    pv = (frame_rms(voice, sr)[mask] ** 2).mean()
    pb = (frame_rms(bed, sr)[mask] ** 2).mean()
    return float(np.sqrt(pb * 10 ** (snr_db / 10) / pv)), float(mask.mean())


def fade(x: np.ndarray, sr: int, seconds: float = 0.01) -> np.ndarray:
    """Short raised-cosine fade in and out, so cut clips do not click."""
    n = min(int(seconds * sr), len(x) // 2)
    if n == 0:
        return x
    ramp = 0.5 - 0.5 * np.cos(np.linspace(0, np.pi, n))
    y = x.copy()
    y[:n] *= ramp
    y[-n:] *= ramp[::-1]
    return y


def trim_silence(x: np.ndarray, sr: int, below_peak_db: float = 40.0) -> np.ndarray:
    """Cut leading and trailing frames quieter than below_peak_db under the loudest frame."""
    r = frame_rms(x, sr)
    if len(r) == 0:
        return x
    keep = np.nonzero(r > r.max() * 10 ** (-below_peak_db / 20))[0]
    n = int(FRAME_S * sr)
    return x[keep[0] * n : (keep[-1] + 1) * n]


def write(path: Path, x: np.ndarray, sr: int, fmt: str = "FLAC", subtype: str | None = None) -> None:
    """Write atomically (temp file, then rename); clip to [-1, 1]."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    sf.write(str(tmp), np.clip(x, -1.0, 1.0), sr, format=fmt, subtype=subtype)
    os.replace(tmp, path)
