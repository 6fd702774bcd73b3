"""The mix's loudness target, true-peak ceiling and fades, loaded from rules/export.toml."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from playlist_builder.tomlfile import TomlDoc, read_toml

EXPORT_RULES_FILE = "export.toml"

# The frame every value must stay inside. These are not defaults (every key is required) but the
# design's clinical limits: one loudness target in -23..-18 LUFS (the rules file's target, and any
# `export mix --target`), true peak at or below -1 dBTP.
LOUDNESS_BAND_LUFS = (-23.0, -18.0)
CEILING_BOUNDS_DBTP = (-6.0, -1.0)
MAX_GAIN_BOUNDS_DB = (0.0, 40.0)
FADE_BOUNDS_S = (0.0, 30.0)


@dataclass(frozen=True)
class LoudnessRules:
    """One loudness for every track, the peak ceiling, and how far a quiet track may be lifted."""

    target_lufs: float
    true_peak_ceiling_dbtp: float
    max_gain_db: float


@dataclass(frozen=True)
class MixRules:
    """Fades inside the mix: at each change of track, and where the plan cuts a track short."""

    boundary_fade_s: float
    trim_fade_s: float


@dataclass(frozen=True)
class ExportRules:
    """Everything the export stage is tuned by; passed in, never read from a global."""

    loudness: LoudnessRules
    mix: MixRules
    version: str


def load_export_rules(rules_dir: Path) -> ExportRules:
    """Read and validate rules/export.toml (ConfigError naming file, key and line on a mistake)."""
    return parse_export_rules(read_toml(Path(rules_dir) / EXPORT_RULES_FILE))


def parse_export_rules(doc: TomlDoc) -> ExportRules:
    """Validate a parsed export.toml: every key present, finite and within its bounds."""
    doc.only_keys((), ("version", "loudness", "mix"))
    for table in ("loudness", "mix"):
        doc.table((table,))
    doc.only_keys(("loudness",), ("target_lufs", "true_peak_ceiling_dbtp", "max_gain_db"))
    doc.only_keys(("mix",), ("boundary_fade_s", "trim_fade_s"))
    loudness = LoudnessRules(
        target_lufs=_finite(doc, ("loudness", "target_lufs"), LOUDNESS_BAND_LUFS),
        true_peak_ceiling_dbtp=_finite(doc, ("loudness", "true_peak_ceiling_dbtp"), CEILING_BOUNDS_DBTP),
        max_gain_db=_finite(doc, ("loudness", "max_gain_db"), MAX_GAIN_BOUNDS_DB),
    )
    mix = MixRules(
        boundary_fade_s=_finite(doc, ("mix", "boundary_fade_s"), FADE_BOUNDS_S),
        trim_fade_s=_finite(doc, ("mix", "trim_fade_s"), FADE_BOUNDS_S),
    )
    return ExportRules(loudness=loudness, mix=mix, version=doc.string(("version",)))


def _finite(doc: TomlDoc, path: tuple[str, str], bounds: tuple[float, float]) -> float:
    """A required number that is finite (NaN compares false with everything) and within `bounds`."""
    value = doc.number(path)
    if not math.isfinite(value):
        raise doc.error(path, f"must be a finite number, not {doc.get(path)!r}")
    low, high = bounds
    if not low <= value <= high:
        raise doc.error(path, f"must be between {low:g} and {high:g}, not {doc.get(path)!r}")
    return value
