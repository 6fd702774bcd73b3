"""Spectral shape, onset rate, tempo and pulse clarity, and stereo width of one analysis window.

Each measurement is computed per window and summed into a `FeatureAccumulator`, so a track sampled in
several windows gets one set of values without holding all windows at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import fft as scipy_fft
from scipy import ndimage

FRAME_S = 0.023  # analysis frame ≈ 23 ms: resolves onsets and still gives 43 Hz bins at 44.1 kHz
SILENT_FRAME_POWER = 1e-8  # mean-square power of a frame below -80 dBFS: ignored by spectral statistics
ROLLOFF_SHARE = 0.85  # roll-off: the frequency below which 85 % of the spectral energy lies (common choice)
FLATNESS_LOW_HZ = 50.0
FLATNESS_HIGH_HZ = 16_000.0  # MP3 and Vorbis encoders low-pass at 16–19 kHz
FLATNESS_FLOOR = 1e-12  # per-bin power floor (-120 dBFS): silence between partials is not -inf

# Onsets: spectral flux over log-spaced bands (so a loud bass note counts no more than a bright click).
ONSET_BANDS = 24
ONSET_LOW_HZ = 60.0
ONSET_HIGH_HZ = 12_000.0
# a band's level in one frame fluctuates by ≈ 5.6 dB / √bins on noise: 8 bins keep noise flux small
ONSET_MIN_BAND_BINS = 8
BAND_FLOOR_DB = -80.0  # bands below this are treated as silent (no flux from noise in silence)
ONSET_MIN_RISE_DB = 3.0  # mean rise across bands that counts as an onset; stationary noise stays below
ONSET_THRESHOLD_MADS = 3.0  # and it must stand out from the local flux by this many median deviations
ONSET_CONTEXT_S = 1.0  # local median/deviation window for the adaptive threshold
ONSET_MIN_GAP_S = 0.05  # two onsets closer than this are one (flams, ringing)

# Tempo: autocorrelation of the onset envelope between 40 and 200 BPM, lightly favouring ~120 BPM
# (a log-normal prior one octave wide, as in Ellis 2007) to settle octave ambiguity.
TEMPO_MIN_BPM = 40.0
TEMPO_MAX_BPM = 200.0
TEMPO_PRIOR_BPM = 120.0
TEMPO_PRIOR_OCTAVES = 1.0
TEMPO_MIN_CLARITY = 0.2  # below this autocorrelation peak there is no dependable pulse: tempo is None
TEMPO_SMOOTHING_S = 0.02  # smooth the envelope so a period falling between two frame lags keeps its peak
TEMPO_ENVELOPE_FLOOR_DB = 0.3  # onset-envelope wiggles smaller than this (steady tones) carry no pulse


@dataclass(frozen=True)
class Spectrogram:
    """Power spectrogram of a mono window: `power` is (frames, bins), `hop_s` the frame step."""

    power: np.ndarray
    freqs: np.ndarray
    hop_s: float
    rate: int

    @property
    def active(self) -> np.ndarray:
        """Mask of frames loud enough for spectral statistics."""
        return self.power.sum(axis=1) > SILENT_FRAME_POWER * self.power_scale

    @property
    def power_scale(self) -> float:
        """Divide summed bin power by this to get a frame's mean-square power (Hann window, one-sided)."""
        n_fft = 2 * (self.freqs.size - 1)
        return n_fft * n_fft * 0.375 / 2.0  # Σw² = 0.375·n for a Hann window; rfft counts each side once


def frame_size(rate: int, frame_s: float = FRAME_S) -> int:
    """Power-of-two FFT size closest to `frame_s` at `rate`."""
    return 1 << max(6, round(math.log2(rate * frame_s)))


