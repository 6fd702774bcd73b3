"""Loudness numbers of the mix, in a module light enough for the CLI to import for its options."""

from __future__ import annotations

DEFAULT_TARGET_LUFS = -20.0  # calm music at a comfortable headphone level, with headroom to spare
MIN_TARGET_LUFS = -23.0  # EBU R128 programme level; quieter makes small players hiss when turned up
MAX_TARGET_LUFS = -16.0  # streaming level; louder leaves calm music too little room under the ceiling
TRUE_PEAK_CEILING_DBTP = -1.0  # EBU R128 / streaming practice: room for lossy encoders' overshoot
