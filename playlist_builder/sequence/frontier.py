"""The search step, vectorised: the best next tracks for one or many partial plans at once.

For partial plans filling the same phase, the options are the unused pool tracks that keep the
transition limits with the plan's last track and leave a remainder of the phase that can still be
filled, cheapest first by their cost per play unit (energy fit where the track would play, its
category/tempo/variety rate, its reservation price, and the transition spread over its length).
The depth-first walk asks for one plan at a time; the beam search asks for many in one
(plans x pool) array operation, which is what keeps a wide beam fast.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from playlist_builder.sequence.cost import PLAY_UNIT_S
from playlist_builder.sequence.setup import PhaseSetup, Prepared, residual_index


@dataclass(frozen=True)
class PoolColumns:
    """One phase's pool as contiguous columns, so the hot loop gathers nothing from the whole table."""

    rows: np.ndarray
    sorted_rows: np.ndarray  # the pool's rows in ascending order...
    sorted_at: np.ndarray  # ...and where each sits in the pool
    advance: np.ndarray
    duration: np.ndarray
    energy: np.ndarray
    loudness: np.ndarray
    artist: np.ndarray
    rate: np.ndarray  # category + tempo + variety - familiarity, per play unit
    price: np.ndarray  # reservation price per play unit (reserve.py)


@dataclass(frozen=True)
class Heads:
    """The partial plans being extended, as arrays: one entry (or row) per plan."""

    clock: np.ndarray  # where each plan's next track starts (sum of advances)
    free: np.ndarray  # time each plan still has to fill in the phase
    last: np.ndarray  # each plan's last row, -1 for an empty plan
    used: np.ndarray  # (plans x pool): pool tracks each plan already holds


@dataclass(frozen=True)
class Options:
    """The chosen options: which plan each extends, the row, its cost terms and its reservation price."""

    plan: np.ndarray
    rows: np.ndarray
    cost: np.ndarray
    paid: np.ndarray


def pool_columns(prepared: Prepared, setup: PhaseSetup, prices: np.ndarray) -> PoolColumns:
    """The columns of one phase's pool, with the reservation prices aligned to it."""
    table, pool = prepared.table, setup.pool
    return PoolColumns(
        rows=pool,
        sorted_rows=pool[np.argsort(pool, kind="stable")],
        sorted_at=np.argsort(pool, kind="stable"),
        advance=prepared.advance[pool],
        duration=table.duration_s[pool],
        energy=table.energy[pool],
        loudness=table.loudness_lufs[pool],
        artist=table.artist[pool],
        rate=setup.static_rate,
        price=prices,
    )


def used_matrix(columns: PoolColumns, plans: list[tuple[int, ...]]) -> np.ndarray:
    """(plans x pool): which pool tracks each plan (given as its rows) already holds."""
    used = np.zeros((len(plans), columns.rows.size), dtype=bool)
    lengths = [len(rows) for rows in plans]
    flat = np.fromiter((row for rows in plans for row in rows), dtype=np.int64, count=sum(lengths))
    if flat.size == 0 or columns.rows.size == 0:
        return used
    plan = np.repeat(np.arange(len(plans)), lengths)
    where = np.minimum(np.searchsorted(columns.sorted_rows, flat), columns.rows.size - 1)
    found = columns.sorted_rows[where] == flat
    used[plan[found], columns.sorted_at[where[found]]] = True
    return used


def best_options(
    columns: PoolColumns, setup: PhaseSetup, heads: Heads, prepared: Prepared, branching: int
) -> Options:
    """Up to `branching` options per plan, each plan's best first (plans with none get none)."""
    size = columns.rows.size
    if size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Options(empty, empty, np.zeros(0), np.zeros(0))
    mask = fillable(columns, setup, heads) & ~heads.used
    steps, fine = _transitions(columns, heads, prepared)
    mask &= fine
    middle = heads.clock[:, None] + columns.advance[None, :] / 2
    costs = prepared.costs
    rate = costs.energy_rate(columns.energy[None, :], costs.target(setup.index, middle))
    rate += columns.rate[None, :]
    score = np.where(mask, rate + columns.price + steps * PLAY_UNIT_S / columns.duration, np.inf)
    count = min(branching, size)
    best = np.argpartition(score, count - 1, axis=1)[:, :count]
    chosen = np.take_along_axis(score, best, axis=1)
    order = np.argsort(chosen, axis=1, kind="stable")
    best = np.take_along_axis(best, order, axis=1)
    plan, rank = np.nonzero(np.isfinite(np.take_along_axis(chosen, order, axis=1)))
    column = best[plan, rank]
    share = columns.duration[column] / PLAY_UNIT_S
    return Options(
        plan=plan,
        rows=columns.rows[column],
        cost=rate[plan, column] * share + steps[plan, column],
        paid=columns.price[column] * share,
    )


def fillable(columns: PoolColumns, setup: PhaseSetup, heads: Heads) -> np.ndarray:
    """(plans x pool): taking the track leaves a remainder of the phase that can still be filled."""
    index = residual_index(heads.free[:, None] - columns.advance[None, :], setup.close_low_s)
    reach = setup.reach
    inside = (index >= 0) & (index < reach.size)
    fits = index >= reach.size  # more room left than the look-ahead covers: plenty
    fits[inside] = reach[index[inside]]
    return fits & (heads.free > setup.close_high_s)[:, None]


def _transitions(columns: PoolColumns, heads: Heads, prepared: Prepared) -> tuple[np.ndarray, np.ndarray]:
    """(plans x pool): the step cost from each plan's last track, and whether the hard limits hold."""
    table = prepared.table
    started = heads.last >= 0
    last = np.where(started, heads.last, 0)
    steps, fine = prepared.costs.transition(
        table.energy[last][:, None],
        columns.energy[None, :],
        table.loudness_lufs[last][:, None],
        columns.loudness[None, :],
        table.artist[last][:, None],
        columns.artist[None, :],
    )
    fine[~started] = True
    steps[~started] = 0.0
    return steps, fine
