"""The energy score: one number 0..1 ordering tracks from stillest to most active.

energy = 0.35·loudness + 0.25·density + 0.20·brightness + 0.20·pace, where each part is 0..1:
- loudness: integrated loudness, -40 LUFS → 0 (barely audible bed) … -10 LUFS → 1 (loud modern master);
- density: onsets per second on a log scale, 0 → 0 … 8 per second → 1 (busy percussion);
- brightness: spectral centroid on a log (octave) scale, 250 Hz → 0 (dark drone) … 4 kHz → 1 (bright);
- pace: tempo, 50 BPM → 0 … 170 BPM → 1, scaled by pulse clarity (an unclear pulse drives nothing).
Every part is a clipped, non-decreasing function of its input and the weights are positive, so the
score never falls when a track gets louder, denser, brighter or faster (or its pulse clearer).
The weights put loudness first because it is what a listener notices first between two tracks.

`session_energy` is the same score with the loudness part taken at SESSION_LUFS, the level the session
mix brings every track to: how active the music itself is, whatever level it was mastered at (a gentle
guitar pattern mastered at -14 LUFS, as many releases are, is no busier in a session than one at -23).
The classifier judges "calm music" on it; the arc orders tracks by `energy_score`.
Changing any number here changes stored results: bump FEATURES_VERSION in audio/version.py.
"""

from __future__ import annotations

import math

LOUDNESS_WEIGHT = 0.35
DENSITY_WEIGHT = 0.25
BRIGHTNESS_WEIGHT = 0.20
PACE_WEIGHT = 0.20

QUIET_LUFS = -40.0
LOUD_LUFS = -10.0
BUSY_ONSETS_PER_S = 8.0
DARK_CENTROID_HZ = 250.0
BRIGHT_CENTROID_HZ = 4000.0
SLOW_BPM = 50.0
FAST_BPM = 170.0
SESSION_LUFS = -20.0  # rules/export.toml's default mix level


def _ramp(value: float, zero_at: float, one_at: float) -> float:
    """Linear 0..1 between two reference points, clipped (NaN counts as 0)."""
    if value != value:
        return 0.0
    return min(1.0, max(0.0, (value - zero_at) / (one_at - zero_at)))


def energy_parts(
    integrated_lufs: float,
    onset_rate_hz: float,
    spectral_centroid_hz: float,
    tempo_bpm: float | None,
    pulse_clarity: float,
) -> dict[str, float]:
    """The four 0..1 parts of the energy score."""
    density = math.log2(1.0 + max(0.0, onset_rate_hz)) / math.log2(1.0 + BUSY_ONSETS_PER_S)
    brightness = _ramp(
        math.log2(max(spectral_centroid_hz, 1.0)), math.log2(DARK_CENTROID_HZ), math.log2(BRIGHT_CENTROID_HZ)
    )
    tempo = _ramp(tempo_bpm, SLOW_BPM, FAST_BPM) if tempo_bpm is not None else 0.0
    return {
        "loudness": _ramp(integrated_lufs, QUIET_LUFS, LOUD_LUFS),
        "density": min(1.0, density),
        "brightness": brightness,
        "pace": tempo * min(1.0, max(0.0, pulse_clarity)),
    }


def energy_score(
    integrated_lufs: float,
    onset_rate_hz: float,
    spectral_centroid_hz: float,
    tempo_bpm: float | None,
    pulse_clarity: float,
) -> float:
    """Energy 0..1 (see the module docstring for the formula and why it is monotone)."""
    parts = energy_parts(integrated_lufs, onset_rate_hz, spectral_centroid_hz, tempo_bpm, pulse_clarity)
    score = (
        LOUDNESS_WEIGHT * parts["loudness"]
        + DENSITY_WEIGHT * parts["density"]
        + BRIGHTNESS_WEIGHT * parts["brightness"]
        + PACE_WEIGHT * parts["pace"]
    )
    return round(min(1.0, max(0.0, score)), 4)


def session_energy(
    onset_rate_hz: float, spectral_centroid_hz: float, tempo_bpm: float | None, pulse_clarity: float
) -> float:
    """Energy 0..1 of the track played at SESSION_LUFS (see the module docstring)."""
    return energy_score(SESSION_LUFS, onset_rate_hz, spectral_centroid_hz, tempo_bpm, pulse_clarity)
