"""Pools of real (and a few labelled synthetic) voice clips, and voice tracks built from them.

Each pool function returns a list of Clip; `voice_track` places clips in a silent track, sparse
(voice in 10-20% of it) or dense, and returns the track with the windows where the voice is.
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import audio
import midi
import numpy as np

HW = "usr/share/games/hedgewars/Data/Sounds"
SP = "usr/share/sonic-pi/samples"
AST = "usr/share/asterisk/sounds"
KLETTRES = "usr/share/klettres"
KTUBERLING = "usr/share/ktuberling/sounds"
TUXPAINT = "usr/share/tuxpaint/stamps"
SOUNDFONT = "usr/share/sounds/sf2/FluidR3_GM.sf2"

ASTERISK_VOICES = {
    "fr_CA_f_June": ("asterisk-core-sounds-fr-wav", "Canadian French, female"),
    "es_MX_f_Allison": ("asterisk-core-sounds-es-wav", "Mexican Spanish, female"),
    "it_IT_m_Carlo": ("asterisk-core-sounds-it-wav", "Italian, male"),
    "ru_RU_f_IvrvoiceRU": ("asterisk-core-sounds-ru-wav", "Russian, female"),
}
HEDGEWARS_SPEAKERS = ("British", "Pirate", "Russian", "Default_es", "Default_pl", "Mobster", "Surfer")
WHISPER_TEXTS = (
    ("en-gb+whisper", "Let your breath slow down, and rest here for a while."),
    ("en-us+whisperf", "Notice the weight of your hands, and let them grow heavy and warm."),
    ("fr+whisper", "Respirez lentement, et laissez vos épaules se détendre."),
    ("de+whisperf", "Atme ruhig ein, und lass den Atem langsam wieder los."),
    ("es+whisper", "Ahora descansa, no hay nada que hacer en este momento."),
)


@dataclass(frozen=True)
class Clip:
    """A mono voice clip at the build's sample rate, and where it came from."""

    audio: np.ndarray
    package: str
    file: str
    note: str = ""


def _clip(root: Path, rel: str, sr: int, package: str, note: str = "") -> Clip:
    x = audio.read_mono(root / rel, sr)
    return Clip(audio.fade(audio.trim_silence(x, sr), sr), package, rel.rsplit("/", 1)[-1], note)


def sung(root: Path, sr: int) -> list[Clip]:
    """Hedgewars 'Singer' voice pack: real sung English phrases, 0.2-2.5 s each (laughs/grunts left out)."""
    folder = root / HW / "voices/Singer"
    skip = {"Laugh", "Ooff1", "Ooff2", "Ooff3", "Ow1", "Ow2", "Ow3", "Ow4", "Hmm"}
    return [
        _clip(root, f"{HW}/voices/Singer/{p.name}", sr, "hedgewars-data", "sung")
        for p in sorted(folder.glob("*.ogg"))
        if p.stem not in skip
    ]


def sung_short(root: Path, sr: int) -> list[Clip]:
    """The sung phrases that last under one second."""
    return [c for c in sung(root, sr) if len(c.audio) < sr]


def chant(root: Path, sr: int) -> list[Clip]:
    """hogchant3.ogg (a group chanting on one pitch) cut into 3 s pieces."""
    x = audio.read_mono(root / HW / "hogchant3.ogg", sr)
    step = 3 * sr
    return [
        Clip(
            audio.fade(x[i : i + step], sr, 0.05), "hedgewars-data", f"hogchant3.ogg[{i // sr}s+3s]", "chant"
        )
        for i in range(0, len(x) - step + 1, step)
    ]


def _repitch(x: np.ndarray, semitones: float) -> np.ndarray:
    """Shift pitch (and duration) by reading the clip faster or slower (linear interpolation)."""
    ratio = 2 ** (semitones / 12)
    t = np.arange(0, len(x) - 1, ratio)
    return np.interp(t, np.arange(len(x)), x)


def choir(root: Path, sr: int, rng: np.random.Generator, count: int = 12) -> list[Clip]:
    """Sonic Pi's real choir 'aah' (CC0), re-pitched by resampling and layered into 2-3 note chords."""
    hit = audio.read_mono(root / SP / "ambi_choir.flac", sr)
    steps = np.array([-5, -3, 0, 2, 4, 7])  # semitones
    clips = []
    for _ in range(count):
        root_step = int(rng.choice(steps))
        chords = ([0, 4], [0, 3, 7], [0, 5], [0, 4, 7])
        steps_up = [root_step + d for d in chords[int(rng.integers(len(chords)))]]
        layers = [_repitch(hit, v) for v in steps_up]
        n = max(len(v) for v in layers)
        y = np.zeros(n)
        for v in layers:
            y[: len(v)] += v
        clips.append(
            Clip(audio.fade(y, sr, 0.05), "sonic-pi-samples", "ambi_choir.flac", "real choir, wordless")
        )
    return clips


