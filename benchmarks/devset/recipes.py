"""Recipes: functions that make one track of the development set, and the beds under its voices."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import audio
import instrumentals as ins
import midi
import numpy as np
import soundfile as sf
import voices

SR = 44100
MIX_SECONDS = 30.0


@dataclass
class Meta:
    """What a recipe reports about the track it made."""

    packages: set[str] = field(default_factory=set)
    source: str = ""
    notes: str = ""
    windows: list[tuple[float, float]] = field(default_factory=list)
    espeak: bool = False
    generated: bool = False


class Ctx:
    """The unpacked package tree and lazily built voice pools."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._pools: dict[str, list[voices.Clip]] = {}

    def pool(self, kind: str) -> list[voices.Clip]:
        if kind not in self._pools:
            rng = np.random.default_rng(zlib.crc32(kind.encode()))
            r = self.root
            makers = {
                "sung": lambda: voices.sung(r, SR),
                "sung_short": lambda: voices.sung_short(r, SR),
                "choir": lambda: voices.choir(r, SR, rng),
                "choir_sampled": lambda: voices.choir_gm(r, SR, rng),
                "chant": lambda: voices.chant(r, SR),
                "speech": lambda: voices.speech(r, SR, rng),
                "speech_words": lambda: voices.speech_words(r, SR, rng),
                "speech_stamps": lambda: voices.speech_stamps(r, SR, rng),
                "speech_stamps_short": lambda: [c for c in self.pool("speech_stamps") if len(c.audio) < SR],
                "whisper_synthetic": lambda: voices.whisper(SR),
                "vocal_percussion_constructed": lambda: voices.vocal_percussion(r, SR, rng),
            }
            self._pools[kind] = makers[kind]()
        return self._pools[kind]


def stereo(x: np.ndarray) -> np.ndarray:
    """(n,) or (n, 2) audio as (n, 2)."""
    return x if x.ndim == 2 else np.stack([x, x], axis=1)


def _describe(clips: list[voices.Clip], meta: Meta) -> None:
    meta.packages |= {p for c in clips for p in c.package.split("+")}
    if any(c.package == "espeak-ng" for c in clips):
        meta.espeak = True
    names = sorted({f"{c.package}:{c.file}" for c in clips})
    meta.source += ("; " if meta.source else "") + "voice: " + ", ".join(names[:12])
    if len(names) > 12:
        meta.source += f" (+{len(names) - 12} more)"


# ---------------------------------------------------------------- beds (voice-free backgrounds)

BEDS = (
    "pad_warm",
    "minimal_piano",
    "pad_strings",
    "rain",
    "pad_newage",
    "minimal_harp",
    "binaural_pad",
    "ocean",
)


REAL_BEDS = {  # real music whose own voice status nobody checked (see real_music tracks)
    "hw_underwater": ("hedgewars-data", "usr/share/games/hedgewars/Data/Music/underwater.ogg"),
    "hw_snow": ("hedgewars-data", "usr/share/games/hedgewars/Data/Music/snow.ogg"),
    "hw_earthrise": ("hedgewars-data", "usr/share/games/hedgewars/Data/Music/EarthRise.ogg"),
    "moh_cold_day": ("asterisk-moh-opsound-wav", "usr/share/asterisk/moh/macroform-cold_day.wav"),
}


def bed(ctx: Ctx, name: str, rng: np.random.Generator, seconds: float, meta: Meta) -> np.ndarray:
    """A calm voice-free bed for the mixes."""
    r = ctx.root
    if name.startswith(("pad", "minimal")):
        meta.packages.add("fluid-soundfont-gm")
    if name == "pad_warm":
        return ins.pad(r, SR, rng, seconds, midi.PAD_WARM)
    if name == "pad_newage":
        return ins.pad(r, SR, rng, seconds, midi.PAD_NEW_AGE)
    if name == "pad_strings":
        return ins.pad(r, SR, rng, seconds, midi.SLOW_STRINGS)
    if name == "minimal_piano":
        return ins.minimal_pattern(r, SR, rng, seconds, midi.PIANO)
    if name == "minimal_harp":
        return ins.minimal_pattern(r, SR, rng, seconds, midi.HARP)
    if name == "binaural_pad":
        meta.packages.add("fluid-soundfont-gm")
        meta.generated = True
        p = ins.pad(r, SR, rng, seconds, midi.PAD_BOWED)
        b = ins.binaural(SR, rng, seconds, 200.0, 6.0, 0.0)
        return audio.set_rms(p, -24) + audio.set_rms(b, -30)
    if name in REAL_BEDS:
        package, rel = REAL_BEDS[name]
        meta.packages.add(package)
        x = audio.read_mono(r / rel, SR)[int(20 * SR) :]
        reps = int(np.ceil(seconds * SR / len(x)))
        return stereo(np.tile(x, reps)[: int(seconds * SR)])
    if name == "rain":
        meta.packages.add("plee-the-bear-data")
        return ins.loop_recording(r, [f"{ins.PLEE}/weather/rain.ogg"], SR, rng, seconds)
    if name == "ocean":
        meta.packages.add("scorched3d-data")
        return ins.loop_recording(r, [f"{ins.S3D}/oceanwaves.wav"], SR, rng, seconds)
    raise ValueError(name)


