"""Voice-free material: General-MIDI renders, numpy beds (binaural, isochronic, noise, bowls, whale-like
calls) and field recordings from game data packages. Every function returns stereo float64 (n, 2)."""

from __future__ import annotations

from pathlib import Path

import audio
import midi
import numpy as np

SOUNDFONT = "usr/share/sounds/sf2/FluidR3_GM.sf2"
S3D = "usr/share/games/scorched3d/data/globalmods/none/data/wav/misc"
PLEE = "usr/share/games/plee-the-bear/sound"
SP = "usr/share/sonic-pi/samples"

MAJOR = [0, 2, 4, 5, 7, 9, 11]
MINOR = [0, 2, 3, 5, 7, 8, 10]
PENTATONIC = [0, 2, 4, 7, 9]


def _scale(rng: np.random.Generator, low: int, high: int, kind: list[int] | None = None) -> list[int]:
    key = int(rng.integers(0, 12))
    steps = kind or (MAJOR if rng.random() < 0.5 else MINOR)
    return [p for p in range(low, high + 1) if (p - key) % 12 in steps]


def _render(root: Path, parts: list[midi.Part], bpm: float, seconds: float, sr: int) -> np.ndarray:
    return midi.render(parts, bpm, seconds, root / SOUNDFONT, sr)


def pad(root: Path, sr: int, rng: np.random.Generator, seconds: float, program: int) -> np.ndarray:
    """Slow sustained chords (4-8 beats at 60 BPM) on a GM pad or string program, with a low root."""
    scale = _scale(rng, 48, 76)
    notes, t = [], 0.0
    while t < seconds - 2:
        length = float(rng.choice([4, 6, 8]))
        base = int(rng.integers(0, len(scale) - 6))
        chord = [scale[base], scale[base + 2], scale[base + 4]] + (
            [scale[base + 6]] if rng.random() < 0.5 else []
        )
        notes += [(t, length, p, int(rng.integers(55, 75))) for p in chord]
        notes.append((t, length, scale[base] - 12, 60))
        t += length
    return _render(root, [midi.Part(program, 0, notes, volume=100)], 60, seconds, sr)


def minimal_pattern(
    root: Path, sr: int, rng: np.random.Generator, seconds: float, program: int
) -> np.ndarray:
    """A repeating 6-8 note figure (quiet, even eighth notes) that shifts every few bars, over a held bass."""
    bpm = float(rng.uniform(66, 96))
    scale = _scale(rng, 55, 84)
    beats = seconds * bpm / 60
    notes, t = [], 0.0
    figure = list(rng.choice(scale, size=int(rng.integers(6, 9))))
    bar = 0
    while t < beats - 1:
        for p in figure:
            if t >= beats - 1:
                break
            notes.append((t, 0.5, int(p), int(rng.integers(50, 66))))
            t += 0.5
        bar += 1
        if bar % 4 == 0:  # change one note of the figure
            figure[int(rng.integers(len(figure)))] = int(rng.choice(scale))
    bass = [(b, 8.0, scale[0] - 12, 50) for b in np.arange(0, beats - 1, 8.0)]
    parts = [
        midi.Part(program, 0, notes),
        midi.Part(program, 1, [(float(b), d, p, v) for b, d, p, v in bass]),
    ]
    return _render(root, parts, bpm, seconds, sr)


def melody(
    root: Path, sr: int, rng: np.random.Generator, seconds: float, program: int, low: int, high: int
) -> np.ndarray:
    """A slow solo melody (notes of 1-3 beats with rests) on one GM instrument, unaccompanied."""
    bpm = float(rng.uniform(60, 84))
    scale = _scale(rng, low, high)
    beats = seconds * bpm / 60
    notes, t, i = [], 0.5, len(scale) // 2
    while t < beats - 1.5:
        length = float(rng.choice([1, 1, 1.5, 2, 3]))
        i = int(np.clip(i + rng.integers(-2, 3), 0, len(scale) - 1))
        notes.append((t, length * 0.95, scale[i], int(rng.integers(70, 95))))
        t += length + (float(rng.choice([0, 0, 0, 1])))
    return _render(root, [midi.Part(program, 0, notes)], bpm, seconds, sr)


