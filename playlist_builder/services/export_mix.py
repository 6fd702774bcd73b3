"""The `export mix` use-case: a session as one continuous, loudness-matched file (FLAC, WAV or MP3)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from playlist_builder.config import Settings
from playlist_builder.db.library import Library
from playlist_builder.errors import InputError
from playlist_builder.export.atomic import check_writable
from playlist_builder.export.mix import FORMATS, MixOptions, MixResult, MixTrack, mix_to_file
from playlist_builder.export.pcm import MIX_RATES
from playlist_builder.export.rules import LOUDNESS_BAND_LUFS, load_export_rules
from playlist_builder.export.timeline import mix_overlaps
from playlist_builder.sequence.rules import load_sequence_rules
from playlist_builder.services.export_files import (
    LeftOut,
    SessionFiles,
    require_playable,
    session_files,
    track_label,
)
from playlist_builder.services.progress import ProgressCallback, ProgressEvent


@dataclass(frozen=True)
class MixExport:
    """Result of `export mix`: the file, its measured loudness and peak, and each track's gain."""

    mix: MixResult
    target_lufs: float
    ceiling_dbtp: float
    asked_rate: int | None
    left_out: tuple[LeftOut, ...]
    sync_id: int


def mix_tracks(files: SessionFiles) -> list[MixTrack]:
    """The playable items in order, each overlapping the previous one as export.timeline says."""
    plays = [item.duration_s for item, _track in files.playable]
    overlaps = mix_overlaps(plays, files.plan.target_minutes * 60)
    tracks = []
    for index, (item, track) in enumerate(files.playable):
        assert track.path is not None
        overlap = overlaps[index - 1] if index else 0.0
        tracks.append(MixTrack(Path(track.path), track_label(track), item.duration_s or None, overlap))
    return tracks


def _end_fades(
    files: SessionFiles, settings: Settings, fade_in_s: float | None, fade_out_s: float | None
) -> tuple[float, float]:
    """The session's opening and closing fades: as asked, else as the plan recorded them (the first
    item's fade-in and the last item's fade-out), else as rules/sequence.toml sets them now."""
    first, last = files.playable[0][0], files.playable[-1][0]
    planned_in = first.crossfade_in_s if first.position == 0 else 0.0
    planned_out = last.crossfade_out_s if last.position == len(files.plan.items) - 1 else 0.0
    if (fade_in_s is None and planned_in <= 0) or (fade_out_s is None and planned_out <= 0):
        limits = load_sequence_rules(settings.rules_dir).limits
        planned_in = planned_in if planned_in > 0 else limits.fade_in_s
        planned_out = planned_out if planned_out > 0 else limits.fade_out_s
    fade_in_s = planned_in if fade_in_s is None else fade_in_s
    fade_out_s = planned_out if fade_out_s is None else fade_out_s
    if fade_in_s < 0 or fade_out_s < 0:
        raise InputError("fade lengths cannot be negative")
    return fade_in_s, fade_out_s


def _check_request(out: Path, target_lufs: float, rate: int | None) -> None:
    """InputError for a request that cannot be met, before anything is read or rendered."""
    low, high = LOUDNESS_BAND_LUFS
    if not low <= target_lufs <= high:  # NaN fails this too
        raise InputError(
            f"loudness target {target_lufs:g} LUFS is outside {low:g}…{high:g} LUFS, the clinical band"
        )
    if out.suffix.lower() not in FORMATS:
        raise InputError(f"{out.name}: a mix file must end in {', '.join(FORMATS)}")
    if rate is not None and rate not in MIX_RATES:
        raise InputError(f"the mix rate must be {' or '.join(str(r) for r in MIX_RATES)} Hz, not {rate}")


def export_mix(
    library: Library,
    settings: Settings,
    session_id: int,
    out: Path,
    *,
    target_lufs: float | None = None,
    fade_in_s: float | None = None,
    fade_out_s: float | None = None,
    rate: int | None = None,
    progress: ProgressCallback | None = None,
) -> MixExport:
    """Render a session into one loudness-matched file with gentle changes of track.

    Loudness target, ceiling and fades come from rules/ unless given. The output folder is checked
    first, so a mix that cannot be written fails at once rather than after rendering. The mix lasts
    what the tracks played back to back last (see export.timeline), and is rendered at 44.1 or
    48 kHz, never below the best source.
    """
    rules = load_export_rules(settings.rules_dir)
    target = rules.loudness.target_lufs if target_lufs is None else target_lufs
    _check_request(out, target, rate)
    out = Path(os.path.abspath(out))
    check_writable(out)
    files = session_files(library, session_id)
    require_playable(files, "a mix")
    fade_in_s, fade_out_s = _end_fades(files, settings, fade_in_s, fade_out_s)
    options = MixOptions(
        target_lufs=target,
        ceiling_dbtp=rules.loudness.true_peak_ceiling_dbtp,
        max_gain_db=rules.loudness.max_gain_db,
        fade_in_s=fade_in_s,
        fade_out_s=fade_out_s,
        boundary_fade_s=rules.mix.boundary_fade_s,
        trim_fade_s=rules.mix.trim_fade_s,
        rate=rate,
    )

    def on_progress(done_s: float, total_s: float, label: str) -> None:
        if progress is not None:
            progress(ProgressEvent(done=round(done_s), total=max(round(total_s), round(done_s)), item=label))

    result = mix_to_file(mix_tracks(files), out, options, on_progress)
    sync_id = library.record_sync(
        session_id,
        "mix",
        str(out),
        details={
            "target_lufs": target,
            "integrated_lufs": round(result.integrated_lufs, 2),
            "true_peak_dbtp": round(result.true_peak_dbtp, 2),
            "duration_s": round(result.duration_s, 2),
            "rate": result.rate,
            "gains_db": [round(level.gain_db, 2) for level in result.levels],
            "left_out": [item.track_id for item in files.left_out],
        },
    )
    return MixExport(result, target, rules.loudness.true_peak_ceiling_dbtp, rate, files.left_out, sync_id)
