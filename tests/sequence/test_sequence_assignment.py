"""The assignment solver loaded from scipy's extension is scipy's own, and needs no scipy.optimize."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
from scipy.optimize import linear_sum_assignment as public

from playlist_builder.sequence.assignment import linear_sum_assignment


def test_same_assignment_as_the_public_function() -> None:
    rng = np.random.default_rng(5)
    for rows, cols in ((5, 5), (8, 20), (30, 12)):
        cost = rng.random((rows, cols))
        cost[rng.random((rows, cols)) < 0.2] = 1e9  # off-limits pairs, as the reservation step uses
        ours, theirs = linear_sum_assignment(cost), public(cost)
        assert np.array_equal(ours[0], theirs[0]) and np.array_equal(ours[1], theirs[1])


def test_loading_it_does_not_import_scipy_optimize() -> None:
    probe = (
        "import sys; from playlist_builder.sequence.assignment import linear_sum_assignment; "
        "print('scipy.optimize' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
