"""Procedurally generated demo music: pads, slow minimalist patterns, binaural beds, rain and waves.

Everything here is original and synthesised with numpy, so the demo needs no recordings. Decoys (a track
with embedded lyrics, a speech-like track, a "feat." title) show that the lyrics filter keeps them out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy import signal

SAMPLE_RATE = 16_000  # plenty for soft pads and noise beds; keeps the demo small and quick to analyse
WRITE_BLOCK = 65_536  # frames per write: libsndfile's Vorbis encoder crashes on very large single writes
FADE_S = 4.0  # every generated track fades in and out, as real session music does


@dataclass(frozen=True)
class DemoTrack:
    """One generated file: its name, tags and how it is made."""

    file_name: str
    title: str
    artist: str
    genre: str
    minutes: float
    kind: str  # the synthesis recipe
    params: tuple[float, ...] = ()
    lyrics: str | None = None  # embedded lyrics (a decoy that must be kept out)
    album: str = "Playlist Builder Demo"


PIANO_STIFFNESS = 0.0003  # inharmonicity B of the demo piano's strings: partial h at h·f·sqrt(1 + B·h²)


def _t(
    number: int, title: str, artist: str, genre: str, minutes: float, kind: str, *params: float
) -> DemoTrack:
    return DemoTrack(f"{number:02d} {title}.ogg", title, artist, genre, minutes, kind, tuple(params))


# Lengths vary from 2.5 to 6 minutes, as real session music does, so every phase of an arc can be filled.
DEMO_TRACKS: tuple[DemoTrack, ...] = (
    _t(1, "Slow Tide", "Aurora Fields", "Ambient", 5.0, "pad", 110.0, 0.09, 0.0),
    _t(2, "Lantern Drift", "Quiet Harbour", "Ambient", 3.5, "pad", 146.8, 0.08, 0.2),
    _t(3, "Glass Horizon", "Aurora Fields", "Ambient", 4.0, "pad", 196.0, 0.11, 0.5),
    _t(4, "Deep Field", "Low Meridian", "Ambient drone", 6.0, "pad", 73.4, 0.075, 0.0),
    _t(5, "Soft Morning", "Quiet Harbour", "Ambient", 3.0, "pad", 164.8, 0.12, 0.7),
    _t(6, "Still Water", "Low Meridian", "Ambient", 4.5, "pad", 98.0, 0.075, 0.1),
    _t(7, "Harbour Lights", "Paper Moons", "Ambient", 2.5, "pad", 130.8, 0.11, 0.6),
    _t(8, "Cloud Shelf", "Paper Moons", "Ambient", 3.5, "pad", 123.5, 0.07, 0.3),
    _t(9, "Evening Field", "Aurora Fields", "Ambient", 3.0, "pad", 87.3, 0.09, 0.2),
    _t(10, "Pattern in F (solo piano)", "Ines Valmont", "Modern Classical", 4.0, "piano", 60.0, 0.0),
    _t(11, "Slow Steps (piano)", "Tomas Reyle", "Minimalism", 3.0, "piano", 52.0, 1.0),
    _t(12, "Quiet Arpeggio (piano)", "Ines Valmont", "Modern Classical", 3.5, "piano", 72.0, 2.0),
    _t(13, "Small Hours (piano)", "Tomas Reyle", "Minimalism", 2.5, "piano", 56.0, 1.0),
    _t(14, "Letters (piano)", "Sara Lund", "Modern Classical", 4.5, "piano", 64.0, 0.0),
    _t(15, "Theta Bed 6 Hz (binaural)", "Wave Lab", "Binaural Beats", 6.0, "binaural", 200.0, 6.0),
    _t(16, "Delta Bed 3 Hz (binaural)", "Stillpoint Audio", "Binaural Beats", 5.0, "binaural", 150.0, 3.0),
    _t(17, "Alpha Bed 10 Hz (binaural)", "Wave Lab", "Binaural Beats", 3.5, "binaural", 220.0, 10.0),
    _t(18, "Theta Low 5 Hz (binaural)", "Stillpoint Audio", "Binaural Beats", 4.0, "binaural", 180.0, 5.0),
    _t(19, "Delta Deep 2 Hz (binaural)", "Wave Lab", "Binaural Beats", 3.0, "binaural", 136.0, 2.0),
    _t(20, "Rain on Leaves", "Field Notes", "Nature Sounds", 4.0, "rain", 0.0),
    _t(21, "Night Waves (ocean)", "Coastline", "Nature Sounds", 5.0, "waves", 9.0),
    _t(22, "Forest Stream", "Field Notes", "Nature Sounds", 3.0, "rain", 1.0),
    _t(23, "Soft Rain", "Coastline", "Nature Sounds", 3.5, "rain", 0.0),
    _t(24, "Shore at Dusk (waves)", "Field Notes", "Nature Sounds", 2.5, "waves", 12.0),
    # Decoys: each must end up out of every session.
    DemoTrack(
        "90 Evening Song.ogg",
        "Evening Song",
        "Mara Lind",
        "Ambient",
        3.0,
        "pad",
        (130.8, 0.1, 0.3),
        lyrics="Close your eyes, the evening sings\nsoftly over everything",
    ),
    DemoTrack("91 Spoken Welcome.ogg", "Welcome", "Clinic Voice", "Voice", 2.0, "speech", (120.0,)),
    DemoTrack(
        "92 Night Bloom.ogg",
        "Night Bloom (feat. Elsa Moor)",
        "Aurora Fields",
        "Ambient",
        3.0,
        "pad",
        (174.6, 0.1, 0.4),
    ),
)


def generate_demo_library(
    folder: Path, *, progress: Callable[[int, int, str], None] | None = None
) -> list[Path]:
    """Write every demo track into `folder` (skipping files already there); returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index, spec in enumerate(DEMO_TRACKS, start=1):
        path = folder / spec.file_name
        if not _complete(path, spec):
            _write_track(path, spec, seed=index)
        paths.append(path)
        if progress is not None:
            progress(index, len(DEMO_TRACKS), spec.file_name)
    return paths


