"""Helpers for export tests: generated tracks and saved sessions (imported by conftest and tests)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf

from playlist_builder.db.library import Library
from playlist_builder.export.mix import MixOptions
from playlist_builder.export.rules import load_export_rules
from playlist_builder.model import Category, Classification, LyricsStatus, Source, Track

RATE = 22050
REPO_RULES = Path(__file__).resolve().parents[2] / "rules"


def mix_options(**changes: float | int | None) -> MixOptions:
    """The shipped rules' mix options (rules/export.toml), with the session fades and `changes`."""
    rules = load_export_rules(REPO_RULES)
    values: dict[str, float | int | None] = {
        "target_lufs": rules.loudness.target_lufs,
        "ceiling_dbtp": rules.loudness.true_peak_ceiling_dbtp,
        "max_gain_db": rules.loudness.max_gain_db,
        "fade_in_s": 1.0,
        "fade_out_s": 2.0,
        "boundary_fade_s": rules.mix.boundary_fade_s,
        "trim_fade_s": rules.mix.trim_fade_s,
    }
    values.update(changes)
    return MixOptions(**values)  # type: ignore[arg-type]


@dataclass
class TrackSpec:
    """A generated track: tags, length, level and format."""

    title: str
    artist: str | None = "Ensemble Ø"
    seconds: float = 2.0
    amplitude: float = 0.1
    freq: float = 330.0
    suffix: str = ".flac"
    source: Source = Source.LOCAL
    noise: bool = False
    rate: int = RATE
    channels: int = 2
    file_name: str | None = None
    file_seconds: float | None = None  # a shorter file than the tags say (for sheets: only tags matter)
    extra: dict[str, object] = field(default_factory=dict)


def write_audio(path: Path, spec: TrackSpec, seed: int = 0) -> None:
    """Write a tone (or pink-ish noise) at the spec's level."""
    frames = int((spec.file_seconds or spec.seconds) * spec.rate)
    t = np.arange(frames) / spec.rate
    if spec.noise:
        rng = np.random.default_rng(seed)
        white = rng.standard_normal((frames, spec.channels))
        # a gentle low-pass so it sounds like wind, not hiss; normalised to the asked RMS
        kernel = np.ones(8) / 8
        mono = np.stack([np.convolve(white[:, c], kernel, mode="same") for c in range(spec.channels)], axis=1)
        data = spec.amplitude * mono / np.sqrt(np.mean(mono**2))
    else:
        tone = spec.amplitude * np.sin(2 * np.pi * spec.freq * t)
        data = np.repeat(tone[:, None], spec.channels, axis=1)
    path.parent.mkdir(parents=True, exist_ok=True)
    subtype = "VORBIS" if path.suffix == ".ogg" else "PCM_16"
    sf.write(str(path), data.astype(np.float32), spec.rate, subtype=subtype)


@dataclass
class MadeSession:
    """A saved session and where its files are."""

    id: int
    root: Path
    paths: list[Path | None]
    track_ids: list[int]


SessionMaker = Callable[..., MadeSession]


FILE_RATE = 8000  # small files; the mix resamples them to 44.1 kHz like any low-rate source
# A short arc so a whole session renders in seconds (tests and benchmarks/export_kill_loop.py); the
# sequencer and the exports are the product's own.
SHORT_ARC = """
name = "short"
description = "A six-minute test arc."
default_minutes = 6
min_minutes = 5
max_minutes = 10
crossfade_s = 4
max_energy_step = 0.3
max_loudness_step_lu = 12
"""
PHASES = (("settle", 0.3, 0.30, 0.25), ("deep", 0.4, 0.20, 0.20), ("ground", 0.3, 0.25, 0.30))


def short_session_rules(folder: Path) -> Path:
    """The shipped rules with tracks down to 30 s allowed and one short arc."""
    rules = folder / "rules"
    shutil.copytree(REPO_RULES, rules)
    sequence = rules / "sequence.toml"
    text = sequence.read_text(encoding="utf-8")
    assert "min_track_s = 90" in text
    sequence.write_text(text.replace("min_track_s = 90", "min_track_s = 30"), encoding="utf-8")
    arc = SHORT_ARC
    for name, share, start, end in PHASES:
        arc += (
            f'\n[[phases]]\nname = "{name}"\nshare = {share}\nenergy_start = {start}\nenergy_end = {end}\n'
            'preferred = ["ambient", "nature"]\nallowed = ["ambient", "nature"]\nmax_energy = 0.6\n'
            f'description = "{name}"\n'
        )
    (rules / "arcs" / "short.toml").write_text(arc, encoding="utf-8")
    return rules


def stock_short_tracks(library: Library, folder: Path, count: int = 40) -> None:
    """`count` eligible local tracks of 30-70 s, real files of exactly their tagged length."""
    rng = np.random.default_rng(5)
    folder.mkdir()
    root = library.add_root(str(folder))
    for index in range(count):
        seconds = round(float(rng.uniform(30, 70)), 3)
        name = f"{index:02d} Stille {index}.flac"
        noise = rng.standard_normal(round(seconds * FILE_RATE)) * 0.05
        sf.write(str(folder / name), noise.astype(np.float32), FILE_RATE)
        kind = (Category.AMBIENT, Category.NATURE)[index % 2]
        track = Track(source=Source.LOCAL, source_key=name, title=f"Stille {index}", artist=f"Ø {index % 9}",
                      duration_s=seconds, file_format="flac")  # fmt: skip
        track_id = library.upsert_tracks([track], root)[0]
        energy = round(float(rng.uniform(0.18, 0.32)), 3)
        verdict = Classification(category=kind, lyrics=LyricsStatus.INSTRUMENTAL, confidence=0.9,
                                 energy=energy, rules_version="t")  # fmt: skip
        library.save_classification(track_id, verdict, input_hash="t")
        # analysed and intact (a local file is eligible only then); the length is the file's own
        library.save_features(track_id, None, file_size=None, file_mtime=None, analyzer_version="t")
