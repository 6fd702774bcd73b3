"""Generated signals whose category is known: a pad, a piano-like pattern, noise with chirps, a drum loop."""

from __future__ import annotations

import numpy as np

RATE = 44_100


def _env(n: int, attack: float, release: float, rate: int = RATE) -> np.ndarray:
    e = np.ones(n)
    a = min(n, int(attack * rate))
    r = min(n, int(release * rate))
    e[:a] = np.linspace(0, 1, a)
    e[n - r :] = np.linspace(1, 0, r)
    return e


def pad(duration: float = 24.0, seed: int = 0, rate: int = RATE) -> np.ndarray:
    """Slow, soft, overlapping chords of detuned saw-like partials: calm tonal music without drums."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(duration * rate)) / rate
    chords = [(220.0, 277.2, 329.6), (196.0, 246.9, 293.7), (174.6, 220.0, 261.6), (196.0, 246.9, 329.6)]
    out = np.zeros_like(t)
    span = duration / len(chords)
    for index, chord in enumerate(chords):
        start = int(index * span * rate)
        stop = min(t.size, int((index + 1.3) * span * rate))
        tt = t[start:stop]
        voice = np.zeros_like(tt)
        for f in chord:
            for detune in (-0.3, 0.3):
                for h in range(1, 6):
                    voice += np.sin(2 * np.pi * (f + detune) * h * tt + rng.uniform(0, 6.28)) / h**1.5
        out[start:stop] += voice * _env(tt.size, 2.0, 2.0, rate)
    out *= 0.1 / np.sqrt(np.mean(out**2))
    return np.stack([out, np.roll(out, rate // 100)], axis=1).astype(np.float32)


def piano_pattern(duration: float = 24.0, step_s: float = 1.25) -> np.ndarray:
    """A slow repeating arpeggio of struck, decaying harmonic notes (a piano-like minimal pattern), a
    note every `step_s` seconds."""
    t_note = np.arange(int(2.5 * RATE)) / RATE
    notes = [261.6, 329.6, 392.0, 329.6, 293.7, 349.2, 440.0, 349.2]
    out = np.zeros(int(duration * RATE))
    step = step_s
    for i in range(int(duration / step)):
        f = notes[i % len(notes)]
        tone = sum(np.sin(2 * np.pi * f * h * t_note) * np.exp(-t_note * (1.5 + h)) / h for h in range(1, 8))
        tone *= np.minimum(1.0, t_note / 0.004)
        start = int(i * step * RATE)
        seg = out[start : start + tone.size]
        seg += tone[: seg.size]
    out *= 0.1 / np.sqrt(np.mean(out**2))
    return np.stack([out, out], axis=1).astype(np.float32)


def noise_with_chirps(duration: float = 24.0, seed: int = 1) -> np.ndarray:
    """Brown-ish filtered noise (a stream) with short rising chirps above 2 kHz (birds)."""
    rng = np.random.default_rng(seed)
    n = int(duration * RATE)
    white = rng.standard_normal(n)
    spectrum = np.fft.rfft(white)
    freqs = np.fft.rfftfreq(n, 1 / RATE)
    shape = 1 / np.sqrt(np.maximum(freqs, 50.0)) * (1 + 2 * np.exp(-(((freqs - 900) / 400) ** 2)))
    bed = np.fft.irfft(spectrum * shape, n)
    bed *= 0.05 / np.sqrt(np.mean(bed**2))
    bed *= 1 + 0.3 * np.sin(2 * np.pi * 0.07 * np.arange(n) / RATE)
    out = bed.copy()
    t = np.arange(int(0.15 * RATE)) / RATE
    for start_s in rng.uniform(0, duration - 0.2, size=int(duration * 1.5)):
        f0 = rng.uniform(2500, 4500)
        chirp = np.sin(2 * np.pi * (f0 * t + 4000 * t**2)) * np.hanning(t.size) * 0.08
        s = int(start_s * RATE)
        out[s : s + t.size] += chirp
    return np.stack([out, np.roll(out, 200)], axis=1).astype(np.float32)


def drum_loop(duration: float = 24.0, bpm: float = 128.0, seed: int = 2) -> np.ndarray:
    """Kick, snare and hi-hat at 128 BPM with a bass line: busy music with drums."""
    rng = np.random.default_rng(seed)
    n = int(duration * RATE)
    out = np.zeros(n)
    beat = 60.0 / bpm
    tk = np.arange(int(0.3 * RATE)) / RATE
    kick = np.sin(2 * np.pi * (50 * tk + 60 * (1 - np.exp(-tk * 30)) / 30)) * np.exp(-tk * 12)
    ts = np.arange(int(0.2 * RATE)) / RATE
    snare = (
        rng.standard_normal(ts.size) * np.exp(-ts * 25) * 0.6
        + np.sin(2 * np.pi * 190 * ts) * np.exp(-ts * 20) * 0.4
    )
    th = np.arange(int(0.05 * RATE)) / RATE
    hat = np.diff(rng.standard_normal(th.size + 1)) * np.exp(-th * 80) * 0.3
    for i in range(int(duration / beat * 2)):
        s = int(i * beat / 2 * RATE)
        for sound, on in ((kick, i % 2 == 0), (snare, i % 4 == 2), (hat, True)):
            if on:
                seg = out[s : s + sound.size]
                seg += sound[: seg.size]
    t = np.arange(n) / RATE
    bass_notes = np.array([55.0, 55.0, 65.4, 49.0])
    idx = (t / (beat * 4)).astype(int) % 4
    out += 0.3 * np.sign(np.sin(2 * np.pi * bass_notes[idx] * t)) * 0.5
    out *= 0.25 / np.sqrt(np.mean(out**2))
    return np.stack([out, out], axis=1).astype(np.float32)
