"""The `playlist-builder` command: global options, lazy command groups, and the one error boundary."""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from typing import Any

import click

from playlist_builder import __version__
from playlist_builder.errors import PlaylistBuilderError
from playlist_builder.text import neutralise_output

# Command name -> "module:attribute". Imported on first use so `--help` and quick commands start fast:
# only the command that runs imports its module (and numpy, scipy, spotipy or the analyser with it).
COMMANDS: dict[str, str] = {
    "library": "playlist_builder.cli.library:group",
    "analyze": "playlist_builder.cli.analyze:command",
    "classify": "playlist_builder.cli.classify:command",
    "review": "playlist_builder.cli.review:group",
    "session": "playlist_builder.cli.session:group",
    "export": "playlist_builder.cli.export:group",
    "spotify": "playlist_builder.cli.spotify:group",
    "demo": "playlist_builder.cli.demo:command",
    "serve": "playlist_builder.cli.serve:command",
    "users": "playlist_builder.cli.users:group",
}
# Command name -> its short help, as the command's own docstring gives it, so the top-level `--help`
# lists every command without importing any of them. A test checks each entry against the command.
SHORT_HELP: dict[str, str] = {
    "library": "Scan music folders and browse the track library.",
    "analyze": "Measure loudness, energy, binaural beats, nature sounds and voice in local tracks.",
    "classify": (
        "Classify every track: category, lyrics status (instrumental/vocal/unknown), energy, reasons."
    ),
    "review": "See what needs a clinician's decision and record it; decisions always win.",
    "session": "Build, show and list session plans that follow a therapeutic arc.",
    "export": "Export a session for clinic devices: playlist, device copy, continuous mix.",
    "spotify": "Sign in to Spotify, import tracks from it, and sync sessions to private playlists.",
    "demo": "Run a complete demo session on generated music (your own library is not touched).",
    "serve": "Start the clinic app and print its URL (Ctrl-C stops it).",
    "users": "Accounts of the clinic app (`playlist-builder serve`).",
}


class UserFacingError(click.ClickException):
    """A PlaylistBuilderError shown as one line, keeping its exit code."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def _is_verbose() -> bool:
    from playlist_builder.cli.common import AppContext

    ctx = click.get_current_context(silent=True)
    app = ctx.find_object(AppContext) if ctx else None
    return bool(app and app.verbose)


class BoundaryGroup(click.Group):
    """The top-level group: loads commands lazily and turns expected errors into one line."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list of `--help` from SHORT_HELP: no command module is imported to print it."""
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max((len(name) for name in names), default=0)
        rows = []
        for name in names:
            short = SHORT_HELP.get(name)
            if short is None:  # a command without a stored line still shows its own (imported) help
                command = self.get_command(ctx, name)
                short = command.get_short_help_str() if command is not None else ""
            rows.append((name, click.Command(name, help=short).get_short_help_str(limit)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        module = importlib.import_module(module_name)
        command: click.Command = getattr(module, attribute)
        return command

    def invoke(self, ctx: click.Context) -> Any:
        from playlist_builder.cli.common import TerminalGuard

        try:
            with (
                contextlib.redirect_stdout(TerminalGuard(sys.stdout)),
                contextlib.redirect_stderr(TerminalGuard(sys.stderr)),
            ):
                return super().invoke(ctx)
        except PlaylistBuilderError as exc:
            if _is_verbose():
                import traceback

                traceback.print_exc()
            raise UserFacingError(neutralise_output(str(exc)), exc.exit_code) from exc
        except KeyboardInterrupt:
            click.echo(
                "interrupted: work committed so far is kept; run the command again to continue", err=True
            )
            ctx.exit(130)


@click.group(cls=BoundaryGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="playlist-builder")
@click.option(
    "--db",
    "db_url",
    metavar="URL",
    help="Database URL (default: SQLite in the data dir; env PLAYLIST_BUILDER_DB).",
)
@click.option(
    "--data-dir", type=click.Path(file_okay=False), help="Data folder (env PLAYLIST_BUILDER_DATA_DIR)."
)
@click.option("-v", "--verbose", is_flag=True, help="Show details (and tracebacks) of failures.")
@click.pass_context
def cli(ctx: click.Context, db_url: str | None, data_dir: str | None, verbose: bool) -> None:
    """Build lyric-free, arc-shaped music sessions for ketamine-assisted therapy.

    \b
    Typical workflow:
      playlist-builder library scan ~/Music/Session
      playlist-builder analyze
      playlist-builder classify
      playlist-builder review list
      playlist-builder session build --arc iv-infusion --minutes 50
      playlist-builder export m3u 1 --out session.m3u8
    """
    import logging

    from playlist_builder.cli.common import AppContext
    from playlist_builder.config import DEFAULT_DB_NAME, load_settings, sqlite_url

    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s: %(message)s"
    )
    settings = load_settings()
    if data_dir:
        from pathlib import Path

        new_dir = Path(data_dir)
        db_default = settings.db_url == sqlite_url(settings.data_dir / DEFAULT_DB_NAME)
        settings = settings.with_overrides(data_dir=new_dir)
        if db_default and not os.environ.get("PLAYLIST_BUILDER_DB"):
            settings = settings.with_overrides(db_url=sqlite_url(new_dir / DEFAULT_DB_NAME))
    if db_url:
        settings = settings.with_overrides(db_url=db_url)
    app = AppContext(settings=settings, verbose=verbose)
    ctx.obj = app
    ctx.call_on_close(app.close)


def main() -> None:
    """Console-script entry point; a closed pipe (e.g. `| head`) exits quietly."""
    try:
        cli.main(prog_name="playlist-builder")
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(1)