def busy(root: Path, sr: int, rng: np.random.Generator, seconds: float, style: int) -> np.ndarray:
    """Fast loud music with drums: four-on-the-floor or rock beat, driving bass, busy lead."""
    bpm = float(rng.uniform(126, 168))
    beats = seconds * bpm / 60
    scale = _scale(rng, 60, 84, PENTATONIC)
    drums, bass, lead = [], [], []
    for b in np.arange(0, beats - 1, 1.0):
        b = float(b)
        if style == 0 or int(b) % 2 == 0:
            drums.append((b, 0.25, midi.KICK, 120))
        if int(b) % 2 == 1:
            drums.append((b, 0.25, midi.SNARE, 115))
        drums += [(b + h, 0.1, midi.CLOSED_HAT, 90) for h in (0, 0.25, 0.5, 0.75)]
        if int(b) % 16 == 0:
            drums.append((b, 1.0, midi.CRASH, 110))
        root_note = scale[0] - 24 + (5 if int(b) % 8 >= 4 else 0)
        bass += [(b + h, 0.22, root_note, 115) for h in (0, 0.25, 0.5, 0.75)]
        lead += [(b + h, 0.24, int(rng.choice(scale)), 110) for h in (0, 0.25, 0.5, 0.75)]
    programs = [
        (midi.SYNTH_BASS, midi.LEAD_SAW),
        (midi.FINGERED_BASS, midi.DISTORTION_GUITAR),
        (midi.SYNTH_BASS, midi.LEAD_SQUARE),
    ]
    bass_prog, lead_prog = programs[style % 3]
    parts = [
        midi.Part(0, midi.DRUM_CHANNEL, drums, volume=127),
        midi.Part(bass_prog, 1, bass, volume=120),
        midi.Part(lead_prog, 2, lead, volume=110),
    ]
    return _render(root, parts, bpm, seconds, sr)


# ---------------------------------------------------------------- numpy beds


def colored_noise(rng: np.random.Generator, n: int, exponent: float) -> np.ndarray:
    """Noise with power spectrum 1/f**exponent (0 white, 1 pink, 2 brown), unit RMS."""
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n)
    f[0] = f[1]
    y = np.fft.irfft(spec / f ** (exponent / 2), n)
    return y / np.sqrt(np.mean(y**2))


def binaural(
    sr: int, rng: np.random.Generator, seconds: float, carrier: float, beat: float, noise: float
) -> np.ndarray:
    """Left carrier, right carrier+beat (binaural beat), optional pink noise at `noise` relative RMS."""
    t = np.arange(int(seconds * sr)) / sr
    left = np.sin(2 * np.pi * carrier * t)
    right = np.sin(2 * np.pi * (carrier + beat) * t)
    y = np.stack([left, right], axis=1) * 0.3
    if noise > 0:
        y += noise * 0.3 * colored_noise(rng, len(t), 1.0)[:, None]
    return y


def isochronic(sr: int, seconds: float, tone: float, rate: float) -> np.ndarray:
    """A tone switched on and off `rate` times a second with soft edges (isochronic tone)."""
    t = np.arange(int(seconds * sr)) / sr
    gate = 0.5 + 0.5 * np.tanh(8 * np.sin(2 * np.pi * rate * t))
    y = 0.3 * np.sin(2 * np.pi * tone * t) * gate
    return np.stack([y, y], axis=1)


def noise_bed(sr: int, rng: np.random.Generator, seconds: float, exponent: float) -> np.ndarray:
    """Stereo colored noise (independent channels), slowly swelling."""
    n = int(seconds * sr)
    swell = 1 + 0.2 * np.sin(2 * np.pi * np.arange(n) / sr / 17.0)
    return (
        np.stack([colored_noise(rng, n, exponent), colored_noise(rng, n, exponent)], axis=1)
        * 0.1
        * swell[:, None]
    )


