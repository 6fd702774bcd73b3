"""The sequencer's one tolerance, in a module of its own so that reading an arc file loads no numpy."""

from __future__ import annotations

# Computed seconds, energies and costs within this of a limit count as on it (float sums of a few dozen
# durations are exact to far better than this).
EPSILON = 1e-9
