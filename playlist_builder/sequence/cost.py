"""The cost model: what each track and each transition costs, and which transitions are allowed.

This is the one place the sequencer's costs and hard limits are written. Every search stage (the
pools of setup.py, the depth-first walk, the beam step, the outlook, the improver, the plan's own
cost terms) and the checker call it, with numpy arrays that broadcast: one transition, one plan's
neighbours, or a (plans x pool) grid all go through the same functions.

Units (see rules/sequence.toml): track terms are rates per play unit (5 minutes of play); transition
terms are counted once per change of track.
"""

from __future__ import annotations

import numpy as np

from playlist_builder.model import Arc
from playlist_builder.sequence.candidates import CATEGORY_CODES
from playlist_builder.sequence.rules import SequenceRules
from playlist_builder.sequence.tolerance import EPSILON

# Units the weights in rules/sequence.toml are counted in (see the comments there).
ENERGY_UNIT = 0.1  # energy_fit costs weight x (distance / 0.1)^2
TEMPO_UNIT_BPM = 10.0  # tempo costs weight x (BPM outside the calm band / 10)^2
PLAY_UNIT_S = 300.0  # track terms are counted per 5 minutes of play
# A transition to or from a track whose loudness was never measured is costed as if the step were
# this fraction of the arc's limit, so measured tracks are not passed over for unmeasured ones.
UNKNOWN_LOUDNESS_STEP_FRACTION = 0.5

Numbers = np.ndarray | float


# --- track terms that depend on the rules only ---------------------------------------------------


def energy_rate(energy: Numbers, target: Numbers, rules: SequenceRules) -> np.ndarray:
    """Energy-fit cost per play unit of tracks with `energy` played where the arc asks for `target`."""
    return rules.weights.energy_fit * ((np.asarray(energy) - target) / ENERGY_UNIT) ** 2


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


class ArcClock:
    """The arc's phases laid on a session clock: where each lies, its energy line, what it allows.

    Phases are given by index; categories by their codes in `candidates.CATEGORY_CODES` (-1 = none).
    """

    def __init__(self, arc: Arc, target_s: float) -> None:
        self.arc = arc
        self.target_s = target_s
        starts, lengths = [], []
        start = 0.0
        for phase in arc.phases:
            starts.append(start)
            lengths.append(phase.share * target_s)
            start += phase.share * target_s
        self.phase_start = np.array(starts)
        self.phase_length = np.array(lengths)
        self.energy_start = np.array([phase.energy_start for phase in arc.phases])
        self.energy_end = np.array([phase.energy_end for phase in arc.phases])
        self.max_energy = np.array([phase.max_energy for phase in arc.phases])
        # Lookup tables [phase, category code]; the extra last column answers NO_CATEGORY (-1).
        width = len(CATEGORY_CODES) + 1
        self.preferred = np.zeros((len(arc.phases), width), dtype=bool)
        self.allowed = np.zeros((len(arc.phases), width), dtype=bool)
        for index, phase in enumerate(arc.phases):
            self.preferred[index, [CATEGORY_CODES[c] for c in phase.preferred]] = True
            self.allowed[index, [CATEGORY_CODES[c] for c in phase.allowed]] = True

    def energy_line(self, phases: np.ndarray | int, fraction: Numbers) -> np.ndarray:
        """The arc's energy at a fraction (0 = phase start, 1 = phase end) of each phase: a straight line."""
        where = np.clip(fraction, 0.0, 1.0)
        start = self.energy_start[phases]
        return start + (self.energy_end[phases] - start) * where

    def target(self, phases: np.ndarray | int, at_s: Numbers) -> np.ndarray:
        """The arc's energy at moments on the session clock, each inside the given phase."""
        length = np.maximum(self.phase_length[phases], EPSILON)
        return self.energy_line(phases, (np.asarray(at_s) - self.phase_start[phases]) / length)

    def within_energy(self, energy: Numbers, phases: np.ndarray | int) -> np.ndarray:
        """Whether tracks of `energy` stay within each phase's `max_energy`."""
        return np.asarray(energy) <= self.max_energy[phases] + EPSILON

    def fits_phase(self, category: np.ndarray, energy: Numbers, phases: np.ndarray | int) -> np.ndarray:
        """Tracks a phase may hold: primary category allowed there and energy within its limit."""
        return self.allowed[phases, category] & self.within_energy(energy, phases)