def spectrogram(mono: np.ndarray, rate: int, frame_s: float = FRAME_S) -> Spectrogram:
    """Hann-windowed power spectrogram with 50 % overlap (float32)."""
    n_fft = frame_size(rate, frame_s)
    hop = n_fft // 2
    signal_ = np.asarray(mono, dtype=np.float32)
    if signal_.size < n_fft:
        signal_ = np.pad(signal_, (0, n_fft - signal_.size))
    frames = np.lib.stride_tricks.sliding_window_view(signal_, n_fft)[::hop]
    window = np.hanning(n_fft + 1)[:-1].astype(np.float32)
    spectrum = scipy_fft.rfft(frames * window, axis=1)
    power = (spectrum.real**2 + spectrum.imag**2).astype(np.float32)
    freqs = np.fft.rfftfreq(n_fft, 1.0 / rate)
    return Spectrogram(power=power, freqs=freqs, hop_s=hop / rate, rate=rate)


def frame_flatness(spec: Spectrogram, frames: np.ndarray) -> np.ndarray:
    """Spectral flatness (geometric over arithmetic mean of power) of the given frames, 0 tonal .. 1 white.

    Measured from FLATNESS_LOW_HZ up to FLATNESS_HIGH_HZ (or 90 % of Nyquist): lossy codecs leave the
    top of the spectrum empty, which would make every encoded track read as perfectly tonal.
    """
    low = int(np.searchsorted(spec.freqs, FLATNESS_LOW_HZ))
    high = int(np.searchsorted(spec.freqs, min(FLATNESS_HIGH_HZ, 0.9 * spec.freqs[-1])))
    power = spec.power[frames, low : max(high, low + 2)].astype(np.float64)
    floor = FLATNESS_FLOOR * spec.power_scale
    log_mean = np.log(power + floor).mean(axis=1)
    return np.exp(log_mean) / (power.mean(axis=1) + floor)


def band_edges(freqs: np.ndarray, low_hz: float, high_hz: float, count: int, min_bins: int = 1) -> np.ndarray:
    """Bin indices splitting [low_hz, high_hz] into up to `count` log-spaced bands of at least `min_bins`."""
    high_hz = min(high_hz, float(freqs[-1]))
    targets = np.searchsorted(freqs, np.geomspace(low_hz, max(high_hz, low_hz * 2), count + 1))
    top = min(int(targets[-1]), freqs.size)
    edges = [int(targets[0])]
    for target in targets[1:]:
        edge = max(int(target), edges[-1] + min_bins)
        if edge > top:
            break
        edges.append(edge)
    if len(edges) < 2:  # too few bins for even one band of that width: one band over what there is
        edges = [int(targets[0]), max(top, int(targets[0]) + 1)]
    return np.asarray(edges)


def band_energies_db(
    spec: Spectrogram, low_hz: float, high_hz: float, count: int, min_bins: int = 1
) -> np.ndarray:
    """(frames, bands) band energies in dB relative to full scale, floored at BAND_FLOOR_DB."""
    edges = band_edges(spec.freqs, low_hz, high_hz, count, min_bins)
    cumulative = np.zeros((spec.power.shape[0], spec.power.shape[1] + 1))
    np.cumsum(spec.power, axis=1, out=cumulative[:, 1:])
    energy = (cumulative[:, edges[1:]] - cumulative[:, edges[:-1]]) / spec.power_scale
    return np.maximum(10.0 * np.log10(np.maximum(energy, 1e-30)), BAND_FLOOR_DB)


def onset_envelope(spec: Spectrogram) -> np.ndarray:
    """Onset strength per frame: mean rise (dB) across log-spaced bands since the previous frame."""
    bands = band_energies_db(spec, ONSET_LOW_HZ, ONSET_HIGH_HZ, ONSET_BANDS, ONSET_MIN_BAND_BINS)
    if bands.shape[0] < 2:
        return np.zeros(bands.shape[0])
    rise = np.maximum(np.diff(bands, axis=0), 0.0).mean(axis=1)
    return np.concatenate([[0.0], rise])


