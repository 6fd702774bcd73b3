"""A tiny Standard MIDI File writer and a fluidsynth renderer (General MIDI soundfont)."""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf

TICKS_PER_BEAT = 480
DRUM_CHANNEL = 9

# General MIDI programs (0-based) the set uses
PIANO, CELESTA, MUSIC_BOX, VIBRAPHONE, MARIMBA = 0, 8, 10, 11, 12
NYLON_GUITAR, STEEL_GUITAR = 24, 25
VIOLIN, CELLO, HARP, STRINGS, SLOW_STRINGS = 40, 42, 46, 48, 49
CHOIR_AAHS, VOICE_OOHS = 52, 53
ALTO_SAX, TENOR_SAX, OBOE, FLUTE, PAN_FLUTE = 65, 66, 68, 73, 75
LEAD_SQUARE, LEAD_SAW = 80, 81
PAD_NEW_AGE, PAD_WARM, PAD_BOWED, PAD_SWEEP = 88, 89, 92, 95
FINGERED_BASS, SYNTH_BASS, DISTORTION_GUITAR = 33, 38, 30
KICK, SNARE, CLOSED_HAT, OPEN_HAT, CRASH, RIDE = 36, 38, 42, 46, 49, 51


@dataclass
class Part:
    """One channel: a program and its notes as (start_beat, length_beats, pitch, velocity)."""

    program: int
    channel: int
    notes: list[tuple[float, float, int, int]] = field(default_factory=list)
    volume: int = 100
    pan: int = 64


def _vlq(n: int) -> bytes:
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.append(0x80 | (n & 0x7F))
        n >>= 7
    return bytes(reversed(out))


def _track(events: list[tuple[int, bytes]]) -> bytes:
    events.sort(key=lambda e: (e[0], e[1][0] & 0xF0 == 0x90))  # note-offs before note-ons
    data, now = b"", 0
    for tick, msg in events:
        data += _vlq(tick - now) + msg
        now = tick
    data += b"\x00\xff\x2f\x00"
    return b"MTrk" + len(data).to_bytes(4, "big") + data


def write_midi(path: Path, parts: list[Part], bpm: float) -> None:
    """Write a format-1 MIDI file: a tempo track plus one track per part."""
    tempo = int(60_000_000 / bpm)
    tracks = [_track([(0, b"\xff\x51\x03" + tempo.to_bytes(3, "big"))])]
    for part in parts:
        ch = part.channel
        ev: list[tuple[int, bytes]] = [
            (0, bytes([0xB0 | ch, 7, part.volume])),
            (0, bytes([0xB0 | ch, 10, part.pan])),
        ]
        if ch != DRUM_CHANNEL:
            ev.append((0, bytes([0xC0 | ch, part.program])))
        for start, length, pitch, vel in part.notes:
            on = round(start * TICKS_PER_BEAT)
            off = max(on + 1, round((start + length) * TICKS_PER_BEAT))
            ev.append((on, bytes([0x90 | ch, pitch, vel])))
            ev.append((off, bytes([0x80 | ch, pitch, 0])))
        tracks.append(_track(ev))
    header = b"MThd" + (6).to_bytes(4, "big") + (1).to_bytes(2, "big")
    header += len(tracks).to_bytes(2, "big") + TICKS_PER_BEAT.to_bytes(2, "big")
    path.write_bytes(header + b"".join(tracks))


def render(parts: list[Part], bpm: float, seconds: float, soundfont: Path, sr: int) -> np.ndarray:
    """Render parts with fluidsynth; return stereo float64 (n, 2), exactly `seconds` long, faded out."""
    with tempfile.TemporaryDirectory() as tmp:
        mid, wav = Path(tmp) / "in.mid", Path(tmp) / "out.wav"
        write_midi(mid, parts, bpm)
        subprocess.run(
            ["fluidsynth", "-ni", "-q", "-g", "0.6", "-r", str(sr), "-F", str(wav), str(soundfont), str(mid)],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        x, _ = sf.read(str(wav), dtype="float64", always_2d=True)
    n = int(seconds * sr)
    if len(x) < n:
        x = np.concatenate([x, np.zeros((n - len(x), x.shape[1]))])
    x = x[:n]
    tail = min(int(2.0 * sr), n // 4)
    x[-tail:] *= np.linspace(1, 0, tail)[:, None]
    return x