def choir_gm(root: Path, sr: int, rng: np.random.Generator, count: int = 6) -> list[Clip]:
    """FluidR3 'Choir Aahs' / 'Voice Oohs' (sampled real voices, wordless) phrases of 4-8 s."""
    clips = []
    scale = [57, 59, 60, 62, 64, 65, 67, 69, 71, 72]
    for i in range(count):
        program = midi.CHOIR_AAHS if i % 2 == 0 else midi.VOICE_OOHS
        beats, t, notes = float(rng.integers(6, 11)), 0.0, []
        while t < beats - 1:
            length = float(rng.choice([1.0, 2.0, 2.0, 3.0]))
            top = int(rng.choice(scale))
            for p in (top, top - 4, top - 7) if rng.random() < 0.6 else (top,):
                notes.append((t, min(length, beats - t), p, 80))
            t += length
        x = midi.render([midi.Part(program, 0, notes)], 60, beats + 1.5, root / SOUNDFONT, sr).mean(axis=1)
        name = "Choir Aahs" if program == midi.CHOIR_AAHS else "Voice Oohs"
        clips.append(
            Clip(audio.fade(audio.trim_silence(x, sr), sr), "fluid-soundfont-gm", f"GM {name}", "sampled")
        )
    return clips


def speech(root: Path, sr: int, rng: np.random.Generator) -> list[Clip]:
    """Real read speech: Asterisk prompts in four languages and Hedgewars voice actors."""
    clips = []
    for folder, (package, _desc) in ASTERISK_VOICES.items():
        files = sorted((root / AST / folder).glob("*.wav"))
        for p in rng.choice(files, size=8, replace=False):
            clips.append(_clip(root, f"{AST}/{folder}/{p.name}", sr, package, folder))
    for speaker in HEDGEWARS_SPEAKERS:
        files = sorted((root / HW / "voices" / speaker).glob("*.ogg"))
        files = [f for f in files if not f.stem.startswith(("Ooff", "Ow", "Laugh", "Jump"))]
        for p in rng.choice(files, size=4, replace=False):
            clips.append(_clip(root, f"{HW}/voices/{speaker}/{p.name}", sr, "hedgewars-data", speaker))
    return clips


def speech_words(root: Path, sr: int, rng: np.random.Generator) -> list[Clip]:
    """Real single words and syllables from the KDE education games (many under 1 s)."""
    clips = []
    for lang in ("de", "cs", "hu", "ml", "he", "pt_BR"):
        files = sorted((root / KLETTRES / lang / "syllab").glob("*.ogg"))
        for p in rng.choice(files, size=min(6, len(files)), replace=False):
            clips.append(_clip(root, f"{KLETTRES}/{lang}/syllab/{p.name}", sr, "klettres-data", lang))
    for lang in ("el", "uk", "ca", "nn", "lt"):
        files = sorted((root / KTUBERLING / lang).glob("*.ogg"))
        for p in rng.choice(files, size=min(6, len(files)), replace=False):
            clips.append(_clip(root, f"{KTUBERLING}/{lang}/{p.name}", sr, "ktuberling-data", lang))
    return clips


def speech_stamps(root: Path, sr: int, rng: np.random.Generator) -> list[Clip]:
    """Real short spoken descriptions from Tux Paint's stamps in six languages (about 0.5-2 s each)."""
    clips = []
    stamps = sorted((root / TUXPAINT).glob("animals/**/*_desc_*.ogg"))
    for lang in ("ro", "bg", "el", "be", "es", "da"):
        files = [p for p in stamps if p.stem.endswith(f"_desc_{lang}")]
        for p in rng.choice(files, size=min(5, len(files)), replace=False):
            rel = p.relative_to(root).as_posix()
            clips.append(_clip(root, rel, sr, "tuxpaint-stamps-default", lang))
    return clips


