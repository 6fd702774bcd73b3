"""`library` commands: scan folders, list and show tracks, import curated lists."""

from __future__ import annotations

from pathlib import Path
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
from playlist_builder.errors import NotFoundError
from playlist_builder.model import Category, LyricsStatus, Source, Track
from playlist_builder.text import display_text

if TYPE_CHECKING:  # imported by `scan` itself: `library list` must not load mutagen
    from playlist_builder.services.scan import ScanReport

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
        f"{result.failed} unreadable."
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
    """List tracks with their category and lyrics status.

    \b
    Example:
      playlist-builder library list --lyrics unknown
      playlist-builder library list --json > tracks.json
    """
    from playlist_builder.services.classify import describe_tracks

    library = app.library
    root_id = _root_id(app, root_path) if root_path else None
    tracks = library.list_tracks(source=Source(source) if source else None, root_id=root_id, missing=missing)
    views = describe_tracks(library, tracks)
    views = [
        v
        for v in views
        if (category is None or v["category"] == category) and (lyrics is None or v["lyrics"] == lyrics)
    ]
    if app.json:
        echo_json(views)
        return
    rows = [
        [
            v["id"],
            v["source"],
            _clip(v["artist"] or "", 24),
            _clip(v["title"], 36),
            format_duration(v["duration_s"]),
            v["category"] or "-",
            v["lyrics"] or "-",
            "" if v["energy"] is None else f"{v['energy']:.2f}",
            "missing" if v.get("missing") else (v.get("scan_error") and "unreadable") or "",
        ]
        for v in views
    ]
    echo_table(["id", "source", "artist", "title", "length", "category", "lyrics", "energy", "state"], rows)
    click.echo(f"{len(views)} track(s)")


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _root_id(app: AppContext, root_path: str) -> int:
    wanted = str(Path(root_path).expanduser().absolute())
    for root_id, path in app.library.roots():
        if path == wanted:
            return root_id
    raise click.BadParameter(f"{root_path} is not a registered root (scan it first)", param_hint="--root")


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
    from playlist_builder.services.classify import describe_track

    library = app.library
    track = _resolve_track(app, track_ref)
    view = describe_track(library, track)
    features = library.get_features(track.id) if track.id is not None else None
    view["features"] = None if features is None else _features_view(features)
    view["analysis_error"] = library.features_error(track.id) if track.id is not None else None
    if app.json:
        echo_json(view)
        return
    _print_track(view)


def _resolve_track(app: AppContext, ref: str) -> Track:
    if ref.isdigit():
        return app.library.require_track(int(ref))
    track = app.library.find_track_by_path(Path(ref).expanduser())
    if track is None:
        raise NotFoundError(f"no track in the library for {ref} (scan its folder first)")
    return track


def _features_view(features: Any) -> dict[str, Any]:
    from dataclasses import asdict

    data = asdict(features)
    data.pop("vocal_windows", None)
    data["tags"] = dict(sorted(features.tags.items(), key=lambda kv: -kv[1])[:8])
    return data


def _print_track(view: dict[str, Any]) -> None:
    skip = {"reasons", "features", "review_reasons", "overrides"}
    for key, value in view.items():
        if key not in skip and value not in (None, "", [], {}):
            click.echo(f"{key:>20}: {value}")
    features = view.get("features")
    if features:
        click.echo("\nAudio features:")
        for key in (
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
        ):
            click.echo(f"{key:>20}: {features.get(key)}")
    if view.get("reasons"):
        click.echo("\nWhy:")
        for reason in view["reasons"]:
            click.echo(
                f"  [{reason['source']}] {reason['aspect']} → {reason['claim']} "
                f"(weight {reason['weight']:.2f}): {reason['detail']}"
            )
    for line in view.get("review_reasons") or ():
        click.echo(f"  needs review: {line}")
    for decision in view.get("overrides") or ():
        click.echo(f"  clinician: {decision}")


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