def count_onsets(envelope: np.ndarray, hop_s: float) -> int:
    """Onsets: local maxima of the envelope clearly above its local median (adaptive threshold)."""
    if envelope.size < 3:
        return 0
    context = max(3, round(ONSET_CONTEXT_S / hop_s) | 1)
    median = ndimage.median_filter(envelope, size=context, mode="nearest")
    deviation = ndimage.median_filter(np.abs(envelope - median), size=context, mode="nearest")
    threshold = np.maximum(median + ONSET_THRESHOLD_MADS * deviation, ONSET_MIN_RISE_DB)
    gap = max(1, round(ONSET_MIN_GAP_S / hop_s))
    local_max = ndimage.maximum_filter1d(envelope, size=2 * gap + 1, mode="nearest") == envelope
    peaks = np.flatnonzero(local_max & (envelope > threshold))
    if peaks.size == 0:
        return 0
    # plateaus give neighbouring equal maxima: keep one per gap
    return int(1 + np.count_nonzero(np.diff(peaks) > gap))


def tempo_and_clarity(envelope: np.ndarray, hop_s: float) -> tuple[float | None, float]:
    """Tempo in BPM (None without a dependable pulse) and pulse clarity 0..1 from the onset envelope."""
    shortest = max(1, math.floor(60.0 / TEMPO_MAX_BPM / hop_s))
    longest = math.ceil(60.0 / TEMPO_MIN_BPM / hop_s)
    if envelope.size < 2 * longest:
        return None, 0.0
    smoothed = ndimage.gaussian_filter1d(envelope, TEMPO_SMOOTHING_S / hop_s)
    centred = smoothed - smoothed.mean()
    size = scipy_fft.next_fast_len(2 * centred.size)
    spectrum = scipy_fft.rfft(centred, size)
    autocorrelation = scipy_fft.irfft(spectrum.real**2 + spectrum.imag**2, size)[: longest + 2]
    if autocorrelation[0] <= 0:
        return None, 0.0
    # unbiased: divide by the overlap so long lags are not penalised for overlapping less
    overlap = centred.size - np.arange(autocorrelation.size)
    # deviations of the envelope under ONSET_FLOOR_DB are not pulses: they only add to the denominator
    variance = autocorrelation[0] / centred.size + TEMPO_ENVELOPE_FLOOR_DB**2
    normalised = autocorrelation / overlap / variance
    lags = np.arange(shortest, longest + 1)
    bpm = 60.0 / (lags * hop_s)
    prior = np.exp(-0.5 * (np.log2(bpm / TEMPO_PRIOR_BPM) / TEMPO_PRIOR_OCTAVES) ** 2)
    values = normalised[lags]
    clarity = float(np.clip(values.max(), 0.0, 1.0))
    if clarity < TEMPO_MIN_CLARITY:
        return None, clarity
    best = int(np.argmax(values * prior))
    lag = float(lags[best]) + _parabolic_offset(normalised, int(lags[best]))
    return 60.0 / (lag * hop_s), clarity


def _parabolic_offset(values: np.ndarray, index: int) -> float:
    """Sub-sample offset of a peak from a parabola through it and its neighbours."""
    if index <= 0 or index >= values.size - 1:
        return 0.0
    left, centre, right = values[index - 1], values[index], values[index + 1]
    denominator = left - 2.0 * centre + right
    return 0.0 if denominator == 0 else float(np.clip(0.5 * (left - right) / denominator, -0.5, 0.5))


def to_stereo(block: np.ndarray) -> np.ndarray:
    """Mono stays mono; 3+ channels fold down to stereo with ITU-R BS.775 gains, LFE dropped."""
    channels = block.shape[1]
    if channels <= 2:
        return block
    side = math.sqrt(0.5)
    left = block[:, 0].copy()
    right = block[:, 1].copy()
    if channels in (3, 5, 6, 7, 8):  # these layouts carry a centre channel third
        left += side * block[:, 2]
        right += side * block[:, 2]
    surrounds = {4: (2, 3), 5: (3, 4), 6: (4, 5), 7: (4, 5), 8: (4, 5)}.get(channels)
    if surrounds:
        left += side * block[:, surrounds[0]]
        right += side * block[:, surrounds[1]]
    return np.stack([left, right], axis=1)


