"""Binaural beats (each ear its own steady tone) and monaural/isochronic beats (one tone pulsing in both).

Each analysis window gets one long FFT per channel, so a steady tone is a line a fraction of a hertz
wide whose frequency is found to a few hundredths of a hertz by interpolation. A binaural beat is a
pair of lines, one per ear, each absent from the other ear, a beat apart. A monaural or isochronic
beat is a line whose amplitude swings at a beat rate in both ears alike; its envelope is read from the
same FFT by shifting the band around the line to baseband.

Which beat rates count is the rules' choice (`audio.beat_min_hz`, `audio.beat_max_hz` in
rules/classification.toml). The detector reports any beat it can measure: from the slowest that
completes MIN_CYCLES cycles in a window (about 0.27 Hz in a 15 s window) up to MEASURABLE_MAX_HZ, so
widening the range in the rules is enough to count slower or faster beats.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

import numpy as np
from scipy import fft as scipy_fft

from playlist_builder.model import AmplitudeBeat, BinauralBeat, band_for_rate

TONE_MIN_HZ = 20.0  # below hearing there is no carrier
TONE_MAX_HZ = 1500.0  # interaural phase, which makes the binaural beat, is not followed above ~1.5 kHz
# The fastest beat measured: the envelope band each side of a carrier spans this much, and faster
# amplitude swings are heard as roughness or as separate tones. The rules choose within it.
MEASURABLE_MAX_HZ = 45.0
MIN_WINDOW_S = 1.0  # shorter windows give lines too wide to tell a tone from a note

TONE_PROMINENCE_DB = 20.0  # a line stands this far above the spectrum's local median ...
TONE_MIN_LEVEL_DB = -50.0  # ... and is no more than this far below the ear's power under 1.5 kHz (audible)
FLOOR_BLOCK_HZ = 5.0  # the local median is taken over blocks this wide ...
FLOOR_BLOCKS = 7  # ... this many around the line (±17 Hz), robust to the line itself
LINE_HALF_WIDTH_BINS = 2  # a steady tone under a Hann window fills ±2 bins of its peak
STEADY_HALF_WIDTH_BINS = 6  # ... and almost nothing out to ±6 bins; a note that starts or glides does
STEADY_SHARE = 0.7  # share of the ±6-bin power that must lie within ±2 bins for a line to be steady
PEAKS_PER_EAR = 5  # strongest lines per ear considered for pairing
EAR_SEPARATION_DB = 10.0  # each ear's tone is at least this much weaker (or absent) in the other ear

MODULATION_BAND_HZ = MEASURABLE_MAX_HZ + 5.0  # envelope band each side of the carrier
# Beat generators swing the tone fully: two equal tones give a depth of 2/3, on/off pulses more than 1.
# Music's tremolo, decays and sung syllables swing less; half the mean level is the line between them.
MIN_MODULATION_DEPTH = 0.5
MIN_CYCLES = 4  # a beat seen fewer than four times in a window could be a swell or a fade
# A beat generator repeats its pulse exactly, so nearly all of the envelope's fluctuation sits at the rate
# and its harmonics; a note that music happens to repeat leaves much of it elsewhere.
MIN_PERIODIC_SHARE = 0.6
PERIODIC_HALF_WIDTH_BINS = 3  # Hann main lobe plus rate-estimate slack
MATCH_RATE_HZ = 0.3  # both ears must pulse at the same rate within this ...
MATCH_CARRIER_HZ = 1.0  # ... on the same carrier within this
SIDEBAND_DB = -20.0  # an amplitude-modulated tone has lines at carrier ± rate above this (both sides)
MONAURAL_LINE_DB = -6.0  # two tones of similar level (one side only) beat monaurally

MIN_SHARE = 0.5  # a beat is reported when it holds in at least half of the analysed windows ...
MIN_WINDOWS_HELD = 2  # ... and, when two or more were analysed, in at least two of them


@dataclass(frozen=True)
class WindowBeats:
    """What one window shows: a binaural pair (carrier, beat) and/or a pulsing tone (kind, carrier, rate)."""

    binaural: tuple[float, float] | None = None
    amplitude: tuple[str, float, float] | None = None


@dataclass(frozen=True)
class _Line:
    """A steady spectral line: interpolated frequency, bin, and its power (±2 bins)."""

    hz: float
    bin: int
    power: float


@dataclass(frozen=True)
class _Channel:
    """One ear's spectra over the tone range: raw (for envelopes) and Hann-windowed power."""

    raw: np.ndarray
    power: np.ndarray
    bin_hz: float


