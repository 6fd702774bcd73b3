"""`analyze`: listen to every new or changed local track once and store its audio features."""

from __future__ import annotations

from typing import Any

import click

from playlist_builder.cli.common import AppContext, echo_json, json_option, pass_app, progress_reporter, warn
from playlist_builder.services.analyze import AnalyzeReport, analyze_library
from playlist_builder.services.workers import cpu_count

MAX_FAILURES_SHOWN = 20


@click.command(name="analyze")
@click.argument("track_ids", nargs=-1, type=click.IntRange(min=1), metavar="[TRACK_ID]...")
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Analyse this many files at once, one worker process each (default: the number of CPU cores).",
)
@click.option("--force", is_flag=True, help="Analyse again even files whose analysis is up to date.")
@json_option
@pass_app
def command(app: AppContext, track_ids: tuple[int, ...], jobs: int | None, force: bool) -> None:
    """Measure loudness, energy, binaural beats, nature sounds and voice in local tracks.

    Only new or changed files are analysed, and everything again after an analyser upgrade. Files
    that cannot be decoded are listed with the reason; the run goes on. Interrupting (Ctrl-C) keeps
    every track finished so far. Give track ids to analyse just those.

    \b
    Example:
      playlist-builder analyze
      playlist-builder analyze --jobs 1
      playlist-builder analyze --force 12 15
    """
    with progress_reporter("analysing") as progress:
        result = analyze_library(
            app.library,
            app.settings,
            jobs=jobs or cpu_count(),
            force=force,
            track_ids=list(track_ids) or None,
            progress=None if app.json else progress,
        )
    if app.json:
        echo_json(_summary(result))
        return
    _print(result)


def _summary(result: AnalyzeReport) -> dict[str, Any]:
    """The report as plain JSON data."""
    return {
        "analyzer_version": result.analyzer_version,
        "total": result.total,
        "analysed": result.analysed,
        "reheard": result.reheard,
        "skipped": result.skipped,
        "failed": result.failed,
        "audio_seconds": result.audio_seconds,
        "elapsed_s": result.elapsed_s,
        "failures": [
            {"track_id": failure.track_id, "path": failure.path, "reason": failure.reason}
            for failure in result.failures
        ],
        "damaged": [
            {"track_id": damaged.track_id, "path": damaged.path, "reason": damaged.reason}
            for damaged in result.damaged
        ],
    }


def _print(result: AnalyzeReport) -> None:
    """A short human summary, then failures (capped)."""
    speed = f", {result.audio_seconds / result.elapsed_s:.0f}x real time" if result.elapsed_s > 0 else ""
    reheard = f" ({result.reheard} heard again by a new version of an ear only)" if result.reheard else ""
    click.echo(
        f"analysed {result.analysed}{reheard}, up to date {result.skipped}, failed {result.failed} "
        f"({result.elapsed_s:.1f} s{speed if result.analysed else ''}; analyser {result.analyzer_version})"
    )
    for failure in result.failures[:MAX_FAILURES_SHOWN]:
        warn(f"track {failure.track_id}: {failure.reason}")
    hidden = len(result.failures) - MAX_FAILURES_SHOWN
    if hidden > 0:
        warn(f"... and {hidden} more failures (see --json)")
    for damaged in result.damaged[:MAX_FAILURES_SHOWN]:
        warn(f"track {damaged.track_id} is damaged, never used in a session: {damaged.reason}")
    if len(result.damaged) > MAX_FAILURES_SHOWN:
        warn(f"... and {len(result.damaged) - MAX_FAILURES_SHOWN} more damaged files (see --json)")