@dataclass
class FeatureAccumulator:
    """Running sums over all windows of a track; `result()` gives the track's values."""

    spectrum_sum: np.ndarray | None = None
    freqs: np.ndarray | None = None
    flatness: list[np.ndarray] = field(default_factory=list)
    onsets: int = 0
    active_seconds: float = 0.0
    tempos: list[tuple[float, float]] = field(default_factory=list)  # (bpm, weight)
    clarities: list[tuple[float, float]] = field(default_factory=list)  # (clarity, seconds)
    mid_energy: float = 0.0
    side_energy: float = 0.0

    def add_window(self, stereo: np.ndarray, spec: Spectrogram) -> None:
        """Add one window: its stereo (or mono) samples and the spectrogram of its mono downmix."""
        active = spec.active
        if active.any():
            mean_power = spec.power[active].mean(axis=0, dtype=np.float64) * active.sum()
            if self.spectrum_sum is None or self.freqs is None or self.freqs.size != spec.freqs.size:
                self.spectrum_sum, self.freqs = mean_power, spec.freqs
            else:
                self.spectrum_sum = self.spectrum_sum + mean_power
            self.flatness.append(frame_flatness(spec, active))
        envelope = onset_envelope(spec)
        seconds = float(active.sum()) * spec.hop_s
        self.active_seconds += seconds
        self.onsets += count_onsets(envelope, spec.hop_s)
        bpm, clarity = tempo_and_clarity(envelope, spec.hop_s)
        self.clarities.append((clarity, seconds))
        if bpm is not None:
            self.tempos.append((bpm, clarity * seconds))
        if stereo.shape[1] == 2:
            mid = stereo[:, 0] + stereo[:, 1]
            side = stereo[:, 0] - stereo[:, 1]
            self.mid_energy += float(np.dot(mid, mid))  # float32 dot products: BLAS-fast, ample precision
            self.side_energy += float(np.dot(side, side))

    def result(self) -> dict[str, float | None]:
        """Spectral centroid, flatness, roll-off, onset rate, tempo, pulse clarity and stereo width."""
        centroid = rolloff = 0.0
        if self.spectrum_sum is not None and self.freqs is not None and self.spectrum_sum.sum() > 0:
            weights = self.spectrum_sum / self.spectrum_sum.sum()
            centroid = float((weights * self.freqs).sum())
            cumulative = np.cumsum(weights)
            rolloff = float(
                self.freqs[min(int(np.searchsorted(cumulative, ROLLOFF_SHARE)), self.freqs.size - 1)]
            )
        flatness = float(np.median(np.concatenate(self.flatness))) if self.flatness else 0.0
        total_weight = sum(weight for _, weight in self.clarities)
        clarity = sum(c * w for c, w in self.clarities) / total_weight if total_weight > 0 else 0.0
        total_energy = self.mid_energy + self.side_energy
        return {
            "spectral_centroid_hz": centroid,
            "spectral_flatness": flatness,
            "spectral_rolloff_hz": rolloff,
            "onset_rate_hz": self.onsets / self.active_seconds if self.active_seconds > 0 else 0.0,
            "tempo_bpm": _weighted_median(self.tempos),
            "pulse_clarity": float(clarity),
            # side share of the energy: 0 mono/identical channels, ≈0.5 unrelated channels, 1 out of phase
            "stereo_width": self.side_energy / total_energy if total_energy > 0 else 0.0,
        }


def _weighted_median(pairs: list[tuple[float, float]]) -> float | None:
    """Weighted median of (value, weight) pairs; None when there are none."""
    pairs = [(value, weight) for value, weight in pairs if weight > 0]
    if not pairs:
        return None
    pairs.sort()
    half = sum(weight for _, weight in pairs) / 2.0
    running = 0.0
    for value, weight in pairs:
        running += weight
        if running >= half:
            return float(value)
    return float(pairs[-1][0])