def analyse_window(stereo: np.ndarray, rate: int) -> WindowBeats:
    """Find binaural and amplitude beats in one window of (frames, 1 or 2) samples."""
    frames = stereo.shape[0]
    if frames < MIN_WINDOW_S * rate or not np.any(stereo):
        return WindowBeats()
    channels = [_spectra(stereo[:, index], rate) for index in range(stereo.shape[1])]
    lines = [_steady_lines(channel) for channel in channels]
    binaural = _binaural_pair(channels, lines) if len(channels) == 2 else None
    pulses = [_amplitude_beat(channel, found) for channel, found in zip(channels, lines, strict=True)]
    return WindowBeats(binaural=binaural, amplitude=_agreeing_pulse(pulses))


def _spectra(samples: np.ndarray, rate: int) -> _Channel:
    """One FFT of the whole window; the Hann-windowed spectrum is derived from it by a 3-tap convolution."""
    size = scipy_fft.prev_fast_len(samples.size)
    spectrum = scipy_fft.rfft(np.asarray(samples[:size], dtype=np.float32))
    bin_hz = rate / size
    keep = min(
        spectrum.size, int((TONE_MAX_HZ + MODULATION_BAND_HZ + FLOOR_BLOCKS * FLOOR_BLOCK_HZ) / bin_hz) + 2
    )
    raw = spectrum[:keep]
    hann = 0.5 * raw.copy()  # periodic Hann: X_w[k] = X[k]/2 - X[k-1]/4 - X[k+1]/4
    hann[1:] -= 0.25 * raw[:-1]
    hann[:-1] -= 0.25 * raw[1:]
    return _Channel(raw=raw, power=(hann.real**2 + hann.imag**2).astype(np.float64), bin_hz=bin_hz)


