#!/usr/bin/env python3
"""Build the clinic-like development set: untagged, neutrally named tracks plus labels.csv.

    python benchmarks/devset/build.py [DEST] [--cache DIR] [--force]

DEST defaults to /work/devset. Needs the programs fluidsynth and espeak-ng (build.sh installs them)
and apt-get (the source packages are downloaded and unpacked into the cache, never installed).
Deterministic: every track has its own seed derived from its id. Files that exist are kept unless
--force; labels.csv is always rewritten. See README.md beside this file for what is in the set.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parent))

import audio
import instrumentals as ins
import midi
import sources
import voices

SR = 44100
MIX_SECONDS = 30.0
LEVELS_DB = (6, 0, -6, -12)
FIELDS = [
    "path", "group", "kind", "voice", "voice_kind", "level_db", "density", "expected", "duration_s",
    "voice_windows", "rms_dbfs", "licence", "source", "notes",
]  # fmt: skip
ESPEAK_LICENCE = "espeak-ng output (program GPL-3+); texts written for this set"
GENERATED_LICENCE = "generated with numpy by build.py (no third-party material)"


@dataclass
class Meta:
    """What a recipe reports about the track it made."""

    packages: set[str] = field(default_factory=set)
    source: str = ""
    notes: str = ""
    windows: list[tuple[float, float]] = field(default_factory=list)
    espeak: bool = False
    generated: bool = False


@dataclass(frozen=True)
class Item:
    """One track of the set: its stable id, labels, and the recipe that makes its audio."""

    id: str
    group: str
    kind: str
    voice: str
    voice_kind: str
    expected: str
    make: Callable[[np.random.Generator, Meta, Ctx], np.ndarray]
    level_db: str = ""
    density: str = ""
    generation: int = 1  # tracks added later get numbers after the earlier ones, so names stay put


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


def _stereo(x: np.ndarray) -> np.ndarray:
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
        return _stereo(np.tile(x, reps)[: int(seconds * SR)])
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
            return _stereo(np.concatenate([pad, clip.audio, pad]))
        y, windows, used = voices.voice_track(clips, seconds, SR, rng, density)
        meta.windows = windows
        _describe(used, meta)
        return _stereo(y)

    return make


def speech_language(folder: str, seconds: float):
    """Real read speech in one language (Asterisk prompts), back to back."""

    def make(rng: np.random.Generator, meta: Meta, ctx: Ctx) -> np.ndarray:
        clips = [c for c in ctx.pool("speech") if c.note == folder]
        y, windows, used = voices.voice_track(clips, seconds, SR, rng, "dense")
        meta.windows = windows
        _describe(used, meta)
        return _stereo(y)

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
        return _stereo(audio.set_rms(drums, -18) + audio.set_rms(music, -20))

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


def items() -> list[Item]:
    """Every track of the set."""
    out: list[Item] = []

    generation = 1

    def add(id_, group, kind, voice, voice_kind, expected, make, level="", density=""):
        out.append(Item(id_, group, kind, voice, voice_kind, expected, make, str(level), density, generation))

    # --- real voices alone
    for i in range(4):
        add(
            f"solo_sung_{i}",
            "voice_solo",
            "sung a cappella",
            "yes",
            "sung",
            "vocal",
            solo_voice("sung", 12.0),
        )
    for i in range(4):
        add(
            f"solo_sung_short_{i}",
            "voice_solo",
            "one sung phrase under 1 s",
            "yes",
            "sung_short",
            "vocal",
            solo_voice("sung_short", None, pick=3 * i),
        )
    for i in range(2):
        add(
            f"solo_choir_{i}",
            "voice_solo",
            "choir, wordless",
            "yes",
            "choir",
            "vocal",
            solo_voice("choir", 12.0),
        )
        add(
            f"solo_choir_gm_{i}",
            "voice_solo",
            "GM choir/voice patch, wordless",
            "yes",
            "choir_sampled",
            "vocal",
            solo_voice("choir_sampled", 15.0),
        )
    add("solo_chant", "voice_solo", "chant", "yes", "chant", "vocal", solo_voice("chant", 11.0))
    for folder in voices.ASTERISK_VOICES:
        add(
            f"solo_speech_{folder}",
            "voice_solo",
            f"read speech {folder}",
            "yes",
            "speech",
            "vocal",
            speech_language(folder, 15.0),
        )
    for i in range(2):
        add(
            f"solo_words_{i}",
            "voice_solo",
            "spoken words, several languages",
            "yes",
            "speech",
            "vocal",
            solo_voice("speech_words", 10.0),
        )
        add(
            f"solo_word_short_{i}",
            "voice_solo",
            "one spoken word under 1 s",
            "yes",
            "speech_short",
            "vocal",
            solo_voice("speech_words", None, pick=7 * i + 1),
        )
        add(
            f"solo_whisper_{i}",
            "voice_solo",
            "whispering (synthetic)",
            "yes",
            "whisper_synthetic",
            "vocal",
            solo_voice("whisper_synthetic", 10.0),
        )
        add(
            f"solo_vperc_{i}",
            "voice_solo",
            "vocal percussion (constructed from real voice)",
            "yes",
            "vocal_percussion_constructed",
            "vocal",
            solo_voice("vocal_percussion_constructed", 10.0),
        )

    # --- voices under calm beds
    n = 0
    for kind in ("sung", "choir", "choir_sampled", "speech", "chant"):
        for level in LEVELS_DB:
            for density in ("sparse", "dense"):
                bed_name = BEDS[n % len(BEDS)]
                n += 1
                add(
                    f"mix_{kind}_{level}_{density}",
                    "voice_mix",
                    f"{kind} over {bed_name}",
                    "yes",
                    kind,
                    "vocal",
                    voice_mix(kind, level, density, bed_name),
                    level,
                    density,
                )
    for level in LEVELS_DB:
        bed_name = BEDS[n % len(BEDS)]
        n += 1
        add(
            f"mix_sung_short_{level}",
            "voice_mix",
            f"one sub-second sung phrase over {bed_name}",
            "yes",
            "sung_short",
            "vocal",
            voice_mix("sung_short", level, "sparse", bed_name),
            level,
            "sparse",
        )
    for kind in ("whisper_synthetic", "vocal_percussion_constructed"):
        for level in (0, -6):
            bed_name = BEDS[n % len(BEDS)]
            n += 1
            add(
                f"mix_{kind}_{level}",
                "voice_mix",
                f"{kind} over {bed_name}",
                "yes",
                kind,
                "vocal",
                voice_mix(kind, level, "dense", bed_name),
                level,
                "dense",
            )

    # --- hard negatives (no voice; each is easy to mistake for one)
    for name, program, low, high in (
        ("flute", midi.FLUTE, 67, 91),
        ("pan_flute", midi.PAN_FLUTE, 62, 86),
        ("violin", midi.VIOLIN, 60, 88),
        ("cello", midi.CELLO, 40, 64),
        ("alto_sax", midi.ALTO_SAX, 55, 79),
        ("tenor_sax", midi.TENOR_SAX, 48, 72),
        ("oboe", midi.OBOE, 60, 84),
        ("lead_square", midi.LEAD_SQUARE, 60, 84),
        ("lead_saw", midi.LEAD_SAW, 55, 79),
    ):
        add(
            f"neg_{name}",
            "hard_negative",
            f"solo {name.replace('_', ' ')}",
            "no",
            "",
            "ambient/minimal",
            melody_item(program, low, high),
        )
    for i in range(2):
        add(
            f"neg_bowls_{i}",
            "hard_negative",
            "singing bowls (synthetic)",
            "no",
            "",
            "ambient/binaural",
            generated_item(lambda rng: ins.singing_bowls(SR, rng, 40.0), "numpy singing-bowl model"),
        )
        add(
            f"neg_whale_{i}",
            "hard_negative",
            "whale-song imitation (synthetic)",
            "no",
            "",
            "nature",
            generated_item(
                lambda rng: ins.whale_calls(SR, rng, 40.0), "numpy gliding calls over brown noise"
            ),
        )
    s3d, plee = ins.S3D, ins.PLEE
    chirps = [f"{s3d}/birdchirp{i}.wav" for i in range(1, 7)]
    add(
        "neg_birds_1",
        "hard_negative",
        "birdsong",
        "no",
        "",
        "nature",
        recording_item("scorched3d-data", [f"{s3d}/birds1.wav"], 45.0),
    )
    add(
        "neg_birds_2",
        "hard_negative",
        "birdsong over rain",
        "no",
        "",
        "nature",
        recording_item(
            "plee-the-bear-data", [f"{plee}/weather/rain.ogg"], 40.0, (chirps, 3.0, 1.5), "scorched3d-data"
        ),
    )
    add(
        "neg_gulls",
        "hard_negative",
        "gulls over waves",
        "no",
        "",
        "nature",
        recording_item(
            "scorched3d-data",
            [f"{s3d}/oceanwaves.wav"],
            40.0,
            ([f"{s3d}/gull{i}.wav" for i in (1, 2, 4, 5)], 4.0, 1.5),
        ),
    )
    add(
        "neg_wolf",
        "hard_negative",
        "wolf howls over night insects",
        "no",
        "",
        "nature",
        recording_item("scorched3d-data", [f"{s3d}/frogs.wav"], 40.0, ([f"{s3d}/wolf.wav"], 9.0, 2.0)),
    )
    add(
        "neg_rain_1",
        "hard_negative",
        "rain",
        "no",
        "",
        "nature",
        recording_item("scorched3d-data", [f"{s3d}/rain.wav"], 40.0),
    )
    add(
        "neg_rain_thunder",
        "hard_negative",
        "rain with thunder",
        "no",
        "",
        "nature",
        recording_item(
            "plee-the-bear-data",
            [f"{plee}/weather/rain.ogg"],
            40.0,
            ([f"{s3d}/thunder.wav", f"{s3d}/thunder2.wav"], 12.0, 1.0),
            "scorched3d-data",
        ),
    )
    add(
        "neg_crow",
        "hard_negative",
        "crow calls over waves",
        "no",
        "",
        "nature",
        recording_item(
            "scorched3d-data",
            [f"{s3d}/oceanwaves.wav"],
            35.0,
            ([f"{ins.SP}/misc_crow.flac"], 5.0, 1.5),
            "sonic-pi-samples",
        ),
    )

    # ---------------- generation 2: added after the first version was in use
    generation = 2
    for i in range(2):
        add(
            f"solo_stamps_speech_{i}",
            "voice_solo",
            "spoken phrases, six languages",
            "yes",
            "speech",
            "vocal",
            solo_voice("speech_stamps", 12.0),
        )
        add(
            f"solo_stamps_short_{i}",
            "voice_solo",
            "one spoken phrase under 1 s",
            "yes",
            "speech_short",
            "vocal",
            solo_voice("speech_stamps_short", None, pick=5 * i + 2),
        )
    tux = "usr/share/tuxpaint/stamps/animals"
    for i in range(2):
        add(
            f"neg_whale_real_{i}",
            "hard_negative",
            "whale, orca and dolphin calls over waves",
            "no",
            "",
            "nature",
            recording_item(
                "scorched3d-data",
                [f"{s3d}/oceanwaves.wav"],
                40.0,
                ([f"{tux}/mammals/aquatic/{a}.ogg" for a in ("whale", "orca", "dolphin")], 4.0, 2.0),
                "tuxpaint-stamps-default",
            ),
        )
    add(
        "neg_birds_tux",
        "hard_negative",
        "songbirds over insects",
        "no",
        "",
        "nature",
        recording_item(
            "scorched3d-data",
            [f"{s3d}/frogs.wav"],
            40.0,
            ([f"{tux}/birds/{b}.ogg" for b in ("blackbird", "lark", "cuckoo", "owl")], 3.0, 2.5),
            "tuxpaint-stamps-default",
        ),
    )
    stamps = "usr/share/tuxpaint/stamps/hobbies/music"
    add(
        "neg_real_strings",
        "hard_negative",
        "recorded cello, violin and bassoon phrases",
        "no",
        "",
        "ambient/minimal",
        recording_item(
            "tuxpaint-stamps-default",
            [f"{stamps}/string/cello.ogg", f"{stamps}/string/violin.ogg", f"{stamps}/wind/bassoon.ogg"],
            30.0,
        ),
    )

    # --- real produced music: a choir inside a score, and tracks nobody has listened to
    add(
        "score_choir_elf_land",
        "voice_in_music",
        "orchestral score with a choir",
        "yes",
        "choir_in_score",
        "vocal",
        excerpt_item(
            "wesnoth-1.16-music", "usr/share/games/wesnoth/1.16/data/core/music/elf-land.ogg", 0.0, None
        ),
    )
    hw = "usr/share/games/hedgewars/Data/Music"
    for name in ("underwater", "snow", "Nature", "EarthRise", "oriental", "Rock", "Freeway", "hell"):
        add(
            f"music_hw_{name.lower()}",
            "real_music",
            f"game music ({name}), not listened to",
            "unknown",
            "",
            "",
            excerpt_item("hedgewars-data", f"{hw}/{name}.ogg", 20.0, 45.0),
        )
    moh = "usr/share/asterisk/moh"
    for name in ("macroform-cold_day", "macroform-the_simplicity", "reno_project-system"):
        add(
            f"music_moh_{name}",
            "real_music",
            "music on hold, not listened to",
            "unknown",
            "",
            "",
            excerpt_item("asterisk-moh-opsound-wav", f"{moh}/{name}.wav", 20.0, 45.0),
        )

    # ---------------- generation 3: long tracks (the analyser hears only some windows of them) and
    # voices over real music
    generation = 3
    for kind, level, density, bed_name in (
        ("sung", 0, "passage", "pad_warm"),
        ("speech", -6, "passage", "minimal_piano"),
        ("choir", 0, "sparse", "pad_strings"),
        ("sung", 6, "sparse", "pad_newage"),
    ):
        add(
            f"long_{kind}_{level}_{density}",
            "voice_long",
            f"{kind} in a 4 min track over {bed_name}",
            "yes",
            kind,
            "vocal",
            voice_mix(kind, level, density, bed_name, 240.0),
            level,
            density,
        )
    add("long_calm_pad", "calm", "ambient pad, 4 min", "no", "", "ambient", pad_item(midi.PAD_WARM, 240.0))
    add(
        "long_calm_piano",
        "calm",
        "minimal piano pattern, 4 min",
        "no",
        "",
        "minimal",
        pattern_item(midi.PIANO, 240.0),
    )
    for (kind, level), bed_name in zip(
        (("sung", 0), ("speech", -6), ("choir", 0), ("chant", -6), ("sung", -6), ("choir_sampled", 0)),
        ("hw_underwater", "hw_snow", "hw_earthrise", "moh_cold_day", "hw_snow", "hw_underwater"),
        strict=True,
    ):
        add(
            f"mix_real_{kind}_{level}_{bed_name}",
            "voice_mix",
            f"{kind} over real music ({bed_name})",
            "yes",
            kind,
            "vocal",
            voice_mix(kind, level, "dense", bed_name),
            level,
            "dense",
        )

    # --- calm untagged instrumentals, one group per session category
    generation = 1
    for name, program in (
        ("warm", midi.PAD_WARM),
        ("newage", midi.PAD_NEW_AGE),
        ("bowed", midi.PAD_BOWED),
        ("sweep", midi.PAD_SWEEP),
        ("strings", midi.SLOW_STRINGS),
    ):
        add(f"calm_pad_{name}", "calm", f"ambient pad ({name})", "no", "", "ambient", pad_item(program))
    add("calm_drone", "calm", "ambient drone textures (recorded)", "no", "", "ambient", drone_item())
    for name, program in (
        ("piano_1", midi.PIANO),
        ("piano_2", midi.PIANO),
        ("piano_3", midi.PIANO),
        ("celesta", midi.CELESTA),
        ("marimba", midi.MARIMBA),
        ("harp", midi.HARP),
        ("strings", midi.STRINGS),
    ):
        add(
            f"calm_minimal_{name}",
            "calm",
            f"minimal repeating pattern ({name})",
            "no",
            "",
            "minimal",
            pattern_item(program),
        )
    for carrier, beat, noise in ((200.0, 6.0, 0.0), (150.0, 4.0, 0.5), (240.0, 10.0, 0.3)):
        add(
            f"calm_binaural_{int(beat)}hz",
            "calm",
            f"binaural beat {beat:g} Hz on {carrier:g} Hz",
            "no",
            "",
            "binaural",
            generated_item(
                lambda rng, c=carrier, b=beat, z=noise: ins.binaural(SR, rng, 45.0, c, b, z),
                f"numpy binaural carrier {carrier:g} Hz beat {beat:g} Hz pink noise {noise:g}",
            ),
        )
    for tone, rate in ((180.0, 10.0), (220.0, 7.0)):
        add(
            f"calm_isochronic_{int(rate)}hz",
            "calm",
            f"isochronic tone {rate:g} Hz",
            "no",
            "",
            "binaural",
            generated_item(
                lambda rng, t=tone, r=rate: ins.isochronic(SR, 45.0, t, r),
                f"numpy isochronic tone {tone:g} Hz pulsed {rate:g} Hz",
            ),
        )
    for name, exponent in (("white", 0.0), ("pink", 1.0), ("brown", 2.0)):
        add(
            f"calm_noise_{name}",
            "calm",
            f"{name} noise bed",
            "no",
            "",
            "binaural",
            generated_item(lambda rng, e=exponent: ins.noise_bed(SR, rng, 45.0, e), f"numpy {name} noise"),
        )
    add(
        "calm_nature_ocean",
        "calm",
        "ocean waves",
        "no",
        "",
        "nature",
        recording_item("scorched3d-data", [f"{s3d}/oceanwaves.wav"], 45.0),
    )
    add(
        "calm_nature_insects",
        "calm",
        "night insects",
        "no",
        "",
        "nature",
        recording_item("scorched3d-data", [f"{s3d}/frogs.wav"], 45.0),
    )
    add(
        "calm_nature_birds",
        "calm",
        "birdsong",
        "no",
        "",
        "nature",
        recording_item("scorched3d-data", [f"{s3d}/birds2.wav"], 45.0),
    )
    add(
        "calm_nature_rain",
        "calm",
        "rain",
        "no",
        "",
        "nature",
        recording_item("plee-the-bear-data", [f"{plee}/weather/rain.ogg"], 45.0),
    )

    # --- busy music that must stay out of sessions
    generation = 1
    for style in range(3):
        add(f"busy_{style}", "busy", "fast loud music with drums", "no", "", "unclassified", busy_item(style))
    add(
        "busy_breakbeat", "busy", "breakbeat with bass and guitar", "no", "", "unclassified", busy_loop_item()
    )
    return out


# ---------------------------------------------------------------- build


def licence_of(meta: Meta) -> str:
    parts = [
        f"{p}: {sources.PACKAGE_BY_NAME[p].licence}"
        for p in sorted(meta.packages)
        if p in sources.PACKAGE_BY_NAME
    ]
    if meta.espeak:
        parts.append(ESPEAK_LICENCE)
    if meta.generated:
        parts.append(GENERATED_LICENCE)
    return " + ".join(parts)


def neutral_names(all_items: list[Item]) -> dict[str, str]:
    """track_NNN.flac in an order that depends only on the ids, so numbers give no hint of the group."""
    order = sorted(all_items, key=lambda it: (it.generation, zlib.crc32(("devset:" + it.id).encode())))
    return {it.id: f"track_{i + 1:03d}.flac" for i, it in enumerate(order)}


def build(dest: Path, cache: Path, force: bool) -> list[dict[str, str]]:
    """Make every missing track; return the label rows."""
    versions = sources.fetch(cache)
    versions["espeak-ng"] = os.popen("dpkg-query -W -f='${Version}' espeak-ng").read().strip()
    versions["fluidsynth"] = os.popen("dpkg-query -W -f='${Version}' fluidsynth").read().strip()
    ctx = Ctx(cache / "root")
    all_items = items()
    names = neutral_names(all_items)
    rows = []
    for it in all_items:
        path = dest / "library" / names[it.id]
        meta_path = dest / ".meta" / (it.id + ".csv")
        if force or not (path.exists() and meta_path.exists()):
            t0 = time.time()
            rng = np.random.default_rng(zlib.crc32(it.id.encode()))
            meta = Meta()
            y = _stereo(it.make(rng, meta, ctx))
            if not np.abs(y).max() > 0:
                raise RuntimeError(f"{it.id}: silent track")
            target = float(rng.uniform(-24, -16))
            y = audio.set_rms(y, target)
            peak = np.abs(y).max()
            if peak > 0.98:
                y *= 0.98 / peak
            audio.write(path, y, SR, "FLAC", "PCM_16")
            used_packages = sorted(meta.packages | ({"espeak-ng"} if meta.espeak else set()))
            row = {
                "path": f"library/{names[it.id]}",
                "group": it.group,
                "kind": it.kind,
                "voice": it.voice,
                "voice_kind": it.voice_kind,
                "level_db": it.level_db,
                "density": it.density,
                "expected": it.expected,
                "duration_s": f"{len(y) / SR:.2f}",
                "voice_windows": ";".join(f"{a:.2f}-{b:.2f}" for a, b in meta.windows),
                "rms_dbfs": f"{audio.rms_db(y.mean(axis=1)):.1f}",
                "licence": licence_of(meta),
                "source": "; ".join(f"{p} {versions.get(p, '?')}" for p in used_packages)
                + " | "
                + meta.source,
                "notes": f"id={it.id}" + (f"; {meta.notes}" if meta.notes else ""),
            }
            meta_path.parent.mkdir(parents=True, exist_ok=True)
            with open(meta_path, "w", newline="") as f:
                w = csv.DictWriter(f, fieldnames=FIELDS)
                w.writeheader()
                w.writerow(row)
            print(f"{names[it.id]}  {it.id:40s} {len(y) / SR:6.1f} s  ({time.time() - t0:.1f} s)", flush=True)
        with open(meta_path, newline="") as f:
            rows.append(next(csv.DictReader(f)))
    return rows


def write_labels(dest: Path, rows: list[dict[str, str]]) -> None:
    tmp = dest / "labels.csv.part"
    with open(tmp, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=FIELDS)
        w.writeheader()
        w.writerows(sorted(rows, key=lambda r: r["path"]))
    os.replace(tmp, dest / "labels.csv")


def summary(rows: list[dict[str, str]]) -> None:
    groups: dict[str, list[float]] = {}
    for r in rows:
        groups.setdefault(r["group"], []).append(float(r["duration_s"]))
    print(f"\n{'group':15} {'files':>5} {'minutes':>8}")
    for g, d in sorted(groups.items()):
        print(f"{g:15} {len(d):5d} {sum(d) / 60:8.1f}")
    total = sum(sum(d) for d in groups.values())
    print(f"{'TOTAL':15} {sum(len(d) for d in groups.values()):5d} {total / 60:8.1f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dest", nargs="?", type=Path, default=Path("/work/devset"))
    ap.add_argument("--cache", type=Path, help="where packages are unpacked (default DEST/.sources)")
    ap.add_argument("--force", action="store_true", help="remake tracks that already exist")
    args = ap.parse_args()
    dest = args.dest.resolve()
    rows = build(dest, (args.cache or dest / ".sources").resolve(), args.force)
    write_labels(dest, rows)
    summary(rows)
    for r in rows:  # sanity: every file decodes to its labelled length
        info = sf.info(str(dest / r["path"]))
        assert abs(info.duration - float(r["duration_s"])) < 0.05, r["path"]


if __name__ == "__main__":
    main()