def _complete(path: Path, spec: DemoTrack) -> bool:
    try:
        info = sf.info(str(path))
    except (RuntimeError, OSError, sf.LibsndfileError):
        return False
    return abs(info.duration - spec.minutes * 60) < 1.0


def _write_track(path: Path, spec: DemoTrack, *, seed: int) -> None:
    """Render a track and write it as FLAC (atomically: a half-written file never has the final name)."""
    rng = np.random.default_rng(seed)
    frames = int(spec.minutes * 60 * SAMPLE_RATE)
    audio = RECIPES[spec.kind](frames, spec.params, rng)
    audio = _fade(audio)
    tmp = path.with_suffix(".partial.ogg")
    channels = audio.shape[1] if audio.ndim == 2 else 1
    with sf.SoundFile(str(tmp), "w", SAMPLE_RATE, channels, format="OGG", subtype="VORBIS") as handle:
        for start in range(0, len(audio), WRITE_BLOCK):
            handle.write(audio[start : start + WRITE_BLOCK])
    _tag(tmp, spec)
    tmp.replace(path)


def _tag(path: Path, spec: DemoTrack) -> None:
    from mutagen.oggvorbis import OggVorbis

    audio = OggVorbis(str(path))
    audio["title"] = spec.title
    audio["artist"] = spec.artist
    audio["album"] = spec.album
    audio["genre"] = spec.genre
    audio["comment"] = "Procedurally generated for the playlist-builder demo."
    if spec.lyrics:
        audio["lyrics"] = spec.lyrics
    audio.save()


