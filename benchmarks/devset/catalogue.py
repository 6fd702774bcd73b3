"""The catalogue of the development set: every track, its labels and the recipe that makes it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import instrumentals as ins
import midi
import numpy as np
import voices
from recipes import (
    BEDS,
    SR,
    Ctx,
    Meta,
    binaural_pad_item,
    busy_item,
    busy_loop_item,
    drone_item,
    excerpt_item,
    generated_item,
    melody_item,
    pad_item,
    pattern_item,
    recording_item,
    solo_voice,
    speech_language,
    voice_mix,
)

LEVELS_DB = (6, 0, -6, -12)


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

    # ---------------- generation 4: the held-out set's false holds were mostly acoustic guitar and a
    # binaural bed with a pad
    generation = 4
    add(
        "neg_guitar_pattern_nylon",
        "hard_negative",
        "fingerpicked nylon guitar pattern",
        "no",
        "",
        "ambient/minimal",
        pattern_item(midi.NYLON_GUITAR),
    )
    add(
        "neg_guitar_pattern_steel",
        "hard_negative",
        "fingerpicked steel guitar pattern",
        "no",
        "",
        "ambient/minimal",
        pattern_item(midi.STEEL_GUITAR),
    )
    add(
        "neg_guitar_melody_nylon",
        "hard_negative",
        "slow nylon guitar melody",
        "no",
        "",
        "ambient/minimal",
        melody_item(midi.NYLON_GUITAR, 52, 76),
    )
    add(
        "neg_guitar_recorded",
        "hard_negative",
        "recorded electric guitar chords and harmonics",
        "no",
        "",
        "ambient/minimal",
        recording_item(
            "sonic-pi-samples",
            [f"{ins.SP}/guit_em9.flac", f"{ins.SP}/guit_harmonics.flac", f"{ins.SP}/guit_e_fifths.flac"],
            40.0,
        ),
    )
    for carrier, beat in ((180.0, 5.0), (220.0, 8.0)):
        add(
            f"calm_binaural_pad_{int(beat)}hz",
            "calm",
            f"binaural beat {beat:g} Hz under a pad",
            "no",
            "",
            "binaural",
            binaural_pad_item(carrier, beat),
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
