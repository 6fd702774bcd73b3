"""Fitting the clock: crossfades and the last track's early fade land the session on time."""

from __future__ import annotations

import pytest
from sequence_fixtures import REPO_RULES

from playlist_builder.sequence.rules import load_sequence_rules
from playlist_builder.sequence.timing import fit_timing

LIMITS = load_sequence_rules(REPO_RULES).limits


def test_exact_fit_keeps_the_preferred_crossfade() -> None:
    # Two phases of 600 s each: with 8 s crossfades these tracks make exactly 600 + 600 s.
    timing = fit_timing([308.0, 308.0, 304.0, 304.0], [0, 0, 1, 1], [0.5, 0.5], 1200.0, 8.0, LIMITS)
    assert timing is not None
    assert timing.total_s == pytest.approx(1200.0)
    assert timing.overlaps_s == pytest.approx((8.0, 8.0, 8.0))
    assert timing.trim_s == 0
    assert timing.starts_s[2] == pytest.approx(600.0)


def test_short_selection_is_stretched_by_shorter_crossfades() -> None:
    timing = fit_timing([300.0, 300.0, 300.0, 300.0], [0, 0, 1, 1], [0.5, 0.5], 1190.0, 8.0, LIMITS)
    assert timing is not None
    assert timing.total_s == pytest.approx(1190.0)
    assert all(LIMITS.crossfade_min_s <= o <= LIMITS.crossfade_max_s for o in timing.overlaps_s)


def test_long_selection_fades_the_last_track_out_early() -> None:
    # 40 s too long even with the longest crossfades: the last track fades out early.
    timing = fit_timing([330.0, 330.0, 330.0, 330.0], [0, 0, 1, 1], [0.5, 0.5], 1240.0, 8.0, LIMITS)
    assert timing is not None
    assert timing.total_s == pytest.approx(1240.0)
    assert 0 < timing.trim_s <= LIMITS.max_final_trim_s


def test_impossible_fit_returns_none() -> None:
    assert fit_timing([300.0, 300.0], [0, 1], [0.5, 0.5], 900.0, 8.0, LIMITS) is None
    assert fit_timing([300.0, 300.0], [0, 0], [0.5, 0.5], 600.0, 8.0, LIMITS) is None  # a phase is empty
    assert fit_timing([], [], [1.0], 600.0, 8.0, LIMITS) is None