def _fade(audio: np.ndarray) -> np.ndarray:
    n = min(int(FADE_S * SAMPLE_RATE), len(audio) // 4)
    ramp = np.linspace(0.0, 1.0, n, dtype=np.float32)
    shape = (n, 1) if audio.ndim == 2 else (n,)
    audio[:n] *= ramp.reshape(shape)
    audio[-n:] *= ramp[::-1].reshape(shape)
    return audio


def _time(frames: int) -> np.ndarray:
    return np.arange(frames, dtype=np.float32) / np.float32(SAMPLE_RATE)


CONTROL_STEP = 64  # slow envelopes are computed every 64 samples and interpolated: same sound, less work


def _slow_lfo(t: np.ndarray, rate_hz: float, phase: float, depth: float) -> np.ndarray:
    coarse = t[::CONTROL_STEP]
    values = 1.0 - depth + depth * (0.5 + 0.5 * np.sin(2 * np.pi * rate_hz * coarse + phase))
    return np.interp(t, coarse, values).astype(np.float32)


def _pink_noise(frames: int, rng: np.random.Generator) -> np.ndarray:
    """Noise with a 1/f spectrum (shaped in the frequency domain), unit RMS."""
    spectrum = np.fft.rfft(rng.standard_normal(frames))
    freqs = np.fft.rfftfreq(frames, 1 / SAMPLE_RATE)
    spectrum /= np.sqrt(np.maximum(freqs, 20.0))
    noise = np.fft.irfft(spectrum, frames)
    return (noise / (np.std(noise) + 1e-12)).astype(np.float32)


def _pad(frames: int, params: tuple[float, ...], rng: np.random.Generator) -> np.ndarray:
    """A slowly breathing chord: detuned sine pairs with independent slow swells, over soft noise."""
    root, level, brightness = params
    t = _time(frames)
    out = np.zeros(frames, dtype=np.float32)
    for ratio in (1.0, 1.5, 2.0, 2.5 if brightness > 0.3 else 1.2, 3.0):
        for detune in (-0.04, 0.04):  # a slow chorus, far below any beat rate (0.5 Hz+)
            freq = root * ratio + detune
            swell = _slow_lfo(t, rng.uniform(0.02, 0.07), rng.uniform(0, 2 * np.pi), 0.7)
            weight = 1.0 / ratio ** (1.5 - brightness)
            phase = np.float32(rng.uniform(0, 2 * np.pi))
            out += np.float32(weight) * swell * np.sin(np.float32(2 * np.pi * freq) * t + phase)
    out = out / np.max(np.abs(out)) * level * 2.5
    bed = _pink_noise(frames, rng) * level * 0.08
    return (out + bed).astype(np.float32)


def _piano(frames: int, params: tuple[float, ...], rng: np.random.Generator) -> np.ndarray:
    """A slow repeating pattern of decaying piano-like notes.

    Like a struck string, not a held tone: a fast hammer attack with a short thump of noise, partials
    stretched slightly sharp (a stiff string's inharmonicity) and upper partials dying away faster than
    the fundamental. A note of a few equal harmonics that all decay together sounds like a sung vowel,
    and a voice detector hears it as singing.
    """
    bpm, variant = params
    scales = (
        (349.2, 392.0, 440.0, 523.3, 440.0, 392.0),
        (261.6, 329.6, 392.0, 329.6),
        (293.7, 349.2, 440.0, 587.3),
    )
    pattern = scales[int(variant) % len(scales)]
    beat = 60.0 / bpm
    note_len = int(4.0 * SAMPLE_RATE)
    nt = np.arange(note_len) / SAMPLE_RATE
    attack = 1 - np.exp(-nt / 0.002)
    thump = np.exp(-nt / 0.015) * 0.02
    out = np.zeros(frames + note_len, dtype=np.float32)
    notes: dict[float, np.ndarray] = {}
    index = 0
    start = 0.0
    while int(start * SAMPLE_RATE) < frames:
        freq = pattern[index % len(pattern)] * (0.5 if index % 8 == 7 else 1.0)
        velocity = 0.6 + 0.25 * rng.random()
        if freq not in notes:
            partials = sum(
                np.sin(2 * np.pi * freq * h * np.sqrt(1 + PIANO_STIFFNESS * h * h) * nt)
                * np.exp(-nt * (0.5 + 0.6 * h))
                / h**1.5
                for h in range(1, 9)
            )
            noise = rng.standard_normal(note_len) * thump
            notes[freq] = (attack * partials + noise).astype(np.float32)
        at = int(start * SAMPLE_RATE)
        out[at : at + note_len] += np.float32(velocity) * notes[freq]
        index += 1
        start += beat * (2.0 if index % len(pattern) == 0 else 1.0)
    out = out[:frames]
    out = out / np.max(np.abs(out)) * 0.35
    return (out + _pink_noise(frames, rng) * 0.002).astype(np.float32)


def _binaural(frames: int, params: tuple[float, ...], rng: np.random.Generator) -> np.ndarray:
    """Left ear carrier, right ear carrier + beat: the beat exists only between the ears."""
    carrier, beat = params
    t = _time(frames)
    left = 0.06 * np.sin(2 * np.pi * carrier * t)
    right = 0.06 * np.sin(2 * np.pi * (carrier + beat) * t)
    bed = _pink_noise(frames, rng) * 0.008
    return np.stack([left + bed, right + bed], axis=1).astype(np.float32)


def _rain(frames: int, params: tuple[float, ...], rng: np.random.Generator) -> np.ndarray:
    """Broadband hiss with scattered droplets (rain), or a gurgling band of noise (stream)."""
    stream = params[0] > 0.5
    band = (300.0, 3000.0) if stream else (800.0, 7000.0)
    sos = signal.butter(2, band, btype="bandpass", fs=SAMPLE_RATE, output="sos")
    hiss = signal.sosfilt(sos, rng.standard_normal(frames))
    t = _time(frames)
    movement = _slow_lfo(t, 0.05, 0.0, 0.4) * (1 + 0.15 * np.sin(2 * np.pi * (3.0 if stream else 0.3) * t))
    out = hiss * movement
    drops = np.zeros(frames)
    count = int(frames / SAMPLE_RATE * (4 if stream else 25))
    drops[rng.integers(0, frames, count)] = rng.uniform(0.5, 2.0, count)
    drop_sos = signal.butter(2, (2000.0, 6000.0), btype="bandpass", fs=SAMPLE_RATE, output="sos")
    out += signal.sosfilt(drop_sos, drops) * 3
    out = out / (np.sqrt(np.mean(out**2)) + 1e-12) * 0.06
    return out.astype(np.float32)


def _waves(frames: int, params: tuple[float, ...], rng: np.random.Generator) -> np.ndarray:
    """Low rumbling noise swelling and receding every few seconds, like surf at night."""
    period = params[0]
    t = _time(frames)
    sos = signal.butter(2, 1200.0, btype="lowpass", fs=SAMPLE_RATE, output="sos")
    noise = signal.sosfilt(sos, rng.standard_normal(frames))
    jitter = np.cumsum(rng.normal(0, 0.002, frames)) / SAMPLE_RATE
    swell = np.sin(np.pi * (t / period + jitter)) ** 4
    out = noise * (0.15 + swell)
    out = out / (np.sqrt(np.mean(out**2)) + 1e-12) * 0.07
    return out.astype(np.float32)


VOWEL_FORMANTS = ((730, 1090, 2440), (270, 2290, 3010), (530, 1840, 2480), (570, 840, 2410), (300, 870, 2240))


def _speech(frames: int, params: tuple[float, ...], rng: np.random.Generator) -> np.ndarray:
    """Speech-like babble: phrases of glottal pulses with falling pitch, gliding vowels and consonant hiss."""
    pitch = params[0]
    out = np.zeros(frames)
    position = 0
    consonant_sos = signal.butter(2, (2500.0, 6000.0), btype="bandpass", fs=SAMPLE_RATE, output="sos")
    while position < frames:
        end = min(position + int(rng.uniform(1.5, 3.5) * SAMPLE_RATE), frames)
        out[position:end] = _phrase(end - position, pitch, rng, consonant_sos)
        position = end + int(rng.uniform(0.3, 0.8) * SAMPLE_RATE)  # a breath between phrases
    out = out / (np.max(np.abs(out)) + 1e-12) * 0.4
    return out.astype(np.float32)


def _phrase(length: int, pitch: float, rng: np.random.Generator, consonant_sos: np.ndarray) -> np.ndarray:
    """One spoken phrase: pitch falls over the phrase (declination), syllables of 150–250 ms."""
    t = np.arange(length) / SAMPLE_RATE
    f0 = pitch * (1.15 - 0.25 * t / max(t[-1], 1e-3)) * (1 + 0.02 * np.sin(2 * np.pi * 5 * t))
    cycles = np.floor(np.cumsum(f0 / SAMPLE_RATE))
    pulses = np.zeros(length)
    pulses[1:][np.diff(cycles) > 0] = 1.0
    glottal = signal.lfilter([1.0], [1.0, -0.95], pulses)
    syllable = int(rng.uniform(0.15, 0.25) * SAMPLE_RATE)
    voiced = np.zeros(length)
    for start in range(0, length, syllable):
        stop = min(start + syllable, length)
        formants = VOWEL_FORMANTS[rng.integers(len(VOWEL_FORMANTS))]
        segment = glottal[start:stop]
        vowel = sum(
            signal.lfilter(*signal.iirpeak(freq, 6.0, fs=SAMPLE_RATE), segment) / (rank + 1)
            for rank, freq in enumerate(formants)
            if freq < SAMPLE_RATE / 2
        )
        voiced[start:stop] = vowel * np.sqrt(np.hanning(stop - start))
        if rng.random() < 0.6:
            burst = min(int(0.04 * SAMPLE_RATE), stop - start)
            hiss = np.zeros(stop - start)
            hiss[:burst] = rng.standard_normal(burst) * 0.3 * np.hanning(burst)
            voiced[start:stop] += signal.sosfilt(consonant_sos, hiss)
    return voiced


RECIPES: dict[str, Callable[[int, tuple[float, ...], np.random.Generator], np.ndarray]] = {
    "pad": _pad,
    "piano": _piano,
    "binaural": _binaural,
    "rain": _rain,
    "waves": _waves,
    "speech": _speech,
}
