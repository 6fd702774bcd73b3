"""Cost weights, limits and search settings of the sequencer, loaded from rules/sequence.toml."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from playlist_builder.tomlfile import TomlDoc, read_toml

SEQUENCE_RULES_FILE = "sequence.toml"


def _bounded(low: float, high: float, *, whole: bool = False) -> Any:
    """A rules field with the range its value must lie in (and whether it must be a whole number).

    No default: every value comes from rules/sequence.toml, so the file is the one place it lives.
    """
    return field(metadata={"range": (low, high), "whole": whole})


# Weights are costs; anything above 100 "noticeable flaws" would drown every other term.
_WEIGHT = (0.0, 100.0)


@dataclass(frozen=True)
class CostWeights:
    """How much each kind of flaw costs (rules/sequence.toml [weights] says the units)."""

    energy_fit: float = _bounded(*_WEIGHT)
    category: float = _bounded(*_WEIGHT)
    tempo: float = _bounded(*_WEIGHT)
    energy_step: float = _bounded(*_WEIGHT)
    loudness_step: float = _bounded(*_WEIGHT)
    crossfade: float = _bounded(*_WEIGHT)
    variety: float = _bounded(*_WEIGHT)
    familiarity: float = _bounded(*_WEIGHT)


@dataclass(frozen=True)
class CategoryRules:
    """How categories are weighed beyond the per-phase lists of the arcs."""

    secondary_preferred: float = _bounded(0.0, 1.0)


@dataclass(frozen=True)
class SequenceLimits:
    """Limits every plan keeps, and the session-edge fades."""

    total_tolerance_s: float = _bounded(1.0, 120.0)
    phase_tolerance_s: float = _bounded(10.0, 600.0)
    phase_aim_s: float = _bounded(2.0, 300.0)
    min_track_s: float = _bounded(20.0, 1200.0)
    crossfade_min_s: float = _bounded(0.0, 30.0)
    crossfade_max_s: float = _bounded(0.0, 60.0)
    max_final_trim_s: float = _bounded(0.0, 600.0)
    fade_in_s: float = _bounded(0.0, 60.0)
    fade_out_s: float = _bounded(0.0, 120.0)
    calm_tempo_min_bpm: float = _bounded(20.0, 200.0)
    calm_tempo_max_bpm: float = _bounded(20.0, 200.0)
    max_tempo_bpm: float = _bounded(20.0, 300.0)
    history_sessions: int = _bounded(0, 100, whole=True)


@dataclass(frozen=True)
class SearchSettings:
    """How widely the solver searches."""

    pool_size: int = _bounded(20, 100_000, whole=True)
    branching: int = _bounded(1, 20, whole=True)
    node_budget: int = _bounded(10, 1_000_000, whole=True)
    swap_window_s: float = _bounded(0.0, 600.0)
    improvement_passes: int = _bounded(0, 20, whole=True)
    improve_candidates: int = _bounded(1, 20, whole=True)
    improve_budget: int = _bounded(0, 100_000, whole=True)
    reserve: float = _bounded(0.0, 10.0)
    beam_width: int = _bounded(1, 1000, whole=True)
    beam_max_width: int = _bounded(1, 1000, whole=True)
    beam_cells: int = _bounded(100, 10_000_000, whole=True)
    beam_branching: int = _bounded(1, 20, whole=True)
    beam_budget: int = _bounded(1, 1_000_000, whole=True)


@dataclass(frozen=True)
class SequenceRules:
    """Everything the solver is tuned by; passed in, never read from a global."""

    weights: CostWeights
    limits: SequenceLimits
    search: SearchSettings
    categories: CategoryRules
    version: str

    @property
    def secondary_preferred(self) -> float:
        """Fraction of the category cost for a track whose second category is the preferred one."""
        return self.categories.secondary_preferred


# The tables of rules/sequence.toml and the dataclass each one fills; every key is required.
TABLES: dict[str, type] = {
    "weights": CostWeights,
    "categories": CategoryRules,
    "limits": SequenceLimits,
    "search": SearchSettings,
}


def load_sequence_rules(rules_dir: Path) -> SequenceRules:
    """Read and validate rules/sequence.toml (ConfigError naming file, key and line on a mistake)."""
    return parse_sequence_rules(read_toml(Path(rules_dir) / SEQUENCE_RULES_FILE))


def parse_sequence_rules(doc: TomlDoc) -> SequenceRules:
    """Validate a parsed sequence.toml: every table and key present, every number finite and in range."""
    doc.only_keys((), ("version", *TABLES))
    version = doc.string(("version",))
    values = {table: kind(**_numbers(doc, table, kind)) for table, kind in TABLES.items()}
    rules = SequenceRules(version=version, **values)
    _check_consistency(doc, rules.limits, rules.search)
    return rules


def _numbers(doc: TomlDoc, table: str, kind: type) -> dict[str, float | int]:
    """Every number of one table, each within its field's range (a missing key is an error)."""
    doc.table((table,))
    names = tuple(f.name for f in fields(kind))
    doc.only_keys((table,), names)
    values: dict[str, float | int] = {}
    for spec in fields(kind):
        low, high = spec.metadata["range"]
        value = doc.number((table, spec.name), low=low, high=high)
        if spec.metadata["whole"]:
            if value != int(value):
                raise doc.error(
                    (table, spec.name), f"must be a whole number, not {doc.data[table][spec.name]!r}"
                )
            values[spec.name] = int(value)
        else:
            values[spec.name] = value
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
