"""`spotify` commands: sign in and out, status, import tracks, sync a session to a playlist."""

from __future__ import annotations

import webbrowser
from typing import Any

import click

from playlist_builder.cli.common import AppContext, echo_json, json_option, pass_app, progress_reporter, warn
from playlist_builder.services import spotify as service
from playlist_builder.spotify.auth import LOGIN_TIMEOUT_S, redirect_uri
from playlist_builder.spotify.client import make_client
from playlist_builder.text import load_matching_rules

SKIPPED_SHOWN = 10  # beyond this, a count is more useful than the list


@click.group(name="spotify")
def group() -> None:
    """Sign in to Spotify, import tracks from it, and sync sessions to private playlists.

    Spotify tracks come in as metadata only (no audio): after importing, run
    `playlist-builder classify`; most will wait in review until a clinician approves them.

    \b
    Example:
      export SPOTIFY_CLIENT_ID=your-app-client-id
      playlist-builder spotify login
      playlist-builder spotify import --playlist https://open.spotify.com/playlist/ID
      playlist-builder spotify sync 12
    """


@group.command("login")
@click.option("--client-id", help="Client id of your Spotify app (default: SPOTIFY_CLIENT_ID).")
@click.option("--port", type=click.IntRange(1024, 65535), help="Loopback port for the sign-in reply.")
@click.option(
    "--timeout",
    "timeout_s",
    type=click.FloatRange(1, 3600),
    default=LOGIN_TIMEOUT_S,
    show_default=True,
    help="Seconds to wait for the browser.",
)
@click.option("--no-browser", is_flag=True, help="Only print the sign-in link (open it yourself).")
@pass_app
def login(
    app: AppContext, client_id: str | None, port: int | None, timeout_s: float, no_browser: bool
) -> None:
    """Sign in to Spotify in the browser (PKCE; no client secret needed).

    Register the redirect URI http://127.0.0.1:PORT/callback (default port 8765) in your app's
    settings on developer.spotify.com. The sign-in is cached in the data dir, readable only by you.
    Spotify asks for a fresh sign-in every six months.

    \b
    Example:
      SPOTIFY_CLIENT_ID=0123abcd... playlist-builder spotify login --port 8765
    """
    chosen_port = port or app.settings.spotify_redirect_port

    def open_url(url: str) -> None:
        click.echo(f"Waiting for the sign-in reply on {redirect_uri(chosen_port)} ...", err=True)
        click.echo(f"If no browser opens, visit this link:\n  {url}", err=True)
        if not no_browser:
            webbrowser.open(url)

    result = service.login(
        app.settings, open_url=open_url, client_id=client_id, port=chosen_port, timeout_s=timeout_s
    )
    click.echo(f"Signed in to Spotify as {_who(result)}.")


@group.command("logout")
@pass_app
def logout(app: AppContext) -> None:
    """Forget the cached Spotify sign-in on this computer.

    \b
    Example:
      playlist-builder spotify logout
    """
    if service.logout(app.settings):
        click.echo("Signed out of Spotify (the cached sign-in was removed).")
    else:
        click.echo("Not signed in to Spotify; nothing to remove.")
    if app.settings.spotify_token:
        warn("PLAYLIST_BUILDER_SPOTIFY_TOKEN is still set and will be used until you unset it")


@group.command("status")
@json_option
@pass_app
def status(app: AppContext) -> None:
    """Say who is signed in to Spotify, and until when the sign-in lasts.

    \b
    Example:
      playlist-builder spotify status
    """
    result = service.status(app.settings)
    if app.json:
        echo_json(result)
        return
    if not result.signed_in:
        click.echo("Not signed in to Spotify: run `playlist-builder spotify login`.")
        return
    click.echo(f"Signed in to Spotify as {_who(result)} (via {result.via}).")
    if result.renew_by is not None:
        click.echo(f"Sign in again before {result.renew_by:%Y-%m-%d} (Spotify asks every six months).")


def _who(result: service.SignInStatus) -> str:
    if result.display_name and result.display_name != result.user_id:
        return f"{result.display_name} ({result.user_id})"
    return str(result.user_id or "an unnamed account")


