#!/usr/bin/env python3
"""Make the tiny real-voice test fixtures in tests/fixtures/voice/ (2-4 s, mono, 16 kHz, Ogg Vorbis).

    python benchmarks/devset/make_voice_fixtures.py [--cache DIR] [--out tests/fixtures/voice]

Sources are unpacked Debian packages (see sources.py); espeak-ng makes the one synthetic clip (a
whisper), since no real whispering was found in a package. The committed files are the reference:
re-running gives the same audio, but another libvorbis may encode different bytes.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import audio
import sources

SR = 16000
LEVEL_DB = -20.0  # RMS over the voice's active frames
HW = "usr/share/games/hedgewars/Data/Sounds"
SP = "usr/share/sonic-pi/samples"
FR = "usr/share/asterisk/sounds/fr_CA_f_June"


def _pad(x: np.ndarray, seconds: float, lead: float) -> np.ndarray:
    out = np.zeros(int(seconds * SR))
    start = int(lead * SR)
    out[start : start + len(x)] = x[: len(out) - start]
    return out


def _join(parts: list[np.ndarray], gap: float = 0.15) -> np.ndarray:
    silence = np.zeros(int(gap * SR))
    pieces = []
    for p in parts:
        pieces += [audio.fade(audio.trim_silence(p, SR), SR), silence]
    return np.concatenate(pieces[:-1])


def sung_phrase(root: Path) -> np.ndarray:
    clips = [audio.read_mono(root / HW / "voices/Singer" / f"{n}.ogg", SR) for n in ("Hello", "Excellent")]
    return _pad(_join(clips), 3.6, 0.1)


def sung_short(root: Path) -> np.ndarray:
    clip = audio.fade(audio.trim_silence(audio.read_mono(root / HW / "voices/Singer/Bugger.ogg", SR), SR), SR)
    return _pad(clip, 2.0, 0.6)


def choir(root: Path) -> np.ndarray:
    hit = audio.fade(audio.read_mono(root / SP / "ambi_choir.flac", SR), SR, 0.05)
    out = np.zeros(int(3.0 * SR))
    out[: len(hit)] += hit
    start = int(1.4 * SR)
    out[start : start + len(hit)] += 0.8 * hit[: len(out) - start]
    return out


def chant(root: Path) -> np.ndarray:
    x = audio.read_mono(root / HW / "hogchant3.ogg", SR)
    return audio.fade(x[int(0.2 * SR) : int(3.7 * SR)], SR, 0.05)


def speech_fr(root: Path) -> np.ndarray:
    x = audio.read_mono(root / FR / "conf-onlyperson.wav", SR)
    return _pad(audio.fade(audio.trim_silence(x, SR), SR), 3.6, 0.1)


def whisper_en(_root: Path) -> np.ndarray:
    text = "Let your breath slow down, and rest here for a while."
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "w.wav"
        subprocess.run(
            ["espeak-ng", "-v", "en-gb+whisper", "-s", "150", "-w", str(wav), text],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        x = audio.read_mono(wav, SR)
    return _pad(audio.fade(audio.trim_silence(x, SR), SR)[: int(3.4 * SR)], 3.6, 0.1)


FIXTURES = {
    "sung_phrase.ogg": sung_phrase,
    "sung_short.ogg": sung_short,
    "choir.ogg": choir,
    "chant.ogg": chant,
    "speech_fr.ogg": speech_fr,
    "whisper_espeak.ogg": whisper_en,
}


def main() -> None:
    """Write every fixture; print name, seconds and bytes."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", type=Path, default=Path("/work/devset/.sources"))
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[2] / "tests/fixtures/voice")
    args = ap.parse_args()
    sources.fetch(args.cache, ["hedgewars-data", "sonic-pi-samples", "asterisk-core-sounds-fr-wav"])
    root = args.cache / "root"
    for name, make in FIXTURES.items():
        x = audio.set_active_rms(make(root), SR, LEVEL_DB)
        x = x * min(1.0, 0.89 / np.abs(x).max())
        path = args.out / name
        audio.write(path, x, SR, fmt="OGG", subtype="VORBIS")
        print(f"{name:22} {len(x) / SR:4.2f} s {path.stat().st_size:6d} bytes")


if __name__ == "__main__":
    main()