# ---------------------------------------------------------------- recipes


def solo_voice(kind: str, seconds: float | None, density: str = "dense", pick: int | None = None):
    """A voice alone: a voice track of `seconds`, or (seconds None) one clip, padded by 0.25 s."""

    def make(rng: np.random.Generator, meta: Meta, ctx: Ctx) -> np.ndarray:
        clips = ctx.pool(kind)
        if seconds is None:
            clip = clips[pick % len(clips)] if pick is not None else clips[int(rng.integers(len(clips)))]
            pad = np.zeros(int(0.25 * SR))
            meta.windows = [(0.25, 0.25 + len(clip.audio) / SR)]
            _describe([clip], meta)
            return stereo(np.concatenate([pad, clip.audio, pad]))
        y, windows, used = voices.voice_track(clips, seconds, SR, rng, density)
        meta.windows = windows
        _describe(used, meta)
        return stereo(y)

    return make


def speech_language(folder: str, seconds: float):
    """Real read speech in one language (Asterisk prompts), back to back."""

    def make(rng: np.random.Generator, meta: Meta, ctx: Ctx) -> np.ndarray:
        clips = [c for c in ctx.pool("speech") if c.note == folder]
        y, windows, used = voices.voice_track(clips, seconds, SR, rng, "dense")
        meta.windows = windows
        _describe(used, meta)
        return stereo(y)

    return make


def voice_mix(kind: str, level: int, density: str, bed_name: str, seconds: float = MIX_SECONDS):
    """A voice under a calm bed at `level` dB (voice vs bed power over the voice-active frames)."""

    def make(rng: np.random.Generator, meta: Meta, ctx: Ctx) -> np.ndarray:
        clips = ctx.pool(kind)
        if kind == "sung_short":  # one sub-second phrase somewhere in the track
            clip = clips[int(rng.integers(len(clips)))]
            start = float(rng.uniform(5, seconds - 5))
            v = np.zeros(int(seconds * SR))
            v[int(start * SR) : int(start * SR) + len(clip.audio)] = clip.audio
            windows, used = [(start, start + len(clip.audio) / SR)], [clip]
        elif density == "passage":  # one continuous passage (10-15% of the track) somewhere in it
            length = float(rng.uniform(0.10, 0.15)) * seconds
            part, part_windows, used = voices.voice_track(clips, length, SR, rng, "dense")
            offset = float(rng.uniform(5, seconds - length - 5))
            v = np.zeros(int(seconds * SR))
            v[int(offset * SR) : int(offset * SR) + len(part)] = part
            windows = [(a + offset, b + offset) for a, b in part_windows]
        else:
            v, windows, used = voices.voice_track(clips, seconds, SR, rng, density)
        b = bed(ctx, bed_name, rng, seconds, meta)
        gain, share = audio.voice_gain(b.mean(axis=1), v, SR, level)
        y = b + gain * v[:, None]
        meta.windows = windows
        meta.notes = f"bed {bed_name}; voice active in {share:.0%} of 50 ms frames"
        _describe(used, meta)
        return y

    return make


def melody_item(program: int, low: int, high: int, seconds: float = 35.0):
    def make(rng, meta, ctx):
        meta.packages.add("fluid-soundfont-gm")
        meta.source = f"fluidsynth FluidR3_GM program {program}, generated melody"
        return ins.melody(ctx.root, SR, rng, seconds, program, low, high)

    return make


def pad_item(program: int, seconds: float = 45.0):
    def make(rng, meta, ctx):
        meta.packages.add("fluid-soundfont-gm")
        meta.source = f"fluidsynth FluidR3_GM program {program}, generated chords"
        return ins.pad(ctx.root, SR, rng, seconds, program)

    return make


