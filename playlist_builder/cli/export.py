"""`export` commands: a session as an M3U8 playlist, a copy on a USB stick/SD card, or one continuous mix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from playlist_builder.cli.common import (
    AppContext,
    echo_json,
    format_duration,
    json_option,
    pass_app,
    progress_reporter,
    warn,
)

SHORT_OF_TARGET_LU = 1.0  # tell the clinician about a track audibly quieter than the rest
MIX_RATES = ("44100", "48000")  # export/pcm.py MIX_RATES, as click choices (the CLI imports no audio code)


@click.group(name="export")
def group() -> None:
    """Export a session for clinic devices: playlist, device copy, continuous mix.

    \b
    Example:
      playlist-builder export m3u 3 --out ~/Sessions/session-3.m3u8
      playlist-builder export device 3 --to /media/usb --transcode mp3
      playlist-builder export mix 3 --out ~/Sessions/session-3.flac
    """


def _warn_left_out(left_out: tuple[Any, ...]) -> None:
    """Say how many items could not be exported as files, and which."""
    if not left_out:
        return
    spotify = sum(1 for item in left_out if item.reason == "spotify-only")
    other = len(left_out) - spotify
    parts = []
    if spotify:
        parts.append(f"{spotify} Spotify-only track(s)")
    if other:
        parts.append(f"{other} track(s) without a local file")
    warn(f"{' and '.join(parts)} left out (a file export cannot hold them):")
    for item in left_out:
        click.echo(f"  #{item.position + 1} {item.label} ({item.reason})", err=True)


@group.command("m3u")
@click.argument("session_id", metavar="SESSION", type=int)
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Playlist file to write (.m3u8 UTF-8, or .m3u Latin-1).",
)
@click.option(
    "--absolute", is_flag=True, help="Write absolute paths instead of paths relative to the playlist."
)
@click.option(
    "--prefix",
    metavar="ROOT",
    help="Write paths under ROOT (the device's music root) followed by each file's path in the library.",
)
@click.option(
    "--format",
    "format_name",
    type=click.Choice(["m3u8", "m3u"]),
    help="Override the format chosen by the file extension.",
)
@json_option
@pass_app
def m3u(
    app: AppContext, session_id: int, out: Path, absolute: bool, prefix: str | None, format_name: str | None
) -> None:
    """Write a session as a playlist of its local files (written atomically).

    Paths are relative to the playlist's folder with `/` separators unless --absolute or --prefix is
    given. Spotify-only tracks cannot be in a file playlist: they are listed and left out.

    \b
    Example:
      playlist-builder export m3u 3 --out /media/usb/session.m3u8
      playlist-builder export m3u 3 --out list.m3u8 --prefix /sdcard/Music
    """
    from playlist_builder.services.export_m3u import export_m3u

    if absolute and prefix:
        raise click.UsageError("--absolute and --prefix exclude each other: choose one")
    result = export_m3u(
        app.library, app.settings, session_id, out, absolute=absolute, prefix=prefix, format_name=format_name
    )
    if app.json:
        echo_json(
            {
                "path": result.path,
                "entries": result.entries,
                "duration_s": result.duration_s,
                "left_out": result.left_out,
            }
        )
        return
    _warn_left_out(result.left_out)
    click.echo(f"Wrote {result.path}: {result.entries} tracks, {format_duration(result.duration_s)}")


@group.command("device")
@click.argument("session_id", metavar="SESSION", type=int)
@click.option(
    "--to",
    "to_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The mounted card or stick (a session folder is created inside).",
)
@click.option(
    "--transcode",
    type=click.Choice(["mp3", "aac"]),
    help="Convert FLAC/Ogg/Opus for players that cannot play them.",
)
@click.option(
    "--dry-run", is_flag=True, help="Show what would be copied and the space needed; write nothing."
)
@json_option
@pass_app
def device(app: AppContext, session_id: int, to_dir: Path, transcode: str | None, dry_run: bool) -> None:
    """Copy a session's files and its playlist onto a USB stick or SD card.

    Names are made safe for FAT32/exFAT and numbered in play order; free space is checked first;
    files already there and identical are skipped; every copy is verified and appears only once
    complete.

    \b
    Example:
      playlist-builder export device 3 --to /media/usb --dry-run
      playlist-builder export device 3 --to /media/usb --transcode mp3
    """
    from playlist_builder.services.export_device import export_device

    with progress_reporter("copying") as progress:
        result = export_device(
            app.library,
            app.settings,
            session_id,
            to_dir,
            transcode=transcode,
            dry_run=dry_run,
            progress=None if app.json else progress,
        )
    if app.json:
        echo_json(
            {
                "folder": result.folder,
                "playlist": result.playlist,
                "sheet": result.sheet,
                "dry_run": result.dry_run,
                "files": result.files,
                "needed_bytes": result.needed_bytes,
                "free_bytes": result.free_bytes,
                "left_out": result.left_out,
            }
        )
        return
    _warn_left_out(result.left_out)
    if result.dry_run:
        for outcome in result.files:
            click.echo(f"would {outcome.action:<9} {outcome.name}")
        click.echo(f"would write {result.playlist}")
        click.echo(f"would write {result.sheet}")
        click.echo(f"needs {result.needed_bytes / 1e6:,.1f} MB, {result.free_bytes / 1e6:,.1f} MB free")
        return
    counts = {
        action: sum(1 for o in result.files if o.action == action)
        for action in ("copied", "transcoded", "skipped")
    }
    summary = ", ".join(f"{count} {action}" for action, count in counts.items() if count)
    click.echo(f"Wrote {result.playlist} and {len(result.files)} files ({summary}) in {result.folder}")
    click.echo(f"Session sheet: {result.sheet}")


@group.command("mix")
@click.argument("session_id", metavar="SESSION", type=int)
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The mix file: .flac, .wav or .mp3.",
)
@click.option(
    "--target",
    "target_lufs",
    type=float,
    metavar="LUFS",
    help="Loudness every track is matched to, -23 to -18 (default: rules/export.toml).",
)
@click.option(
    "--fade-in",
    "fade_in_s",
    type=click.FloatRange(0, 120),
    metavar="SECONDS",
    help="Opening fade (default: as planned).",
)
@click.option(
    "--fade-out",
    "fade_out_s",
    type=click.FloatRange(0, 600),
    metavar="SECONDS",
    help="Closing fade (default: as planned).",
)
@click.option(
    "--rate",
    type=click.Choice(MIX_RATES),
    help="Sample rate in Hz (default: 44100, 48000 if a source is higher; never below the best source).",
)
@click.option(
    "--sheet",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the session sheet (.html or .md) with the mix's times.",
)
@json_option
@pass_app
def mix(
    app: AppContext,
    session_id: int,
    out: Path,
    target_lufs: float | None,
    fade_in_s: float | None,
    fade_out_s: float | None,
    rate: str | None,
    sheet: Path | None,
) -> None:
    """Render a session into one continuous, level-matched file that lasts the length asked for.

    Every track is brought to one loudness (true peak kept under the ceiling of rules/export.toml),
    each change of track fades gently (overlapping only what the tracks run over the length asked
    for), and the session fades in and out. The output folder is checked before any work; the file
    is measured as it is written.

    \b
    Example:
      playlist-builder export mix 3 --out session-3.flac
      playlist-builder export mix 3 --out session-3.mp3 --target -23 --sheet session-3.html
    """
    from playlist_builder.services.export_mix import export_mix
    from playlist_builder.services.export_sheet import SHEET_FORMATS, write_session_sheet

    if sheet is not None and sheet.suffix.lower() not in SHEET_FORMATS:
        raise click.BadParameter("the sheet must be a .html or .md file", param_hint="--sheet")

    with progress_reporter("mixing (s of audio)") as progress:
        result = export_mix(
            app.library,
            app.settings,
            session_id,
            out,
            target_lufs=target_lufs,
            fade_in_s=fade_in_s,
            fade_out_s=fade_out_s,
            rate=int(rate) if rate else None,
            progress=None if app.json else progress,
        )
    written = result.mix
    if sheet is not None:
        sheet = write_session_sheet(app.library, app.settings, session_id, sheet, form="mix")
    if app.json:
        echo_json(
            {
                "path": written.path,
                "sheet": sheet,
                "duration_s": written.duration_s,
                "rate": written.rate,
                "target_lufs": result.target_lufs,
                "integrated_lufs": written.integrated_lufs,
                "true_peak_dbtp": written.true_peak_dbtp,
                "tracks": written.levels,
                "left_out": result.left_out,
            }
        )
        return
    _warn_left_out(result.left_out)
    if result.asked_rate is not None and written.rate != result.asked_rate:
        warn(f"rendered at {written.rate} Hz, not {result.asked_rate}: a source is better than that")
    for level in written.levels:
        under = result.target_lufs - level.lufs - level.gain_db
        if under > SHORT_OF_TARGET_LU:
            why = (
                f"to keep its peaks under {result.ceiling_dbtp:g} dBTP"
                if level.peak_limited
                else "(too quiet to lift further)"
            )
            warn(f"{level.label} plays {under:.1f} LU under the target {why}")
    click.echo(
        f"Wrote {written.path}: {format_duration(written.duration_s)} at {written.rate} Hz, "
        f"{written.integrated_lufs:.1f} LUFS (target {result.target_lufs:g}), "
        f"true peak {written.true_peak_dbtp:.1f} dBTP"
    )
    if sheet is not None:
        click.echo(f"Session sheet (the mix's times): {sheet}")
