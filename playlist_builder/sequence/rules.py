"""Cost weights, limits and search settings of the sequencer, loaded from rules/sequence.toml."""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

from playlist_builder.tomlfile import TomlDoc, read_toml

SEQUENCE_RULES_FILE = "sequence.toml"


@dataclass(frozen=True)
class CostWeights:
    """How much each kind of flaw costs (see rules/sequence.toml for the units)."""

    energy_fit: float = 1.0
    category: float = 0.6
    tempo: float = 0.3
    energy_step: float = 0.8
    loudness_step: float = 0.5
    crossfade: float = 0.2
    variety: float = 0.25
    familiarity: float = 0.5


@dataclass(frozen=True)
class SequenceLimits:
    """Limits every plan keeps, and the session-edge fades."""

    total_tolerance_s: float = 10.0
    phase_tolerance_s: float = 60.0
    phase_aim_s: float = 25.0
    min_track_s: float = 90.0
    crossfade_min_s: float = 2.0
    crossfade_max_s: float = 12.0
    max_final_trim_s: float = 45.0
    fade_in_s: float = 10.0
    fade_out_s: float = 20.0
    calm_tempo_min_bpm: float = 60.0
    calm_tempo_max_bpm: float = 80.0
    max_tempo_bpm: float = 125.0
    history_sessions: int = 3


@dataclass(frozen=True)
class SearchSettings:
    """How widely the solver searches."""

    pool_size: int = 600
    branching: int = 3
    node_budget: int = 5000
    swap_window_s: float = 90.0
    improvement_passes: int = 4
    improve_candidates: int = 3
    improve_budget: int = 400
    reserve: float = 1.0
    beam_width: int = 16
    beam_max_width: int = 128
    beam_cells: int = 10_000
    beam_branching: int = 4
    beam_budget: int = 3000


@dataclass(frozen=True)
class SequenceRules:
    """Everything the solver is tuned by; passed in, never read from a global."""

    weights: CostWeights = CostWeights()
    limits: SequenceLimits = SequenceLimits()
    search: SearchSettings = SearchSettings()
    secondary_preferred: float = 0.4
    version: str = "default"


# Bounds per key: (low, high). Anything outside is a mistake worth stopping for.
_WEIGHT_BOUNDS = (0.0, 100.0)
_LIMIT_BOUNDS: dict[str, tuple[float, float]] = {
    "total_tolerance_s": (1.0, 120.0),
    "phase_tolerance_s": (10.0, 600.0),
    "phase_aim_s": (2.0, 300.0),
    "min_track_s": (20.0, 1200.0),
    "crossfade_min_s": (0.0, 30.0),
    "crossfade_max_s": (0.0, 60.0),
    "max_final_trim_s": (0.0, 600.0),
    "fade_in_s": (0.0, 60.0),
    "fade_out_s": (0.0, 120.0),
    "calm_tempo_min_bpm": (20.0, 200.0),
    "calm_tempo_max_bpm": (20.0, 200.0),
    "max_tempo_bpm": (20.0, 300.0),
    "history_sessions": (0, 100),
}
_SEARCH_BOUNDS: dict[str, tuple[float, float]] = {
    "pool_size": (20, 100_000),
    "branching": (1, 20),
    "node_budget": (10, 1_000_000),
    "swap_window_s": (0.0, 600.0),
    "improvement_passes": (0, 20),
    "improve_candidates": (1, 20),
    "improve_budget": (0, 100_000),
    "reserve": (0.0, 10.0),
    "beam_width": (1, 1000),
    "beam_max_width": (1, 1000),
    "beam_cells": (100, 10_000_000),
    "beam_branching": (1, 20),
    "beam_budget": (1, 1_000_000),
}
_INTEGER_KEYS = {
    "history_sessions",
    "pool_size",
    "branching",
    "node_budget",
    "improvement_passes",
    "improve_candidates",
    "improve_budget",
    "beam_width",
    "beam_max_width",
    "beam_cells",
    "beam_branching",
    "beam_budget",
}


def load_sequence_rules(rules_dir: Path) -> SequenceRules:
    """Read and validate rules/sequence.toml (ConfigError naming file, key and line on a mistake)."""
    return parse_sequence_rules(read_toml(Path(rules_dir) / SEQUENCE_RULES_FILE))


def parse_sequence_rules(doc: TomlDoc) -> SequenceRules:
    """Validate a parsed sequence.toml."""
    doc.only_keys((), ("version", "weights", "categories", "limits", "search"))
    version = doc.string(("version",))
    weights = CostWeights(
        **_numbers(doc, "weights", CostWeights, dict.fromkeys(_names(CostWeights), _WEIGHT_BOUNDS))
    )
    limits = SequenceLimits(**_numbers(doc, "limits", SequenceLimits, _LIMIT_BOUNDS))
    search = SearchSettings(**_numbers(doc, "search", SearchSettings, _SEARCH_BOUNDS))
    if "categories" in doc.data:
        doc.table(("categories",))
        doc.only_keys(("categories",), ("secondary_preferred",))
    secondary = doc.weight(("categories", "secondary_preferred"), default=0.4)
    _check_consistency(doc, limits, search)
    return SequenceRules(
        weights=weights, limits=limits, search=search, secondary_preferred=secondary, version=version
    )


def _names(kind: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(kind))


def _numbers(
    doc: TomlDoc, table: str, kind: type, bounds: dict[str, tuple[float, float]]
) -> dict[str, float]:
    """The numbers of one table, each within its bounds; missing keys keep their defaults."""
    if table not in doc.data:
        return {}
    doc.table((table,))
    doc.only_keys((table,), _names(kind))
    values: dict[str, float] = {}
    for key in doc.data[table]:
        low, high = bounds[key]
        value = doc.number((table, key), low=low, high=high)
        if key in _INTEGER_KEYS:
            if value != int(value):
                raise doc.error((table, key), f"must be a whole number, not {doc.data[table][key]!r}")
            values[key] = int(value)
        else:
            values[key] = value
    return values


def _check_consistency(doc: TomlDoc, limits: SequenceLimits, search: SearchSettings) -> None:
    """Limits that only make sense together."""
    if limits.crossfade_min_s > limits.crossfade_max_s:
        raise doc.error(("limits", "crossfade_min_s"), "must not be above `limits.crossfade_max_s`")
    if limits.calm_tempo_min_bpm > limits.calm_tempo_max_bpm:
        raise doc.error(("limits", "calm_tempo_min_bpm"), "must not be above `limits.calm_tempo_max_bpm`")
    if limits.phase_aim_s >= limits.phase_tolerance_s:
        raise doc.error(("limits", "phase_aim_s"), "must be below `limits.phase_tolerance_s`")
    if search.beam_max_width < search.beam_width:
        raise doc.error(("search", "beam_max_width"), "must not be below `search.beam_width`")
    if limits.min_track_s < 2 * limits.crossfade_max_s:
        raise doc.error(
            ("limits", "min_track_s"), "must hold two crossfades (at least 2 x `crossfade_max_s`)"
        )
