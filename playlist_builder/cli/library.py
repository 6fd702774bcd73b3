"""`library` commands: scan folders, list and show tracks, import curated lists."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from playlist_builder.cli.common import (
    AppContext,
    echo_json,
    echo_table,
    format_duration,
    json_option,
    pass_app,
)
from playlist_builder.model import Category, LyricsStatus, Source
from playlist_builder.text import display_text

if TYPE_CHECKING:  # imported by `scan` itself: `library list` must not load mutagen
    from playlist_builder.services.scan import ScanReport
    from playlist_builder.services.views import DecisionView, ReasonView, TrackDetail, TrackView

MAX_PROBLEMS_SHOWN = 20


@click.group(name="library")
def group() -> None:
    """Scan music folders and browse the track library.

    \b
    Example:
      playlist-builder library scan ~/Music/Session "/srv/clinic music"
      playlist-builder library list --category nature
    """


@group.command("scan")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option(
    "--include-hidden", is_flag=True, help="Also scan hidden folders and files (names starting with '.')."
)
@json_option
@pass_app
def scan(app: AppContext, paths: tuple[str, ...], include_hidden: bool) -> None:
    """Register folders (or single files) and scan them for audio, incrementally.

    Unchanged files are not re-read; files that vanished are marked missing (never deleted) and
    come back when they reappear. Unreadable files are listed with the reason. Hidden folders
    (`.Trash-1000`, `.venv`) are skipped unless --include-hidden.

    \b
    Example:
      playlist-builder library scan ~/Music/Session
    """
    from playlist_builder.cli.common import progress_reporter
    from playlist_builder.services.scan import scan_paths

    with progress_reporter("scanning") as progress:
        result = scan_paths(
            app.library, list(paths), progress=None if app.json else progress, include_hidden=include_hidden
        )
    if app.json:
        echo_json(_scan_summary(result))
        return
    _print_scan(result)


def _scan_summary(result: ScanReport) -> dict[str, Any]:
    return {
        "roots": result.roots,
        "files_seen": result.seen,
        "added": result.added,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "marked_missing": result.marked_missing,
        "returned": result.returned,
        "moved": result.moved,
        "failed": result.failed,
        "problems": [{"path": path, "reason": reason} for path, reason in result.problems],
        "notes": [{"path": path, "reason": reason} for path, reason in result.notes],
    }


def _print_scan(result: ScanReport) -> None:
    for path, reason in result.notes[:MAX_PROBLEMS_SHOWN]:
        click.echo(f"note: {display_text(path)}: {reason}", err=True)
    for path, reason in result.problems[:MAX_PROBLEMS_SHOWN]:
        click.echo(f"skipped: {display_text(path)}: {reason}", err=True)
    if len(result.problems) > MAX_PROBLEMS_SHOWN:
        click.echo(f"... and {len(result.problems) - MAX_PROBLEMS_SHOWN} more (use --json for all)", err=True)
    click.echo(
        f"Scanned {result.seen} files in {len(result.roots)} root(s): "
        f"{result.added} new, {result.updated} updated, "
        f"{result.unchanged} unchanged, {result.marked_missing} now missing, {result.returned} back, "
        f"{result.failed} unreadable." + (f" {result.moved} moved (decisions kept)." if result.moved else "")
    )


@group.command("list")
@click.option("--root", "root_path", type=click.Path(), help="Only tracks under this registered root.")
@click.option("--source", type=click.Choice([s.value for s in Source]), help="Only tracks from this source.")
@click.option("--missing/--present", default=None, help="Only missing (or only present) tracks.")
@click.option("--category", type=click.Choice([c.value for c in Category]), help="Only this category.")
@click.option("--lyrics", type=click.Choice([s.value for s in LyricsStatus]), help="Only this lyrics status.")
@json_option
@pass_app
def list_tracks(
    app: AppContext,
    root_path: str | None,
    source: str | None,
    missing: bool | None,
    category: str | None,
    lyrics: str | None,
) -> None:
    """List tracks with their category, lyrics status and whether they may enter a session.

    \b
    Example:
      playlist-builder library list --lyrics unknown
      playlist-builder library list --json > tracks.json
    """
    from playlist_builder.services.views import list_tracks as list_views

    views = list_views(
        app.reader,
        source=Source(source) if source else None,
        under=root_path,
        missing=missing,
        category=Category(category) if category else None,
        lyrics=LyricsStatus(lyrics) if lyrics else None,
    )
    if app.json:
        echo_json([view.as_json() for view in views])
        return
    rows = [
        [
            v.id,
            v.source,
            _clip(v.artist or "", 24),
            _clip(v.title, 36),
            format_duration(v.duration_s),
            v.category or "-",
            v.lyrics or "-",
            "" if v.energy is None else f"{v.energy:.2f}",
            _state(v),
        ]
        for v in views
    ]
    echo_table(["id", "source", "artist", "title", "length", "category", "lyrics", "energy", "state"], rows)
    click.echo(f"{len(views)} track(s)")


def _state(view: TrackView) -> str:
    """The list's state column: why a track is out of sessions, in a word or two."""
    if view.missing:
        return "missing"
    if view.damage:
        return "damaged"
    if view.banned:
        return "banned"
    return "eligible" if view.eligible else ""


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


