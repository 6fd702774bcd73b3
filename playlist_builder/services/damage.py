"""Damaged audio: a local file whose audio does not decode to the length its header states.

The tolerance is data (`rules/analysis.toml`, every key required); the decision is a pure function of
the stated and the decodable length.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from playlist_builder.tomlfile import TomlDoc, read_toml

ANALYSIS_RULES_FILE = "analysis.toml"


@dataclass(frozen=True)
class DamageRules:
    """How far decodable audio may fall short of the stated length: the larger of the two."""

    min_shortfall_s: float
    max_shortfall_share: float


def _finite(doc: TomlDoc, path: tuple[str, ...], low: float, high: float) -> float:
    value = doc.number(path, low=low, high=high)
    if not math.isfinite(value):
        raise doc.error(path, f"must be a finite number, not {value!r}")
    return value


def load_damage_rules(rules_dir: Path) -> DamageRules:
    """The damage tolerance from `analysis.toml` in `rules_dir` (ConfigError names file, key, line)."""
    doc = read_toml(Path(rules_dir) / ANALYSIS_RULES_FILE)
    doc.only_keys(("damage",), ("min_shortfall_s", "max_shortfall_share"))
    return DamageRules(
        min_shortfall_s=_finite(doc, ("damage", "min_shortfall_s"), 0.0, 60.0),
        max_shortfall_share=_finite(doc, ("damage", "max_shortfall_share"), 0.0, 0.5),
    )


def damage_reason(stated_s: float | None, decodable_s: float, rules: DamageRules) -> str | None:
    """Why a file is damaged (its audio falls short of its stated length beyond the tolerance), or None."""
    if stated_s is None or not math.isfinite(stated_s) or stated_s <= 0:
        return None
    tolerance = max(rules.min_shortfall_s, rules.max_shortfall_share * stated_s)
    if stated_s - decodable_s <= tolerance:
        return None
    share = max(0.0, decodable_s) / stated_s
    return (
        f"only {max(0.0, decodable_s):.2f} s of its stated {stated_s:.2f} s decodes ({share:.0%}); "
        "the file is truncated or corrupt"
    )
