"""`demo`: the whole job end to end on generated music, without touching a clinic's library."""

from __future__ import annotations

from pathlib import Path

import click

from playlist_builder.cli.common import AppContext, echo_json, format_duration, json_option, pass_app
from playlist_builder.services.demo import DemoReport, run_demo
from playlist_builder.services.progress import ProgressEvent


@click.command(name="demo")
@click.option(
    "--dir",
    "demo_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the demo keeps its music, database and output (default: demo/ in the data folder).",
)
@click.option(
    "-j", "--jobs", type=click.IntRange(min=1), help="Analysis worker processes (default: CPU cores)."
)
@json_option
@pass_app
def command(app: AppContext, demo_dir: Path | None, jobs: int | None) -> None:
    """Run a complete demo session on generated music (your own library is not touched).

    Generates 90+ minutes of original audio (pads, minimalist piano, binaural beds, rain and waves,
    plus decoys with lyrics or speech), then scans, analyses, classifies, builds a 50-minute
    iv-infusion session and writes its M3U8 playlist, session sheet and arc plot. A second run
    reuses everything that is already there.

    \b
    Example:
      playlist-builder demo
      playlist-builder demo --dir /tmp/pb-demo
    """
    result = run_demo(app.settings, demo_dir=demo_dir, jobs=jobs, progress=None if app.json else _stage_lines)
    if app.json:
        echo_json(_summary(result))
        return
    _print(result)


def _stage_lines(event: ProgressEvent) -> None:
    """Only the stage messages: the demo is short, so per-file bars would just flicker."""
    if event.message and event.message != "done":
        click.echo(f"… {event.message}", err=True)


def _summary(result: DemoReport) -> dict[str, object]:
    return {
        "demo_dir": str(result.demo_dir),
        "music_dir": str(result.music_dir),
        "database": result.database,
        "session_id": result.session.id,
        "session_reused": result.session_reused,
        "session_minutes": round(result.session.total_s / 60, 2),
        "tracks_in_session": len(result.session.items),
        "playlist": str(result.playlist.path),
        "sheet": str(result.sheet),
        "plot": str(result.plot),
        "held_back": [h.__dict__ for h in result.held_back],
        "elapsed_s": round(result.elapsed_s, 1),
    }


def _print(result: DemoReport) -> None:
    plan = result.session
    analysis = result.analysis
    click.echo(
        f"Library: {result.scan.seen} generated tracks in {result.music_dir} "
        f"({analysis.analysed} analysed now, {analysis.skipped} already analysed)."
    )
    verb = "Reused" if result.session_reused else "Built"
    click.echo(
        f"{verb} session {plan.id}: {plan.name}, {format_duration(plan.total_s)} "
        f"({len(plan.items)} tracks, arc {plan.arc_name})."
    )
    click.echo("")
    click.echo(f"  {'start':>7}  {'phase':<8} {'category':<9} {'energy':>6}  title")
    titles = result.titles
    for item in plan.items:
        click.echo(
            f"  {format_duration(item.start_s):>7}  {item.phase:<8} {item.category.value:<9} "
            f"{item.energy:>6.2f}  {titles.get(item.track_id, item.track_id)}"
        )
    click.echo("")
    click.echo(f"Held back ({len(result.held_back)}), never in a session:")
    for held in result.held_back:
        click.echo(f"  - {held.title} [{held.lyrics}]: {held.reason}")
    click.echo("")
    click.echo(f"Playlist:      {result.playlist.path}")
    click.echo(f"Session sheet: {result.sheet}")
    click.echo(f"Arc plot:      {result.plot}")
    click.echo(f"Database:      {result.database}")
    click.echo(f"Done in {result.elapsed_s:.0f} s. Listen before clinical use.")
