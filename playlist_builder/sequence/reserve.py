"""Looking ahead: a minimum-cost assignment of tracks to the arc's time slots, before any search.

The searches fill a session from its start, so on their own they spend on early phases tracks that a
later phase needs more: in a small library the few warm piano pieces that the closing `ground` phase
wants also fit the opening ones, and the close gets the leftovers. Before searching, each phase is cut
into slots about one track long, each with the arc's target energy at its middle, and a minimum-cost
assignment (scipy's `linear_sum_assignment`, one track per slot) gives every slot its best track.
Two things come out of it:
- a *reservation* price per track: how much the best assignment worsens when that track is taken
  away (the assignment re-solved without it). A search placing the track in an earlier phase than
  its slot's pays that price, so where material is scarce early phases leave it to the phase that
  needs it; in a large library the price is near zero and nothing changes. It is soft: a phase that
  cannot otherwise be filled or timed may still take a reserved track.
- the *outlook*: what the rest of the session costs at best from any moment, which lets the beam
  search compare partial plans that have reached different points on the clock.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from playlist_builder.sequence.cost import PLAY_UNIT_S, energy_rate
from playlist_builder.sequence.rules import SequenceRules
from playlist_builder.sequence.setup import Prepared

# A reservation price is capped at the cost of a 0.3 energy miss per play unit: beyond that the slot
# would be badly served anyway, and a larger number would only make early phases awkward.
PRICE_CAP = 9.0
# Assignment cost of a track in a slot of a phase that does not allow it (never chosen if avoidable).
_OFF_LIMITS = 1e6


@dataclass(frozen=True)
class Outlook:
    """The slot assignment: reservation prices per phase and the best cost of the time still to come."""

    prices: tuple[dict[int, float], ...]  # per phase: row -> price per play unit (rows reserved later)
    knots_s: np.ndarray  # slot edges on the session clock, ascending
    rest: np.ndarray  # at each knot: the assigned tracks' cost from there to the end

    def rest_cost(self, clock_s: np.ndarray) -> np.ndarray:
        """The least the session is expected to cost from each moment to its end (linear in between)."""
        return np.interp(clock_s, self.knots_s, self.rest)

    def pool_prices(self, prepared: Prepared) -> list[np.ndarray]:
        """The reservation prices aligned with each phase's pool (what `search.Search` takes)."""
        aligned = []
        for setup, prices in zip(prepared.setups, self.prices, strict=True):
            column = np.zeros(setup.pool.size)
            for row, price in prices.items():
                column[setup.pool == row] = price
            aligned.append(column)
        return aligned


def outlook(prepared: Prepared, rules: SequenceRules) -> Outlook:
    """Assign tracks to slots and derive reservation prices and the outlook."""
    setups = prepared.setups
    prices: tuple[dict[int, float], ...] = tuple({} for _ in setups)
    columns = np.unique(np.concatenate([setup.pool for setup in setups]))
    slot_phase, slot_target, starts, ends = _slots(prepared)
    if slot_phase.size == 0 or columns.size == 0:
        return Outlook(prices, np.zeros(1), np.zeros(1))
    cost = _slot_costs(prepared, rules, columns, slot_phase, slot_target)
    slots, picked = linear_sum_assignment(cost)
    real = cost[slots, picked] < _OFF_LIMITS
    rate = np.zeros(slot_phase.size)
    rate[slots[real]] = cost[slots[real], picked[real]]
    spent = rate * (ends - starts) / PLAY_UNIT_S  # slots are in clock order
    knots = np.append(starts, ends[-1])
    rest = np.append(np.cumsum(spent[::-1])[::-1], 0.0)
    if rules.search.reserve > 0:
        base = float(cost[slots, picked].sum())
        cap = PRICE_CAP * rules.weights.energy_fit
        for slot, column in zip(slots[real].tolist(), picked[real].tolist(), strict=True):
            if slot_phase[slot] == 0:
                continue  # nothing comes before the first phase
            price = min(_removal_cost(cost, column, base), cap) * rules.search.reserve
            if price <= 0:
                continue
            row = int(columns[column])
            for earlier in range(int(slot_phase[slot])):
                prices[earlier][row] = price
    return Outlook(prices, knots, rest)


def _removal_cost(cost: np.ndarray, column: int, base: float) -> float:
    """How much the best assignment worsens without one track (the assignment re-solved)."""
    saved = cost[:, column].copy()
    cost[:, column] = _OFF_LIMITS
    slots, picked = linear_sum_assignment(cost)
    worse = float(cost[slots, picked].sum()) - base
    cost[:, column] = saved
    return max(worse, 0.0)


def _slots(prepared: Prepared) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(phase index, target energy, start, end) of each slot: phases cut into track-sized slots."""
    phases: list[int] = []
    targets: list[float] = []
    bounds: list[tuple[float, float]] = []
    for setup in prepared.setups:
        if setup.pool.size == 0:
            continue
        typical = float(np.median(prepared.advance[setup.pool]))
        free = setup.length_s - float(prepared.advance[setup.pins].sum()) if setup.pins else setup.length_s
        count = max(round(free / max(typical, 1.0)), 1 if free > typical / 2 else 0)
        for slot in range(count):
            phases.append(setup.index)
            targets.append(float(prepared.costs.energy_line(setup.index, (slot + 0.5) / count)))
            step = setup.length_s / count
            bounds.append((setup.start_s + slot * step, setup.start_s + (slot + 1) * step))
    edges = np.array(bounds, dtype=np.float64).reshape(-1, 2)
    return np.array(phases, dtype=np.int64), np.array(targets), edges[:, 0], edges[:, 1]


def _slot_costs(
    prepared: Prepared,
    rules: SequenceRules,
    columns: np.ndarray,
    slot_phase: np.ndarray,
    slot_target: np.ndarray,
) -> np.ndarray:
    """cost[slot, column]: per play unit, energy fit at the slot's target plus the phase's static rate."""
    cost = np.full((slot_phase.size, columns.size), _OFF_LIMITS)
    energy = prepared.table.energy
    for setup in prepared.setups:
        mine = np.flatnonzero(slot_phase == setup.index)
        if mine.size == 0 or setup.pool.size == 0:
            continue
        where = np.searchsorted(columns, setup.pool)
        fit = energy_rate(energy[setup.pool][None, :], slot_target[mine][:, None], rules)
        cost[np.ix_(mine, where)] = fit + setup.static_rate[None, :]
    return cost
