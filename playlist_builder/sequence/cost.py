"""The cost model: what each track and transition costs, vectorised over candidates, and why-text."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from playlist_builder.model import Arc, Category, Phase
from playlist_builder.sequence.candidates import CATEGORY_CODES, CandidateTable
from playlist_builder.sequence.rules import SequenceRules

# Units the weights in rules/sequence.toml are counted in (see the comments there).
ENERGY_UNIT = 0.1  # energy_fit costs weight x (distance / 0.1)^2
TEMPO_UNIT_BPM = 10.0  # tempo costs weight x (BPM outside the calm band / 10)^2
PLAY_UNIT_S = 300.0  # track terms are counted per 5 minutes of play
# A transition to or from a track whose loudness was never measured is costed as if the step were
# this fraction of the arc's limit, so measured tracks are not passed over for unmeasured ones.
UNKNOWN_LOUDNESS_STEP_FRACTION = 0.5

TRACK_TERMS = ("energy_fit", "category", "tempo", "variety", "familiarity")
TRANSITION_TERMS = ("energy_step", "loudness_step", "crossfade")


def target_energy(phase: Phase, fraction: np.ndarray | float) -> np.ndarray:
    """The arc's energy at a fraction (0 = phase start, 1 = phase end) of a phase: a straight line."""
    where = np.clip(fraction, 0.0, 1.0)
    return phase.energy_start + (phase.energy_end - phase.energy_start) * where


def energy_rate(energy: np.ndarray, target: np.ndarray | float, rules: SequenceRules) -> np.ndarray:
    """Energy-fit cost per play unit of tracks with `energy` played where the arc asks for `target`."""
    return rules.weights.energy_fit * ((np.asarray(energy) - target) / ENERGY_UNIT) ** 2


def in_categories(codes: np.ndarray, categories: tuple[Category, ...]) -> np.ndarray:
    """Which category codes (NO_CATEGORY allowed) are among `categories` (a lookup table: fast)."""
    lookup = np.zeros(len(CATEGORY_CODES) + 1, dtype=bool)  # the last slot answers NO_CATEGORY (-1)
    lookup[[CATEGORY_CODES[c] for c in categories]] = True
    return lookup[codes]


def category_rate(table: CandidateTable, phase: Phase, rules: SequenceRules) -> np.ndarray:
    """Category cost per play unit: 0 when preferred, a fraction when only the second category is."""
    primary_ok = in_categories(table.category, phase.preferred)
    secondary_ok = in_categories(table.secondary, phase.preferred)
    rate = np.full(len(table), rules.weights.category)
    rate[secondary_ok] = rules.weights.category * rules.secondary_preferred
    rate[primary_ok] = 0.0
    return rate


def allowed_mask(table: CandidateTable, phase: Phase) -> np.ndarray:
    """Tracks a phase may use: primary category allowed there, energy within its limit."""
    return in_categories(table.category, phase.allowed) & (table.energy <= phase.max_energy + 1e-9)


def tempo_rate(tempo_bpm: np.ndarray, rules: SequenceRules) -> np.ndarray:
    """Tempo cost per play unit: 0 inside the calm band or when the tempo is unknown."""
    limits = rules.limits
    below = np.clip(limits.calm_tempo_min_bpm - tempo_bpm, 0.0, None)
    above = np.clip(tempo_bpm - limits.calm_tempo_max_bpm, 0.0, None)
    outside = np.nan_to_num(below + above, nan=0.0)
    return rules.weights.tempo * (outside / TEMPO_UNIT_BPM) ** 2