class CostModel(ArcClock):
    """The costs and hard limits of placing tracks on the arc's clock, as rules/sequence.toml weighs them."""

    def __init__(self, arc: Arc, rules: SequenceRules, target_s: float) -> None:
        super().__init__(arc, target_s)
        self.rules = rules
        limits = rules.limits
        self.crossfade_span_s = max(limits.crossfade_max_s - limits.crossfade_min_s, EPSILON)

    # --- track terms -------------------------------------------------------------------------------

    def energy_rate(self, energy: Numbers, target: Numbers) -> np.ndarray:
        """Energy-fit cost per play unit (see the module function)."""
        return energy_rate(energy, target, self.rules)

    def category_rate(
        self, category: np.ndarray, secondary: np.ndarray, phases: np.ndarray | int
    ) -> np.ndarray:
        """Category cost per play unit: 0 when preferred, a fraction when only the second category is."""
        weight = self.rules.weights.category
        primary_ok = self.preferred[phases, category]
        secondary_ok = self.preferred[phases, secondary]
        return np.where(
            primary_ok, 0.0, np.where(secondary_ok, weight * self.rules.secondary_preferred, weight)
        )

    # --- transitions -------------------------------------------------------------------------------
    # Steps are `to - from` for energy (signed) and |to - from| for loudness (NaN when either is unknown).

    def _step_terms(
        self, energy_step: np.ndarray, loudness_step: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        arc, weights = self.arc, self.rules.weights
        energy_cost = weights.energy_step * (energy_step / arc.max_energy_step) ** 2
        unknown = arc.max_loudness_step_lu * UNKNOWN_LOUDNESS_STEP_FRACTION
        loudness_step = np.where(np.isnan(loudness_step), unknown, loudness_step)
        loudness_cost = weights.loudness_step * (loudness_step / arc.max_loudness_step_lu) ** 2
        return energy_cost, loudness_cost

    def _energy_ok(self, energy_step: np.ndarray) -> np.ndarray:
        return np.abs(energy_step) <= self.arc.max_energy_step + EPSILON

    def _loudness_ok(self, loudness_step: np.ndarray) -> np.ndarray:
        return ~(loudness_step > self.arc.max_loudness_step_lu + EPSILON)  # NaN (unknown) passes

    def step_terms(
        self, energy_from: Numbers, energy_to: Numbers, loudness_from: Numbers, loudness_to: Numbers
    ) -> tuple[np.ndarray, np.ndarray]:
        """Energy-step and loudness-step costs of moving between tracks (NaN loudness = unknown)."""
        return self._step_terms(
            np.asarray(energy_to) - energy_from, np.abs(np.asarray(loudness_to) - loudness_from)
        )

    def step_cost(
        self, energy_from: Numbers, energy_to: Numbers, loudness_from: Numbers, loudness_to: Numbers
    ) -> np.ndarray:
        """The whole cost of moving between tracks: energy step plus loudness step."""
        energy_cost, loudness_cost = self.step_terms(energy_from, energy_to, loudness_from, loudness_to)
        return energy_cost + loudness_cost

    def energy_step_ok(self, energy_from: Numbers, energy_to: Numbers) -> np.ndarray:
        """The energy step between neighbours stays within the arc's `max_energy_step`."""
        return self._energy_ok(np.asarray(energy_to) - energy_from)

    def loudness_step_ok(self, loudness_from: Numbers, loudness_to: Numbers) -> np.ndarray:
        """The loudness step stays within `max_loudness_step_lu`; an unknown (NaN) loudness passes."""
        return self._loudness_ok(np.abs(np.asarray(loudness_to) - loudness_from))

    @staticmethod
    def artist_ok(artist_from: np.ndarray | int, artist_to: np.ndarray) -> np.ndarray:
        """No artist twice in a row (unknown artists carry unique numbers, so they never repeat)."""
        return np.asarray(artist_to) != artist_from

    def step_allowed(
        self,
        energy_from: Numbers,
        energy_to: Numbers,
        loudness_from: Numbers,
        loudness_to: Numbers,
        artist_from: np.ndarray | int,
        artist_to: np.ndarray,
    ) -> np.ndarray:
        """Every hard limit between neighbours: energy step, loudness step (when known), artist change."""
        return self.transition(energy_from, energy_to, loudness_from, loudness_to, artist_from, artist_to)[1]

    def transition(
        self,
        energy_from: Numbers,
        energy_to: Numbers,
        loudness_from: Numbers,
        loudness_to: Numbers,
        artist_from: np.ndarray | int,
        artist_to: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """(cost, allowed) of moving between tracks, both from the same steps (the search's hot path)."""
        energy_step = np.asarray(energy_to) - energy_from
        loudness_step = np.abs(np.asarray(loudness_to) - loudness_from)
        energy_cost, loudness_cost = self._step_terms(energy_step, loudness_step)
        allowed = self._energy_ok(energy_step) & self._loudness_ok(loudness_step)
        return energy_cost + loudness_cost, allowed & self.artist_ok(artist_from, artist_to)

    def crossfade_cost(self, overlap_s: Numbers) -> np.ndarray:
        """Cost of each crossfade longer or shorter than the arc's preferred one."""
        return (
            self.rules.weights.crossfade
            * ((np.asarray(overlap_s) - self.arc.crossfade_s) / self.crossfade_span_s) ** 2
        )