@group.command("import")
@click.option("--playlist", metavar="URL|ID", help="A playlist link, spotify:playlist: URI or ID.")
@click.option("--saved", is_flag=True, help="Your saved (liked) tracks.")
@click.option("--search", metavar="QUERY", help="Tracks found by a search (Spotify returns 10 a request).")
@click.option(
    "--limit", type=click.IntRange(1, 50), default=10, show_default=True, help="Results for --search."
)
@click.option(
    "--classify", "classify_after", is_flag=True, help="Classify the library right after (look-ups)."
)
@json_option
@pass_app
def import_(
    app: AppContext, playlist: str | None, saved: bool, search: str | None, limit: int, classify_after: bool
) -> None:
    """Bring Spotify tracks into the library (metadata only; re-importing is harmless).

    Tracks become library rows keyed by their Spotify URI, with title, artists, album, length,
    explicit flag and ISRC. Then run `playlist-builder classify` (or pass --classify): without
    audio, most are `unknown` and go to review unless the metadata or look-ups say otherwise.

    \b
    Example:
      playlist-builder spotify import --playlist https://open.spotify.com/playlist/37i9dQZF1DX4sWSpwq3LiO
      playlist-builder spotify import --saved
      playlist-builder spotify import --search "stars of the lid" --limit 20 --classify
    """
    if not (playlist or saved or search):
        raise click.UsageError("say what to import: --playlist URL|ID, --saved, or --search QUERY")
    client = make_client(app.settings)
    with progress_reporter("importing") as progress:
        reports = service.import_tracks(
            app.library,
            client,
            playlist=playlist,
            saved=saved,
            search=search,
            search_limit=limit,
            progress=None if app.json else progress,
        )
    classified = _classify(app) if classify_after else None
    if app.json:
        summary: dict[str, Any] = {"imports": [_import_summary(r) for r in reports]}
        if classified is not None:
            summary["classify"] = classified
        echo_json(summary)
        return
    for report in reports:
        _print_import(report)
    if classified is None:
        click.echo(
            "Next: run `playlist-builder classify` (Spotify tracks are judged from metadata and look-ups)."
        )
        return
    lyrics = ", ".join(f"{n} {status}" for status, n in sorted(classified["by_lyrics"].items()))
    click.echo(f"Classified {classified['classified']} tracks; library now: {lyrics or 'empty'}.")
    if classified["needs_review"]:
        click.echo(f"{classified['needs_review']} tracks wait for review: `playlist-builder review list`.")
    for warning in classified["warnings"]:
        warn(warning)


def _print_import(report: service.ImportReport) -> None:
    total = len(report.track_ids)
    click.echo(f"{report.source}: {total} tracks ({report.new} new, {report.updated} already in the library)")
    if report.skipped:
        click.echo(f"  skipped {len(report.skipped)} entries that are not Spotify tracks:")
        for why in report.skipped[:SKIPPED_SHOWN]:
            click.echo(f"    {why}")
        if len(report.skipped) > SKIPPED_SHOWN:
            click.echo(f"    ... and {len(report.skipped) - SKIPPED_SHOWN} more")


def _classify(app: AppContext) -> dict[str, Any]:
    """Run the classification use-case over the library (incremental: unchanged tracks are skipped)."""
    from playlist_builder.services.classify import classify_library

    with progress_reporter("classifying") as progress:
        result = classify_library(app.library, app.settings, progress=None if app.json else progress)
    return result.as_dict()


def _import_summary(report: service.ImportReport) -> dict[str, Any]:
    return {
        "source": report.source,
        "tracks": len(report.track_ids),
        "new": report.new,
        "updated": report.updated,
        "track_ids": list(report.track_ids),
        "skipped": list(report.skipped),
    }


@group.command("sync")
@click.argument("session_id", metavar="SESSION", type=click.IntRange(min=1))
@click.option("--name", help="Playlist name (default: date, arc and length; never patient data).")
@click.option("--public", is_flag=True, help="Make the playlist public (default: private).")
@click.option("--strict", is_flag=True, help="Fail if any session track has no Spotify match.")
@click.option(
    "--match", "match_first", is_flag=True, help="First try to find unmatched local tracks on Spotify."
)
@json_option
@pass_app
def sync(
    app: AppContext, session_id: int, name: str | None, public: bool, strict: bool, match_first: bool
) -> None:
    """Push a session to a Spotify playlist: made the first time, updated in place after.

    The playlist is private unless --public; its description gives arc, length and date only.
    Tracks without a Spotify match (local files) are listed and left out, or the sync fails with
    --strict. The playlist is read back and its order checked. If a sync is cut off, run it again.

    \b
    Example:
      playlist-builder spotify sync 12 --name "Tuesday infusion"
    """
    client = make_client(app.settings)
    with progress_reporter("syncing") as progress:
        report = service.sync_session(
            app.library,
            client,
            session_id,
            name=name,
            public=public,
            strict=strict,
            match=load_matching_rules(app.settings.rules_dir) if match_first else None,
            progress=None if app.json else progress,
        )
    if app.json:
        echo_json(report)
        return
    visibility = "public" if public else "private"
    verb = "Created" if report.created else "Updated"
    click.echo(f"{verb} {visibility} playlist {report.url} with {report.synced} tracks (order checked).")
    if report.linked_now:
        click.echo(f"Linked {report.linked_now} local tracks to Spotify first.")
    for line in report.ambiguous:
        click.echo(f"  ambiguous, not linked: {line}")
    if report.left_out:
        total = report.synced + len(report.left_out)
        click.echo(f"Left out {len(report.left_out)} of {total} session tracks with no Spotify match:")
        for item in report.left_out:
            click.echo(f"  #{item.position} {item.artist or '?'} - {item.title} ({item.reason})")
        if not match_first:
            click.echo("Tip: --match tries to find them on Spotify by ISRC or artist, title and length.")