@group.command("show")
@click.argument("track_ref")
@json_option
@pass_app
def show(app: AppContext, track_ref: str) -> None:
    """Show one track (by id or file path): tags, audio features, classification and the reasons.

    \b
    Example:
      playlist-builder library show 42
      playlist-builder library show "~/Music/Session/rain.flac"
    """
    from playlist_builder.services.views import show_track

    detail = show_track(app.library, track_ref)
    if app.json:
        echo_json(detail.as_json())
        return
    _print_track(detail)


FIELDS_SHOWN = (
    "id",
    "source",
    "path",
    "source_key",
    "title",
    "artist",
    "album",
    "duration_s",
    "isrc",
    "spotify_uri",
    "category",
    "secondary_category",
    "lyrics",
    "energy",
    "confidence",
    "rules_version",
    "note",
    "scan_error",
    "damage",
)
FEATURES_SHOWN = (
    "duration_s",
    "integrated_lufs",
    "true_peak_dbtp",
    "energy",
    "vocal_probability",
    "nature_score",
    "spectral_centroid_hz",
    "onset_rate_hz",
    "tempo_bpm",
    "binaural",
    "amplitude_beat",
    "tags",
)


def _print_track(detail: TrackDetail) -> None:
    view = detail.view.as_json()
    for key in FIELDS_SHOWN:
        value = view.get(key)
        if key == "source_key" and value == view.get("path"):
            continue
        if value not in (None, ""):
            click.echo(f"{key:>20}: {format_value(value)}")
    if detail.view.binaural is not None:
        click.echo(f"{'binaural':>20}: {format_value(detail.view.binaural.as_json())}")
    eligible = "yes" if detail.view.eligible else "no: " + "; ".join(detail.view.ineligible_reasons)
    click.echo(f"{'eligible':>20}: {eligible}")
    if detail.analysis_error:
        click.echo(f"{'analysis_error':>20}: {detail.analysis_error}")
    if detail.features:
        click.echo("\nAudio features:")
        for key in FEATURES_SHOWN:
            click.echo(f"{key:>20}: {format_value(detail.features.get(key))}")
    if detail.view.reasons:
        click.echo("\nWhy:")
        for reason in detail.view.reasons:
            click.echo(f"  {describe_reason(reason)}")
    for line in detail.view.review_reasons:
        click.echo(f"  needs review: {line}")
    for decision in detail.view.overrides:
        click.echo(f"  clinician: {describe_decision(decision)}")