def singing_bowls(sr: int, rng: np.random.Generator, seconds: float) -> np.ndarray:
    """Synthetic singing bowls: inharmonic partials with slow beating, struck every 6-12 s."""
    n = int(seconds * sr)
    y = np.zeros(n)
    t0 = 0.0
    while t0 < seconds - 3:
        f0 = float(rng.choice([174.0, 196.0, 220.0, 261.6, 293.7]))
        at = int(t0 * sr)
        t = np.arange(n - at) / sr
        strike = np.zeros(n - at)
        for ratio, amp in ((1.0, 1.0), (2.71, 0.5), (5.15, 0.25), (8.43, 0.12)):
            f = f0 * ratio
            strike += amp * np.sin(2 * np.pi * f * t) * (1 + 0.3 * np.sin(2 * np.pi * 0.7 * ratio * t))
        y[at:] += strike * np.exp(-t / float(rng.uniform(5, 9)))
        t0 += float(rng.uniform(6, 12))
    y /= np.abs(y).max()
    return np.stack([y, y], axis=1) * 0.5


def whale_calls(sr: int, rng: np.random.Generator, seconds: float) -> np.ndarray:
    """A synthetic imitation of humpback song: slow gliding moans (80-700 Hz, harmonics) over sea noise."""
    n = int(seconds * sr)
    y = 0.05 * colored_noise(rng, n, 2.0)
    t0 = 0.5
    while t0 < seconds - 4:
        d = float(rng.uniform(1.5, 4.0))
        m = int(d * sr)
        f_start, f_end = rng.uniform(80, 700, size=2)
        f = np.geomspace(f_start, f_end, m) * (1 + 0.02 * np.sin(np.linspace(0, 6 * np.pi, m)))
        phase = 2 * np.pi * np.cumsum(f) / sr
        env = np.sin(np.linspace(0, np.pi, m)) ** 2
        call = env * (np.sin(phase) + 0.4 * np.sin(2 * phase) + 0.15 * np.sin(3 * phase))
        at = int(t0 * sr)
        y[at : at + m] += 0.3 * call
        t0 += d + float(rng.uniform(1.0, 5.0))
    return np.stack([y, y], axis=1)


# ---------------------------------------------------------------- field recordings


def loop_recording(
    root: Path, rels: list[str], sr: int, rng: np.random.Generator, seconds: float
) -> np.ndarray:
    """Fill `seconds` with pieces of the given recordings (random order/offsets, 0.5 s crossfades)."""
    xs = [audio.read_mono(root / r, sr) for r in rels]
    n = int(seconds * sr)
    xf = int(0.5 * sr)
    y = np.zeros(n + xf)
    pos = 0
    ramp = np.linspace(0, 1, xf)
    while pos < n:
        x = xs[int(rng.integers(len(xs)))]
        start = int(rng.integers(0, max(1, len(x) - 2 * sr))) if len(x) > 4 * sr else 0
        piece = x[start:].copy()
        piece = piece[: max(len(piece), xf * 2)]
        piece[:xf] *= ramp[: len(piece[:xf])]
        piece[-xf:] *= ramp[::-1][: len(piece[-xf:])]
        end = min(pos + len(piece), len(y))
        y[pos:end] += piece[: end - pos]
        pos = end - xf
    y = y[:n]
    return np.stack([y, y], axis=1)


def sprinkle(
    base: np.ndarray,
    root: Path,
    rels: list[str],
    sr: int,
    rng: np.random.Generator,
    every: float,
    gain: float,
) -> np.ndarray:
    """Add short recordings (bird chirps, gull calls...) at random times, on average every `every` s."""
    y = base.copy()
    events = [audio.read_mono(root / r, sr) for r in rels]
    ref = np.sqrt(np.mean(base**2)) + 1e-9
    t = float(rng.uniform(0.5, every))
    while t < len(y) / sr - 2:
        e = events[int(rng.integers(len(events)))]
        e = e / (np.sqrt(np.mean(e**2)) + 1e-9) * ref * gain
        at = int(t * sr)
        m = min(len(e), len(y) - at)
        pan = float(rng.uniform(0.3, 0.7))
        y[at : at + m, 0] += e[:m] * (1 - pan) * 2
        y[at : at + m, 1] += e[:m] * pan * 2
        t += float(rng.exponential(every))
    return y
