"""Generated test signals with known answers (tones, binaural pairs, pulsed tones, noise) and a writer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

RATE = 44_100


def seconds(duration: float, rate: int = RATE) -> np.ndarray:
    """Sample times of `duration` seconds."""
    return np.arange(round(duration * rate)) / rate


def tone(freq: float, duration: float, rate: int = RATE, amplitude: float = 0.5) -> np.ndarray:
    """A sine tone."""
    return amplitude * np.sin(2 * np.pi * freq * seconds(duration, rate))


def pink_noise(frames: int, seed: int = 0, amplitude: float = 0.1) -> np.ndarray:
    """Pink (1/f) noise scaled to a peak of `amplitude`."""
    rng = np.random.default_rng(seed)
    spectrum = np.fft.rfft(rng.standard_normal(frames))
    scale = np.arange(spectrum.size, dtype=float)
    scale[0] = 1.0
    noise = np.fft.irfft(spectrum / np.sqrt(scale), frames)
    return amplitude * noise / np.abs(noise).max()


def binaural_pair(left_hz: float, right_hz: float, duration: float, noise: float = 0.0) -> np.ndarray:
    """Each ear its own steady tone, optionally under independent pink noise."""
    left = tone(left_hz, duration, amplitude=0.3)
    right = tone(right_hz, duration, amplitude=0.3)
    if noise:
        left = left + pink_noise(left.size, seed=1, amplitude=noise)
        right = right + pink_noise(right.size, seed=2, amplitude=noise)
    return np.stack([left, right], axis=1).astype(np.float32)


def isochronic(carrier_hz: float, rate_hz: float, duration: float) -> np.ndarray:
    """A tone gated on and off `rate_hz` times a second (5 ms ramps), the same in both ears."""
    t = seconds(duration)
    gate = ((t * rate_hz) % 1.0 < 0.5).astype(float)
    ramp = np.ones(round(0.005 * RATE)) / round(0.005 * RATE)
    gate = np.convolve(gate, ramp, mode="same")
    mono = 0.4 * np.sin(2 * np.pi * carrier_hz * t) * gate
    return np.stack([mono, mono], axis=1).astype(np.float32)


def monaural(low_hz: float, high_hz: float, duration: float) -> np.ndarray:
    """Two tones summed in both ears (they beat at the difference before reaching the ears)."""
    mono = tone(low_hz, duration, amplitude=0.25) + tone(high_hz, duration, amplitude=0.25)
    return np.stack([mono, mono], axis=1).astype(np.float32)


def write(path: Path, samples: np.ndarray, rate: int = RATE, subtype: str | None = None) -> Path:
    """Write samples with soundfile; the format follows the suffix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), samples, rate, subtype=subtype)
    return path