def pattern_item(program: int, seconds: float = 45.0):
    def make(rng, meta, ctx):
        meta.packages.add("fluid-soundfont-gm")
        meta.source = f"fluidsynth FluidR3_GM program {program}, generated repeating pattern"
        return ins.minimal_pattern(ctx.root, SR, rng, seconds, program)

    return make


def busy_item(style: int, seconds: float = 30.0):
    def make(rng, meta, ctx):
        meta.packages.add("fluid-soundfont-gm")
        meta.source = f"fluidsynth FluidR3_GM drums+bass+lead, style {style}"
        return ins.busy(ctx.root, SR, rng, seconds, style)

    return make


def generated_item(fn: Callable[[np.random.Generator], np.ndarray], source: str):
    def make(rng, meta, ctx):
        meta.generated = True
        meta.source = source
        return fn(rng)

    return make


def recording_item(
    package: str,
    rels: list[str],
    seconds: float,
    sprinkle: tuple[list[str], float, float] | None = None,
    sprinkle_package: str | None = None,
):
    def make(rng, meta, ctx):
        meta.packages.add(package)
        y = ins.loop_recording(ctx.root, rels, SR, rng, seconds)
        files = [r.rsplit("/", 1)[-1] for r in rels]
        if sprinkle:
            events, every, gain = sprinkle
            meta.packages.add(sprinkle_package or package)
            y = ins.sprinkle(y, ctx.root, events, SR, rng, every, gain)
            files += [e.rsplit("/", 1)[-1] for e in events]
        meta.source = f"{package}: " + ", ".join(files) + " (looped/cut with crossfades)"
        return y

    return make


def busy_loop_item(seconds: float = 30.0):
    def make(rng, meta, ctx):
        meta.packages |= {"sonic-pi-samples", "fluid-soundfont-gm"}
        loop = audio.read_mono(ctx.root / ins.SP / "loop_amen_full.flac", SR)
        reps = int(np.ceil(seconds * SR / len(loop)))
        drums = np.tile(loop, reps)[: int(seconds * SR)]
        music = ins.busy(ctx.root, SR, rng, seconds, 1).mean(axis=1)
        meta.source = "sonic-pi-samples loop_amen_full.flac tiled + fluidsynth bass/guitar"
        return stereo(audio.set_rms(drums, -18) + audio.set_rms(music, -20))

    return make


def excerpt_item(package: str, rel: str, start: float, seconds: float | None):
    """A cut of a real recording (seconds None: the whole file), faded at both ends."""

    def make(rng, meta, ctx):
        meta.packages.add(package)
        x, file_sr = sf.read(str(ctx.root / rel), dtype="float64", always_2d=True)
        x = x[int(start * file_sr) : int((start + seconds) * file_sr) if seconds else None]
        y = np.stack([audio.resample(x[:, c % x.shape[1]], file_sr, SR) for c in (0, 1)], axis=1)
        n = min(int(1.0 * SR), len(y) // 4)
        ramp = np.linspace(0, 1, n)[:, None]
        y[:n] *= ramp
        y[-n:] *= ramp[::-1]
        span = f"{start:g}-{start + seconds:g} s" if seconds else "whole file"
        meta.source = f"{package}: {rel.rsplit('/', 1)[-1]} [{span}]"
        return y

    return make


def drone_item(seconds: float = 45.0):
    def make(rng, meta, ctx):
        meta.packages.add("sonic-pi-samples")
        rels = [
            f"{ins.SP}/ambi_drone.flac",
            f"{ins.SP}/ambi_glass_hum.flac",
            f"{ins.SP}/ambi_lunar_land.flac",
        ]
        y = ins.loop_recording(ctx.root, rels, SR, rng, seconds)
        meta.source = (
            "sonic-pi-samples ambi_drone, ambi_glass_hum, ambi_lunar_land (looped/cut with crossfades)"
        )
        return y

    return make


def binaural_pad_item(carrier: float, beat: float, seconds: float = 45.0):
    """A binaural beat under a slow GM pad (the beat about 6 dB under the pad)."""

    def make(rng, meta, ctx):
        meta.packages.add("fluid-soundfont-gm")
        meta.generated = True
        p = ins.pad(ctx.root, SR, rng, seconds, midi.PAD_WARM)
        b = ins.binaural(SR, rng, seconds, carrier, beat, 0.0)
        meta.source = f"fluidsynth FluidR3_GM warm pad + numpy binaural {carrier:g} Hz beat {beat:g} Hz"
        return audio.set_rms(p, -24) + audio.set_rms(b, -30)

    return make
