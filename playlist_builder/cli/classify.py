"""`classify`: sort every track into a category, decide its lyrics status, estimate what is missing."""

from __future__ import annotations

import click

from playlist_builder.cli.common import AppContext, echo_json, json_option, pass_app, progress_reporter, warn
from playlist_builder.services.classify import ClassifyReport, classify_library


@click.command(name="classify")
@click.option(
    "--offline",
    is_flag=True,
    help="Use no online look-ups (LRCLIB, MusicBrainz); cached answers still count.",
)
@click.option(
    "--force", is_flag=True, help="Re-classify every track, even when nothing it depends on changed."
)
@json_option
@pass_app
def command(app: AppContext, offline: bool, force: bool) -> None:
    """Classify every track: category, lyrics status (instrumental/vocal/unknown), energy, reasons.

    Uses tags and names, audio features (run `analyze` first for local files), curated lists, and
    LRCLIB/MusicBrainz look-ups (cached; skipped with --offline or when a service cannot be reached).
    Only tracks whose inputs or rules changed are re-classified. Clinician decisions are never touched.

    \b
    Example:
      playlist-builder classify
      playlist-builder classify --offline --json
    """
    with progress_reporter("classifying") as progress:
        result = classify_library(
            app.library, app.settings, offline=offline, force=force, progress=None if app.json else progress
        )
    for message in result.warnings:
        warn(message)
    if app.json:
        echo_json(result.as_dict())
        return
    _print_report(result)


def _print_report(result: ClassifyReport) -> None:
    click.echo(
        f"Classified {result.classified} of {result.total} track(s) "
        f"({result.unchanged} unchanged; rules {result.rules_version})."
    )
    lyrics = ", ".join(f"{n} {name}" for name, n in sorted(result.by_lyrics.items())) or "none"
    categories = ", ".join(f"{n} {name}" for name, n in sorted(result.by_category.items())) or "none"
    click.echo(f"Lyrics: {lyrics}.")
    click.echo(f"Categories: {categories}.")
    if result.lookups:
        click.echo("Look-ups: " + ", ".join(f"{name} {n}" for name, n in result.lookups.items()) + ".")
    if result.needs_review:
        click.echo(
            f"{result.needs_review} track(s) wait for a clinician: see `playlist-builder review list`."
        )
