"""Helpers for export tests: generated tracks and saved sessions (imported by conftest and tests)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf

from playlist_builder.export.mix import MixOptions
from playlist_builder.export.rules import load_export_rules
from playlist_builder.model import Source

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