def variety_noise(track_ids: np.ndarray, seed: int, rules: SequenceRules) -> np.ndarray:
    """Seeded noise per track in [0, variety), stable per (seed, track): a new track reshuffles nothing."""
    mask = np.uint64(0xFFFFFFFFFFFFFFFF)
    with np.errstate(over="ignore"):
        z = (track_ids.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)) ^ np.uint64(
            seed & 0xFFFFFFFFFFFFFFFF
        )
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9) & mask
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB) & mask
        z = z ^ (z >> np.uint64(31))
    return rules.weights.variety * (z >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def transition_terms(
    energy_from: float,
    energy_to: np.ndarray,
    loudness_from: float,
    loudness_to: np.ndarray,
    arc: Arc,
    rules: SequenceRules,
) -> tuple[np.ndarray, np.ndarray]:
    """Energy-step and loudness-step costs of moving from one track to each of several others."""
    energy_cost = rules.weights.energy_step * ((energy_to - energy_from) / arc.max_energy_step) ** 2
    loud_step = known_or(
        np.abs(loudness_to - loudness_from), arc.max_loudness_step_lu * UNKNOWN_LOUDNESS_STEP_FRACTION
    )
    loud_cost = rules.weights.loudness_step * (loud_step / arc.max_loudness_step_lu) ** 2
    return energy_cost, loud_cost


def known_or(values: np.ndarray, unknown: float) -> np.ndarray:
    """`values` with NaN (unknown) replaced by `unknown` (np.nan_to_num is slow on small arrays)."""
    return np.where(np.isnan(values), unknown, values)


def transition_ok(
    energy_from: float,
    energy_to: np.ndarray,
    loudness_from: float,
    loudness_to: np.ndarray,
    artist_from: int,
    artist_to: np.ndarray,
    arc: Arc,
) -> np.ndarray:
    """The hard limits between neighbours: energy step, loudness step (when both known), artist change."""
    energy_fine = np.abs(energy_to - energy_from) <= arc.max_energy_step + 1e-9
    loud_step = np.abs(loudness_to - loudness_from)
    loud_fine = ~(loud_step > arc.max_loudness_step_lu + 1e-9)  # NaN (unknown) passes
    return energy_fine & loud_fine & (artist_to != artist_from)


def crossfade_cost(overlap_s: float, arc: Arc, rules: SequenceRules) -> float:
    """Cost of a crossfade longer or shorter than the arc's preferred one."""
    span = max(rules.limits.crossfade_max_s - rules.limits.crossfade_min_s, 1e-6)
    return rules.weights.crossfade * ((overlap_s - arc.crossfade_s) / span) ** 2


@dataclass(frozen=True)
class ReasonFacts:
    """What the why-text of one placed track is built from."""

    phase: Phase
    category: Category
    secondary: Category | None
    energy: float
    target: float
    tempo_bpm: float | None
    energy_step: float | None
    loudness_step: float | None
    pinned: bool
    familiar: bool
    trimmed_s: float


def reason_text(facts: ReasonFacts, rules: SequenceRules) -> str:
    """A short human explanation of why a track sits where it does."""
    parts: list[str] = []
    if facts.pinned:
        parts.append("pinned by the clinician")
    phase = facts.phase
    if facts.category in phase.preferred:
        parts.append(f"{facts.category.value} is preferred in {phase.name}")
    elif facts.secondary is not None and facts.secondary in phase.preferred:
        parts.append(f"{facts.category.value} with some {facts.secondary.value}, which {phase.name} favours")
    else:
        parts.append(f"{facts.category.value} is allowed in {phase.name}")
    parts.append(f"energy {facts.energy:.2f} where the arc asks for {facts.target:.2f}")
    if facts.energy_step is not None:
        step = f"gentle change from the previous track ({facts.energy_step:+.2f} energy"
        if facts.loudness_step is not None:
            step += f", {facts.loudness_step:+.1f} LU"
        parts.append(step + ")")
    if facts.tempo_bpm is not None:
        low, high = rules.limits.calm_tempo_min_bpm, rules.limits.calm_tempo_max_bpm
        bpm = round(facts.tempo_bpm)
        inside = low <= bpm <= high
        parts.append(
            f"{bpm} BPM" + (" (calm range)" if inside else f" (outside the calm {low:.0f}-{high:.0f})")
        )
    if facts.familiar:
        parts.append("heard in this patient's recent sessions (familiarity asked)")
    if facts.trimmed_s > 0.5:
        parts.append(f"fades out {facts.trimmed_s:.0f} s before its end so the session ends on time")
    return "; ".join(parts)
