"""Damaged audio: the one rule that says whether a local file's audio is damaged, and where.

A file is damaged when its analysis found damage anywhere in it (a decoder error, a click from a
flipped bit, samples that are not numbers, a checksum or an end-of-stream mark that fails: see
`audio/damage.py`), or when its audio does not decode to the length its header states. The length
tolerance is data (`rules/analysis.toml`, every key required); the decision is a pure function of
the stated length and the analysis. Every reason says what and where, so a clinician can listen there.
Analyse, review, `library show`, the demo and the web app all show the reason this function gives.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from playlist_builder.model import AudioProblem, Features, ProblemKind
from playlist_builder.tomlfile import TomlDoc, read_toml

ANALYSIS_RULES_FILE = "analysis.toml"
_KEYS = (
    "exact_length_tolerance_s",
    "estimated_length_tolerance_s",
    "estimated_length_tolerance_share",
    "estimated_length_tolerance_max_s",
)
# Containers whose stated length is an exact count of samples (WAV, AIFF, FLAC, Ogg and their kin, as
# libsndfile names them); any other (MP3, and what only ffmpeg reads) has an estimated length.
_ESTIMATED_CONTAINERS = ("MP3", "MPEG")


@dataclass(frozen=True)
class DamageRules:
    """How far decodable audio may fall short of the stated length.

    Exact lengths: `exact_length_tolerance_s`. Estimated lengths (MP3, formats only ffmpeg reads):
    the larger of `estimated_length_tolerance_s` and `estimated_length_tolerance_share` of the stated
    length, the share capped at `estimated_length_tolerance_max_s`.
    """

    exact_length_tolerance_s: float
    estimated_length_tolerance_s: float
    estimated_length_tolerance_share: float
    estimated_length_tolerance_max_s: float


def _finite(doc: TomlDoc, path: tuple[str, ...], low: float, high: float) -> float:
    value = doc.number(path, low=low, high=high)
    if not math.isfinite(value):
        raise doc.error(path, f"must be a finite number, not {value!r}")
    return value


def load_damage_rules(rules_dir: Path) -> DamageRules:
    """The damage tolerances from `analysis.toml` in `rules_dir` (ConfigError names file, key, line)."""
    doc = read_toml(Path(rules_dir) / ANALYSIS_RULES_FILE)
    doc.only_keys(("damage",), _KEYS)
    return DamageRules(
        exact_length_tolerance_s=_finite(doc, ("damage", "exact_length_tolerance_s"), 0.0, 1.0),
        estimated_length_tolerance_s=_finite(doc, ("damage", "estimated_length_tolerance_s"), 0.0, 5.0),
        estimated_length_tolerance_share=_finite(
            doc, ("damage", "estimated_length_tolerance_share"), 0.0, 0.1
        ),
        estimated_length_tolerance_max_s=_finite(
            doc, ("damage", "estimated_length_tolerance_max_s"), 0.0, 60.0
        ),
    )


def length_tolerance(stated_s: float, audio_format: str, rules: DamageRules) -> float:
    """Seconds the decodable audio may fall short of `stated_s` for a file of `audio_format`."""
    container, slash, _ = audio_format.upper().partition("/")
    if slash and container not in _ESTIMATED_CONTAINERS:
        return rules.exact_length_tolerance_s
    share = min(rules.estimated_length_tolerance_share * stated_s, rules.estimated_length_tolerance_max_s)
    return max(rules.estimated_length_tolerance_s, share)


def damage_reason(stated_s: float | None, features: Features, rules: DamageRules) -> str | None:
    """Why a file is damaged (what, and where), or None when its audio is intact."""
    reasons = [problem_reason(problem) for problem in features.decode_problems]
    decodable_s = max(0.0, features.duration_s)
    stated = stated_s is not None and math.isfinite(stated_s) and stated_s > 0
    if stated and stated_s - decodable_s > length_tolerance(stated_s, features.audio_format, rules):
        share = decodable_s / stated_s
        reasons.insert(
            0,
            f"audio ends at {position(decodable_s)} of {position(stated_s)} ({share:.0%}): "
            "the file is truncated or corrupt",
        )
    return "; ".join(reasons) if reasons else None


def problem_reason(problem: AudioProblem) -> str:
    """One problem in words, with where it is."""
    more = f", {problem.count} in all" if problem.count > 1 else ""
    at = position(problem.start_s) if problem.start_s is not None else None
    if problem.kind == ProblemKind.DECODER_ERROR:
        where = f" at {at}" if at else ""
        return f"decoder error{where} ({problem.detail}){more}"
    if problem.kind == ProblemKind.CLICKS:
        peak = position(problem.peak_s if problem.peak_s is not None else problem.start_s or 0.0)
        level = problem.detail.removeprefix("the largest ")
        if problem.count == 1:
            return f"a click at {peak} ({level}): a damaged sample"
        return f"{problem.count} clicks from {at}, the largest at {peak} ({level})"
    if problem.kind == ProblemKind.NON_FINITE:
        samples = "sample" if problem.count == 1 else "samples"
        return f"{problem.count} {samples} that are not numbers (NaN or infinity) from {at}"
    if problem.kind == ProblemKind.CUT_SHORT:
        return f"cut short: {problem.detail}"
    if problem.kind == ProblemKind.CHECKSUM and at:
        return f"{problem.detail}, the first at {at}"
    where = f" at {at}" if at else ""
    return f"{problem.kind}{where}: {problem.detail}" if problem.detail else f"{problem.kind}{where}"


def position(seconds: float) -> str:
    """A position in a track to the tenth of a second: 0:41.0, 12:03.5, 1:02:03.4."""
    tenths = max(0, round(seconds * 10))
    whole, tenth = divmod(tenths, 10)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}.{tenth}"
    return f"{minutes}:{secs:02d}.{tenth}"
