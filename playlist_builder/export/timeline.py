"""How long a session plays in each exported form, and where each track starts (pure).

A playlist, a device copy and Spotify play every track whole, one after another: the session lasts
the sum of the track lengths, and the sequencer plans that sum to the length the clinician asked
for. The continuous mix plays the same tracks, and overlaps neighbours only by what they run over
that length (spread evenly over the changes of track), so it lasts the asked length too; each change
of track is otherwise a short fade-out and fade-in (rules/export.toml `mix.boundary_fade_s`).
"""

from __future__ import annotations

from collections.abc import Sequence

PLAYLIST = "playlist"  # whole tracks back to back: M3U, device copy, Spotify
MIX = "mix"  # the continuous mix
FORMS = (PLAYLIST, MIX)
FORM_NAMES = {PLAYLIST: "played back to back (playlist, device copy, Spotify)", MIX: "the continuous mix"}


def mix_overlaps(plays_s: Sequence[float], target_s: float) -> list[float]:
    """Seconds each track overlaps the previous one in the mix (one per change of track).

    The overlaps add up to what the tracks run over `target_s` (nothing when they run under), spread
    evenly, none longer than half of either neighbour; so the mix is never further from the target
    than the tracks played back to back.
    """
    count = len(plays_s) - 1
    if count <= 0:
        return []
    excess = sum(plays_s) - target_s
    caps = [min(plays_s[i], plays_s[i + 1]) / 2 for i in range(count)]
    overlaps = [0.0] * count
    free = [i for i in range(count) if caps[i] > 0]
    while excess > 1e-6 and free:
        share = excess / len(free)
        still_free = []
        for i in free:
            step = min(share, caps[i] - overlaps[i])
            overlaps[i] += step
            excess -= step
            if overlaps[i] < caps[i] - 1e-9:
                still_free.append(i)
        free = still_free
    return overlaps


def start_times(plays_s: Sequence[float], overlaps_s: Sequence[float] = ()) -> list[float]:
    """Where each track starts: after the previous one, less their overlap (none: back to back)."""
    starts, clock = [], 0.0
    for index, play in enumerate(plays_s):
        if index:
            clock -= overlaps_s[index - 1] if overlaps_s else 0.0
        starts.append(clock)
        clock += play
    return starts


def total_length(plays_s: Sequence[float], overlaps_s: Sequence[float] = ()) -> float:
    """How long the form plays: every track, less the overlaps."""
    return sum(plays_s) - sum(overlaps_s)
