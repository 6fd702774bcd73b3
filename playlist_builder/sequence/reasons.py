"""The why-text of a placed track: a short sentence a clinician reads next to it in the plan."""

from __future__ import annotations

from dataclasses import dataclass

from playlist_builder.model import Category, Phase
from playlist_builder.sequence.rules import SequenceRules

# A last track faded out less than this many seconds early is not worth mentioning.
TRIM_WORTH_SAYING_S = 0.5


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
    if facts.trimmed_s > TRIM_WORTH_SAYING_S:
        parts.append(f"fades out {facts.trimmed_s:.0f} s before its end so the session ends on time")
    return "; ".join(parts)