def format_value(value: Any) -> str:
    """A value for a person: numbers trimmed, dicts as `key value, …`, lists joined, never a repr."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, dict):
        return ", ".join(f"{k.replace('_', ' ')} {format_value(v)}" for k, v in value.items()) or "-"
    if isinstance(value, list | tuple):
        return ", ".join(format_value(v) for v in value) or "-"
    return str(value)


def describe_reason(reason: ReasonView) -> str:
    """One reason on one line: `[source] aspect → claim (weight): detail — detector at m:ss–m:ss, …`."""
    line = f"[{reason.source}] {reason.aspect} → {reason.claim} (weight {reason.weight:.2f}): {reason.detail}"
    heard = ""
    if reason.windows:
        spans = ", ".join(f"{format_duration(start)}–{format_duration(end)}" for start, end in reason.windows)
        heard = f" at {spans}"
    if reason.detector or heard:
        line += f" — {reason.detector or reason.source}{heard}"
    return line


def describe_decision(decision: DecisionView) -> str:
    """One clinician decision on one line."""
    what = decision.action + (f" {decision.category}" if decision.category else "")
    when = (decision.created_at or "")[:16].replace("T", " ")
    undone = f", undone {decision.undone_at[:16].replace('T', ' ')}" if decision.undone_at else ""
    note = f": {decision.note}" if decision.note else ""
    return f"#{decision.id} {what} ({when}{undone}){note}"


@group.command("import-curated")
@click.argument("name", required=False)
@click.option(
    "--spotify/--no-spotify",
    "use_spotify",
    default=None,
    help="Also match entries on Spotify (default: when signed in).",
)
@json_option
@pass_app
def import_curated_command(app: AppContext, name: str | None, use_spotify: bool | None) -> None:
    """Load the curated starter lists (libraries/*.toml) and link entries to local files or Spotify.

    Curated entries are trusted as lyric-free in their category. Each entry is linked to a local file
    (same artist and title, length within 3 s) or to a Spotify track when one matches; what stays
    unmatched is listed.

    \b
    Example:
      playlist-builder library import-curated
      playlist-builder library import-curated minimal --no-spotify
    """
    from playlist_builder.services.curated import import_curated

    matcher = _spotify_matcher(app, use_spotify)
    result = import_curated(app.library, app.settings, name=name, spotify_matcher=matcher)
    if app.json:
        echo_json(result.to_dict())
        return
    click.echo(
        f"Imported {result.entries} curated entries from {', '.join(result.libraries)}: "
        f"{result.added} new, {result.updated} updated, {result.retired} retired; "
        f"{len(result.linked_local)} linked to local files, {len(result.linked_spotify)} to Spotify."
    )
    if result.spotify_error:
        click.echo(f"warning: Spotify matching stopped: {result.spotify_error}", err=True)
    for outcome in result.ambiguous:
        click.echo(
            f"ambiguous: {outcome.artist} – {outcome.title}: {outcome.local_detail or outcome.spotify_detail}"
        )
    if result.unmatched:
        click.echo(f"{len(result.unmatched)} entries have no local file or Spotify track yet (not playable):")
        for outcome in result.unmatched:
            click.echo(f"  {outcome.library}: {outcome.artist} – {outcome.title}  ({outcome.local_detail})")


def _spotify_matcher(app: AppContext, use_spotify: bool | None) -> Any:
    """A Track -> match callable when Spotify is wanted and signed in; None otherwise."""
    if use_spotify is False:
        return None
    from playlist_builder.errors import SpotifyError
    from playlist_builder.spotify.client import make_client
    from playlist_builder.spotify.match import match_track
    from playlist_builder.text import load_matching_rules

    try:
        client = make_client(app.settings)
    except SpotifyError as exc:
        if use_spotify:
            raise
        if app.verbose:
            click.echo(f"not matching on Spotify: {exc}", err=True)
        return None
    matching = load_matching_rules(app.settings.rules_dir)
    return lambda track: match_track(client, track, matching)