def whisper(sr: int) -> list[Clip]:
    """Synthetic whispering from espeak-ng's whisper variants (no real whisper was found in a package)."""
    clips = []
    with tempfile.TemporaryDirectory() as tmp:
        for voice, text in WHISPER_TEXTS:
            wav = Path(tmp) / "w.wav"
            subprocess.run(["espeak-ng", "-v", voice, "-s", "140", "-w", str(wav), text], check=True)
            x = audio.read_mono(wav, sr)
            clips.append(
                Clip(audio.fade(audio.trim_silence(x, sr), sr), "espeak-ng", f"-v {voice}", "synthetic")
            )
    return clips


def vocal_percussion(root: Path, sr: int, rng: np.random.Generator, bars: int = 2) -> list[Clip]:
    """Beat patterns made of real short voice bursts (hedgewars grunts, klettres consonant syllables).

    No real beatboxing was found in a package; these are constructed: each hit is the first 60-140 ms
    of a real voice clip, sequenced on a 95-110 BPM grid like a kick/snare/hat pattern.
    """
    hits = {
        "kick": [
            _clip(root, f"{HW}/voices/{v}/Ooff{i}.ogg", sr, "hedgewars-data")
            for v in ("Default", "Classic")
            for i in (1, 2, 3)
        ],
        "snare": [_clip(root, f"{KLETTRES}/de/alpha/{c}.ogg", sr, "klettres-data") for c in ("k", "t", "p")],
        "hat": [_clip(root, f"{KLETTRES}/en/alpha/{c}.ogg", sr, "klettres-data") for c in ("S", "C", "X")],
    }
    lengths = {"kick": 0.14, "snare": 0.12, "hat": 0.06}
    clips = []
    for _ in range(3):
        bpm = float(rng.uniform(95, 110))
        sixteenth = 60 / bpm / 4
        pattern = {"kick": [0, 6, 8], "snare": [4, 12], "hat": [2, 10, 14]}
        y = np.zeros(int(bars * 16 * sixteenth * sr) + sr)
        for bar in range(bars):
            for kind, slots in pattern.items():
                for s in slots:
                    c = hits[kind][int(rng.integers(len(hits[kind])))].audio[: int(lengths[kind] * sr)]
                    at = int((bar * 16 + s) * sixteenth * sr)
                    y[at : at + len(c)] += audio.fade(c, sr, 0.005)
        clips.append(
            Clip(audio.trim_silence(y, sr), "hedgewars-data+klettres-data", "constructed beat", "constructed")
        )
    return clips


def voice_track(
    clips: list[Clip], seconds: float, sr: int, rng: np.random.Generator, density: str
) -> tuple[np.ndarray, list[tuple[float, float]], list[Clip]]:
    """Place clips in a silent mono track of `seconds`.

    sparse: clips at random places until the voice covers 10-20% of the track (one clip if a
    single clip already covers more); dense: back to back with 0.2-1.0 s gaps from 1 s in.
    Returns the track, the (start, end) seconds of each clip, and the clips used.
    """
    n = int(seconds * sr)
    y = np.zeros(n)
    windows: list[tuple[float, float]] = []
    used: list[Clip] = []
    order = [clips[i] for i in rng.permutation(len(clips))]
    if density == "dense":
        pos, i = int(1.0 * sr), 0
        while True:
            c = order[i % len(order)].audio
            if pos + len(c) > n - int(0.5 * sr):
                if windows:
                    break
                c = audio.fade(c[: n - int(0.5 * sr) - pos], sr, 0.1)  # one clip longer than the track
            y[pos : pos + len(c)] += c
            windows.append((pos / sr, (pos + len(c)) / sr))
            used.append(order[i % len(order)])
            pos += len(c) + int(rng.uniform(0.2, 1.0) * sr)
            i += 1
        return y, windows, used
    target = float(rng.uniform(0.12, 0.18)) * seconds
    longest = int(0.18 * seconds * sr)  # a long phrase is cut so that sparse stays sparse
    covered, i = 0.0, 0
    while covered < target and i < len(order) * 3:
        clip = order[i % len(order)]
        if len(clip.audio) > longest:
            clip = Clip(audio.fade(clip.audio[:longest], sr, 0.1), clip.package, clip.file, clip.note)
        i += 1
        d = len(clip.audio) / sr
        if covered + d > 0.2 * seconds and covered > 0:
            continue
        for _ in range(50):  # find a free place
            start = float(rng.uniform(1.0, seconds - d - 0.5))
            if all(start + d + 0.5 < a or start > b + 0.5 for a, b in windows):
                break
        else:
            continue
        at = int(start * sr)
        y[at : at + len(clip.audio)] += clip.audio
        windows.append((start, start + d))
        used.append(clip)
        covered += d
    windows.sort()
    return y, windows, used