def _steady_lines(channel: _Channel) -> list[_Line]:
    """The strongest steady, prominent lines between TONE_MIN_HZ and TONE_MAX_HZ, loudest first."""
    power, bin_hz = channel.power, channel.bin_hz
    low = max(STEADY_HALF_WIDTH_BINS + 1, int(TONE_MIN_HZ / bin_hz))
    high = min(power.size - STEADY_HALF_WIDTH_BINS - 1, int(TONE_MAX_HZ / bin_hz) + 1)
    if high <= low:
        return []
    block = max(1, round(FLOOR_BLOCK_HZ / bin_hz))
    usable = (power.size // block) * block
    block_medians = np.median(power[:usable].reshape(-1, block), axis=1)
    middle = power[low:high]
    is_peak = (middle > power[low - 1 : high - 1]) & (middle >= power[low + 1 : high + 1])
    candidates = np.flatnonzero(is_peak) + low
    candidates = candidates[np.argsort(power[candidates])[::-1]][: 20 * PEAKS_PER_EAR]
    audible = float(power.sum()) * 10 ** (TONE_MIN_LEVEL_DB / 10)
    lines: list[_Line] = []
    for index in candidates:
        centre = int(index) // block
        neighbourhood = block_medians[max(0, centre - FLOOR_BLOCKS // 2) : centre + FLOOR_BLOCKS // 2 + 1]
        floor = float(np.median(neighbourhood)) if neighbourhood.size else 0.0
        if power[index] < floor * 10 ** (TONE_PROMINENCE_DB / 10) or power[index] <= 0:
            continue
        near = power[index - LINE_HALF_WIDTH_BINS : index + LINE_HALF_WIDTH_BINS + 1].sum()
        wide = power[index - STEADY_HALF_WIDTH_BINS : index + STEADY_HALF_WIDTH_BINS + 1].sum()
        if near < STEADY_SHARE * wide or near < audible:
            continue
        lines.append(_Line(hz=(index + _peak_offset(power, int(index))) * bin_hz, bin=int(index), power=near))
        if len(lines) == PEAKS_PER_EAR:
            break
    return lines


def _peak_offset(power: np.ndarray, index: int) -> float:
    """Sub-bin position of a peak: parabola through the log power of it and its neighbours."""
    left, centre, right = np.log(power[index - 1 : index + 2] + 1e-300)
    denominator = left - 2.0 * centre + right
    return 0.0 if denominator >= 0 else float(np.clip(0.5 * (left - right) / denominator, -0.5, 0.5))


def _line_power(channel: _Channel, index: int) -> float:
    """Power within ±2 bins of a bin (how much of a line is there)."""
    low = max(0, index - LINE_HALF_WIDTH_BINS)
    return float(channel.power[low : index + LINE_HALF_WIDTH_BINS + 1].sum())


def _binaural_pair(channels: list[_Channel], lines: list[list[_Line]]) -> tuple[float, float] | None:
    """The strongest pair of lines, one per ear, absent from the other ear and a beat apart."""
    left, right = channels
    separation = 10 ** (EAR_SEPARATION_DB / 10)
    best: tuple[float, float, float] | None = None
    for line_left in lines[0]:
        if line_left.power < separation * _line_power(right, line_left.bin):
            continue
        for line_right in lines[1]:
            beat = abs(line_left.hz - line_right.hz)
            if not MIN_CYCLES * left.bin_hz <= beat <= MEASURABLE_MAX_HZ:  # bin_hz = 1 / window length
                continue
            if beat >= _erb_hz((line_left.hz + line_right.hz) / 2):
                continue  # tones a critical band or more apart are heard as two notes, not a beat
            if line_right.power < separation * _line_power(left, line_right.bin):
                continue
            strength = min(line_left.power, line_right.power)
            if best is None or strength > best[0]:
                best = (strength, (line_left.hz + line_right.hz) / 2.0, beat)
    return None if best is None else (best[1], best[2])


def _erb_hz(frequency_hz: float) -> float:
    """Equivalent rectangular bandwidth of the auditory filter at a frequency (Glasberg & Moore 1990)."""
    return 24.7 * (4.37 * frequency_hz / 1000.0 + 1.0)


def _amplitude_beat(channel: _Channel, lines: list[_Line]) -> tuple[str, float, float] | None:
    """Whether the loudest steady line pulses at a beat rate: (kind, carrier, rate) or None."""
    if not lines:
        return None
    carrier = lines[0]
    envelope = _envelope(channel, carrier.bin)
    if envelope is None:
        return None
    envelope_rate = envelope.size * channel.bin_hz  # the envelope spans the whole window
    mean = float(envelope.mean())
    if mean <= 0:
        return None
    window = np.hanning(envelope.size)
    spectrum = np.abs(np.fft.rfft((envelope - mean) * window))
    freqs = np.fft.rfftfreq(envelope.size, 1.0 / envelope_rate)
    slowest = MIN_CYCLES * channel.bin_hz  # bin_hz = 1 / window length
    allowed = np.flatnonzero((freqs >= slowest) & (freqs <= MEASURABLE_MAX_HZ))
    if allowed.size < 3:
        return None
    peak = int(allowed[np.argmax(spectrum[allowed])])
    depth = 2.0 * float(spectrum[peak]) / (float(window.sum()) * mean)
    if depth < MIN_MODULATION_DEPTH or peak == 0 or peak >= spectrum.size - 1:
        return None
    rate = (peak + _peak_offset(spectrum**2, peak)) * (freqs[1] - freqs[0])
    if _periodic_share(spectrum**2, freqs, rate) < MIN_PERIODIC_SHARE:
        return None
    return _kind_of_pulse(channel, carrier, rate)


def _periodic_share(power: np.ndarray, freqs: np.ndarray, rate: float) -> float:
    """Share of the envelope's fluctuation power at the beat rate and its harmonics."""
    step = freqs[1] - freqs[0]
    total = float(power[1:].sum())
    if total <= 0:
        return 0.0
    on_lines = np.zeros(power.size, dtype=bool)
    for harmonic in np.arange(rate, freqs[-1], rate):
        centre = round(harmonic / step)
        on_lines[max(1, centre - PERIODIC_HALF_WIDTH_BINS) : centre + PERIODIC_HALF_WIDTH_BINS + 1] = True
    return float(power[on_lines].sum()) / total


def _envelope(channel: _Channel, centre: int) -> np.ndarray | None:
    """Amplitude envelope of the band around a line: its bins shifted to 0 Hz and inverse-transformed."""
    half = int(MODULATION_BAND_HZ / channel.bin_hz)
    if centre - half < 0 or centre + half >= channel.raw.size:
        return None
    size = scipy_fft.next_fast_len(2 * half + 1)
    baseband = np.zeros(size, dtype=np.complex128)
    band = channel.raw[centre - half : centre + half + 1]
    baseband[: half + 1] = band[half:]  # the line and above at non-negative frequencies
    baseband[-half:] = band[:half]  # below the line at negative frequencies
    return np.abs(np.fft.ifft(baseband))


def _kind_of_pulse(channel: _Channel, carrier: _Line, rate: float) -> tuple[str, float, float]:
    """Isochronic/AM (lines on both sides of the carrier) or monaural (two tones, one beside the other)."""
    offset = rate / channel.bin_hz
    below = _nearby_line_power(channel, carrier.bin - offset)
    above = _nearby_line_power(channel, carrier.bin + offset)
    sideband = carrier.power * 10 ** (SIDEBAND_DB / 10)
    if below >= sideband and above >= sideband:
        return ("isochronic", carrier.hz, rate)
    partner_power, sign = (below, -1.0) if below > above else (above, 1.0)
    if partner_power >= carrier.power * 10 ** (MONAURAL_LINE_DB / 10):
        return ("monaural", carrier.hz + sign * rate / 2.0, rate)
    return ("isochronic", carrier.hz, rate)


def _nearby_line_power(channel: _Channel, position: float) -> float:
    """Power of a line at a fractional bin position (0 when off the spectrum)."""
    index = round(position)
    if index - LINE_HALF_WIDTH_BINS < 0 or index + LINE_HALF_WIDTH_BINS >= channel.power.size:
        return 0.0
    return _line_power(channel, index)


def _agreeing_pulse(pulses: list[tuple[str, float, float] | None]) -> tuple[str, float, float] | None:
    """The pulse every ear shows (same rate and carrier), else None."""
    first = pulses[0]
    if first is None:
        return None
    for other in pulses[1:]:
        if (
            other is None
            or abs(other[2] - first[2]) > MATCH_RATE_HZ
            or abs(other[1] - first[1]) > MATCH_CARRIER_HZ
        ):
            return None
    return first


def _holds(hits: int, windows: int) -> bool:
    """Whether a finding seen in `hits` of `windows` windows is reported for the track."""
    return hits > 0 and hits / windows >= MIN_SHARE and hits >= min(MIN_WINDOWS_HELD, windows)


def summarise(windows: list[WindowBeats]) -> tuple[BinauralBeat | None, AmplitudeBeat | None]:
    """Track-level beats from per-window findings: medians over the windows where each holds."""
    if not windows:
        return None, None
    binaural_hits = [found.binaural for found in windows if found.binaural is not None]
    binaural = None
    share = len(binaural_hits) / len(windows)
    if _holds(len(binaural_hits), len(windows)):
        beat = statistics.median(hit[1] for hit in binaural_hits)
        carrier = statistics.median(hit[0] for hit in binaural_hits)
        binaural = BinauralBeat(
            carrier_hz=round(float(carrier), 2),
            beat_hz=round(float(beat), 3),
            band=band_for_rate(beat),
            share=round(share, 3),
        )
    pulse_hits = [found.amplitude for found in windows if found.amplitude is not None]
    amplitude = None
    share = len(pulse_hits) / len(windows)
    if _holds(len(pulse_hits), len(windows)):
        kind = statistics.mode(hit[0] for hit in pulse_hits)
        rate = statistics.median(hit[2] for hit in pulse_hits)
        carrier = statistics.median(hit[1] for hit in pulse_hits)
        amplitude = AmplitudeBeat(
            kind=kind, carrier_hz=carrier, rate_hz=rate, band=band_for_rate(rate), share=share
        )
    return binaural, amplitude
