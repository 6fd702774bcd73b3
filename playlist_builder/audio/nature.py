"""Nature-sound evidence: noise-like texture with a steady or slowly moving level (rain, waves, wind,
streams), and brief tonal chirps over such a bed (birds, frogs, insects). A score 0..1 with its parts.

The reference points come from signal theory rather than from fitting the development corpus:
- In Gaussian noise every spectral bin's power is exponentially distributed, so within a band the
  geometric mean of the bin powers is e^-γ ≈ 0.56 of their arithmetic mean. Dividing a band's
  flatness by that value gives ≈ 1 for noise-like texture and ≈ 0 for tonal content (partials).
- A bin exceeding the mean of its neighbours by 15 dB happens by chance in noise about once in
  10^6 bins, so such a bin marks a tone. High tones over a band below 1.5 kHz that is itself
  noise-like (no harmony underneath) are calls rather than music.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

from playlist_builder.audio.features import Spectrogram, band_edges, spectrogram

NOISE_FLATNESS = math.exp(-0.5772156649)  # e^-γ: geometric / arithmetic mean of exponential powers
# Texture is judged on ~93 ms frames (≈11 Hz bins): fine enough to resolve the partials of held notes
# (music reads as tonal) while glides and clicks smear into texture.
TEXTURE_FRAME_S = 0.093
TEXTURE_LOW_HZ = 200.0
TEXTURE_HIGH_HZ = 10_000.0
TEXTURE_BANDS = 16
TEXTURE_MIN_BINS = 8  # the flatness of fewer bins is too noisy to tell texture from tone
TONAL_TEXTURE = 0.5  # half as flat as noise: as much tone as texture; maps to 0
NOISE_TEXTURE = 1.0  # as flat as noise: maps to 1

LEVEL_SMOOTHING_S = 1.0  # level movement slower than this is "slow" (swells, gusts, waves)
STEADY_WOBBLE_DB = 1.0  # wobble of broadband noise (≈0.3 dB in 93 ms frames) and then some: maps to 1
BUSY_WOBBLE_DB = 3.0  # notes, syllables and beats move the level at least this much: maps to 0

TONE_PROMINENCE_DB = 15.0  # see module docstring: noise alone crosses this about once per 10^6 bins
TONE_GAP_BINS = 3  # the neighbours a tone is compared with start this far from it (Hann main lobe)
TONE_SIDE_BINS = 12  # and span this many bins on each side
CHIRP_LOW_HZ = 1500.0  # birdsong, frog and insect calls sit above this; music's harmony mostly below
CHIRP_HIGH_HZ = 11_000.0
BED_FLATNESS = 0.8  # below CHIRP_LOW_HZ the window must be this noise-like (no harmony under the calls)
CHIRP_FULL_SHARE = 0.2  # calls in a fifth of the frames are plenty: maps to 1

# Generated noise (white, pink, brown) has a long-term spectrum that is a straight line on log-log axes;
# a field recording (rain on leaves, surf, a stream) is coloured by its sources, the space and the
# microphone, so its third-octave levels stray from any power law by decibels. The residual of a
# straight-line fit over third-octave bands tells them apart: a residual at or under SMOOTH_FIT_DB maps
# to 1 ("synthetic"), at or over COLOURED_FIT_DB to 0. Averaged over seconds, noise's own band levels
# scatter by far less than 0.1 dB, so the reference points sit well above that.
FIT_LOW_HZ = 100.0
FIT_HIGH_HZ = 6_000.0  # below every codec's low-pass and a 16 kHz file's Nyquist frequency
FIT_BANDS_PER_OCTAVE = 3
SMOOTH_FIT_DB = 0.5
COLOURED_FIT_DB = 1.5


@dataclass
class NatureAccumulator:
    """Per-window nature measurements, combined into a score with parts by `result()`."""

    textures: list[float] = field(default_factory=list)
    beds: list[float] = field(default_factory=list)
    wobbles: list[float] = field(default_factory=list)
    call_frames: int = 0
    frames: int = 0
    band_power: np.ndarray | None = None

    def add_window(self, mono: np.ndarray, spec: Spectrogram) -> None:
        """Measure one window: its mono samples and their short-frame spectrogram."""
        active = spec.active
        count = int(active.sum())
        if count < 3:
            return
        texture_spec = spectrogram(mono, spec.rate, TEXTURE_FRAME_S)
        texture_active = texture_spec.active
        if not texture_active.any():
            return
        high_hz = min(TEXTURE_HIGH_HZ, 0.9 * spec.freqs[-1])
        self.textures.append(_median_flatness(texture_spec, texture_active, TEXTURE_LOW_HZ, high_hz))
        self.wobbles.append(_level_wobble_db(texture_spec, texture_active, high_hz))
        self.frames += count
        bands = _third_octave_power(texture_spec, texture_active)
        if bands is not None:
            self.band_power = bands if self.band_power is None else self.band_power + bands
        bed = _median_flatness(texture_spec, texture_active, TEXTURE_LOW_HZ, CHIRP_LOW_HZ)
        self.beds.append(bed)
        if bed >= BED_FLATNESS:
            self.call_frames += int((_call_frames(spec) & active).sum())

    def result(self) -> tuple[float, dict[str, float]]:
        """The nature score 0..1 and its parts (each 0..1)."""
        if not self.frames:
            return 0.0, {
                "noise_texture": 0.0,
                "steady_level": 0.0,
                "noise_bed": 0.0,
                "calls": 0.0,
                "synthetic": 0.0,
            }
        texture = _ramp(float(np.median(self.textures)), TONAL_TEXTURE, NOISE_TEXTURE)
        steady = _ramp(-float(np.median(self.wobbles)), -BUSY_WOBBLE_DB, -STEADY_WOBBLE_DB)
        bed = _ramp(float(np.median(self.beds)), TONAL_TEXTURE, NOISE_TEXTURE)
        calls = _ramp(self.call_frames / self.frames, 0.0, CHIRP_FULL_SHARE)
        # steady noise-like texture (rain, surf, wind, streams), or calls over a noise-like bed (birds, frogs)
        score = max(texture * steady, bed * calls)
        synthetic = _ramp(-_power_law_residual_db(self.band_power), -COLOURED_FIT_DB, -SMOOTH_FIT_DB)
        parts = {
            "noise_texture": texture,
            "steady_level": steady,
            "noise_bed": bed,
            "calls": calls,
            "synthetic": synthetic,
        }
        return score, parts


def _third_octave_power(spec: Spectrogram, active: np.ndarray) -> np.ndarray | None:
    """Mean power of active frames in third-octave bands FIT_LOW_HZ..FIT_HIGH_HZ (None: too few bins)."""
    top = min(FIT_HIGH_HZ, 0.9 * spec.freqs[-1])
    octaves = np.log2(top / FIT_LOW_HZ)
    edges_hz = FIT_LOW_HZ * 2.0 ** (np.arange(int(octaves * FIT_BANDS_PER_OCTAVE) + 1) / FIT_BANDS_PER_OCTAVE)
    edges = np.searchsorted(spec.freqs, edges_hz)
    if edges.size < 6 or np.any(np.diff(edges) < 1):
        return None
    mean = spec.power[active].mean(axis=0, dtype=np.float64)
    cumulative = np.concatenate([[0.0], np.cumsum(mean)])
    return (cumulative[edges[1:]] - cumulative[edges[:-1]]) / np.diff(edges)


def _power_law_residual_db(band_power: np.ndarray | None) -> float:
    """RMS distance (dB) of third-octave levels from the best straight line on log-log axes."""
    if band_power is None or not np.all(band_power > 0):
        return math.inf
    levels = 10.0 * np.log10(band_power)
    octave = np.arange(levels.size, dtype=np.float64)
    slope, intercept = np.polyfit(octave, levels, 1)
    return float(np.sqrt(np.mean((levels - (slope * octave + intercept)) ** 2)))


def _ramp(value: float, zero_at: float, one_at: float) -> float:
    """Linear 0..1 between two reference points, clipped."""
    return float(np.clip((value - zero_at) / (one_at - zero_at), 0.0, 1.0))


def _median_flatness(spec: Spectrogram, active: np.ndarray, low_hz: float, high_hz: float) -> float:
    """Median over active frames of power-weighted band flatness relative to noise (≈1 noise, ≈0 tone)."""
    edges = band_edges(spec.freqs, low_hz, high_hz, TEXTURE_BANDS, TEXTURE_MIN_BINS)
    power = spec.power[active].astype(np.float64) + 1e-12 * spec.power_scale
    flatness = np.empty((power.shape[0], edges.size - 1))
    band_power = np.empty_like(flatness)
    for index, (start, stop) in enumerate(itertools.pairwise(edges)):
        band = power[:, start:stop]
        band_power[:, index] = band.mean(axis=1)
        flatness[:, index] = np.exp(np.log(band).mean(axis=1)) / band_power[:, index]
    weighted = (flatness * band_power).sum(axis=1) / band_power.sum(axis=1)
    return float(np.median(weighted)) / NOISE_FLATNESS


def _level_wobble_db(spec: Spectrogram, active: np.ndarray, high_hz: float) -> float:
    """Median distance (dB) of each frame's level from its 1-second running mean: fast movement only.

    Measured over TEXTURE_LOW_HZ..high_hz, so the slow random swing of the lowest bins of
    pink or brown noise (few bins, hence unsteady) does not count as movement.
    """
    band = (spec.freqs >= TEXTURE_LOW_HZ) & (spec.freqs < high_hz)
    level = 10.0 * np.log10(spec.power[:, band].sum(axis=1) / spec.power_scale + 1e-12)
    smooth = ndimage.uniform_filter1d(level, max(3, round(LEVEL_SMOOTHING_S / spec.hop_s)), mode="nearest")
    return float(np.median(np.abs(level - smooth)[active]))


def _tone_mask(power: np.ndarray) -> np.ndarray:
    """(frames, bins) True where a bin stands TONE_PROMINENCE_DB above both its neighbourhoods."""
    frames, bins = power.shape
    cumulative = np.zeros((frames, bins + 1))
    np.cumsum(power, axis=1, out=cumulative[:, 1:])
    index = np.arange(bins)
    below_start = np.clip(index - TONE_GAP_BINS - TONE_SIDE_BINS, 0, bins)
    below_stop = np.clip(index - TONE_GAP_BINS, 0, bins)
    above_start = np.clip(index + TONE_GAP_BINS + 1, 0, bins)
    above_stop = np.clip(index + TONE_GAP_BINS + 1 + TONE_SIDE_BINS, 0, bins)
    complete = (below_stop - below_start == TONE_SIDE_BINS) & (above_stop - above_start == TONE_SIDE_BINS)
    below = (cumulative[:, below_stop] - cumulative[:, below_start]) / TONE_SIDE_BINS
    above = (cumulative[:, above_stop] - cumulative[:, above_start]) / TONE_SIDE_BINS
    return (power > np.minimum(below, above) * 10 ** (TONE_PROMINENCE_DB / 10)) & complete[None, :]


def _call_frames(spec: Spectrogram) -> np.ndarray:
    """Frames holding a tone between CHIRP_LOW_HZ and CHIRP_HIGH_HZ (a call, when over a noise bed)."""
    freqs = spec.freqs
    top = min(CHIRP_HIGH_HZ, 0.9 * freqs[-1])
    high = (freqs >= CHIRP_LOW_HZ) & (freqs < top)
    if high.sum() < 2 * (TONE_GAP_BINS + TONE_SIDE_BINS) + 1:
        return np.zeros(spec.power.shape[0], dtype=bool)
    power = spec.power[:, high].astype(np.float64)
    return (_tone_mask(power) & (power > 1e-10 * spec.power_scale)).any(axis=1)
