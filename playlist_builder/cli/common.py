"""Shared pieces of every command: the app context, shared options, JSON output, progress display."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from playlist_builder.config import DEFAULT_DB_NAME, Settings, sqlite_url
from playlist_builder.services.progress import ProgressEvent
from playlist_builder.text import BIDI_CONTROLS, display_text, neutralise_output
from playlist_builder.text import format_duration as format_duration  # the one m:ss, for every command

if TYPE_CHECKING:  # SQLAlchemy (a quarter of a second to import) loads only when a command opens it
    from playlist_builder.db.library import Library
    from playlist_builder.db.reader import LibraryReader

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class AppContext:
    """What every command needs: settings, flags, and the library opened on first use."""

    settings: Settings
    verbose: bool = False
    json: bool = False
    _library: Library | None = field(default=None, repr=False)
    _reader: LibraryReader | None = field(default=None, repr=False)

    @property
    def library(self) -> Library:
        """The library database, opened (and migrated) lazily."""
        if self._library is None:
            from playlist_builder.db.library import Library

            # Only the app's own data folder is made on demand; a --db path must name a real folder.
            own_folder = self.settings.db_url == sqlite_url(self.settings.data_dir / DEFAULT_DB_NAME)
            self._library = Library.open(self.settings.db_url, create_folder=own_folder)
            if self._library.created:
                click.echo(f"Created a new, empty library database: {self._library.location}", err=True)
        return self._library

    @property
    def reader(self) -> Library | LibraryReader:
        """For a command that only reads: a quick reader of a current local SQLite library (no
        SQLAlchemy), or else the library itself (which creates, migrates or refuses the database)."""
        if self._library is not None:
            return self._library
        if self._reader is None:
            from playlist_builder.db.reader import open_reader

            self._reader = open_reader(self.settings.db_url)
        return self._reader if self._reader is not None else self.library

    def close(self) -> None:
        """Release the database, if it was opened."""
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        if self._library is not None:
            self._library.close()
            self._library = None


pass_app = click.make_pass_decorator(AppContext)


def json_option(func: F) -> F:
    """`--json`: machine-readable output instead of tables (sets `app.json`)."""

    def callback(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
        if value:
            ctx.ensure_object(AppContext).json = True  # type: ignore[arg-type]
        return value

    return click.option(
        "--json",
        "as_json",
        is_flag=True,
        expose_value=False,
        callback=callback,
        help="Print machine-readable JSON.",
    )(func)


def _json_default(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    if hasattr(value, "__dataclass_fields__"):
        from dataclasses import asdict

        return asdict(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


# Inside JSON strings these are written as \uXXXX escapes: the same data for a program, inert on a screen.
_JSON_ESCAPED = {ord(ch): f"\\u{ord(ch):04x}" for ch in BIDI_CONTROLS} | {
    code: f"\\u{code:04x}" for code in range(0x7F, 0xA0)
}
_SURROGATE = re.compile("[\ud800-\udfff]")


def _undecodable_byte(match: re.Match[str]) -> str:
    # A file name byte that was not UTF-8 becomes the text `\xNN` (JSON-escaped backslash), as on screen.
    return "\\" + display_text(match.group())


def echo_json(obj: Any) -> None:
    """Print `obj` as indented, valid UTF-8 JSON (enums, dates, paths and dataclasses handled)."""
    text = json.dumps(obj, default=_json_default, ensure_ascii=False, indent=2)
    if not text.isascii():
        text = _SURROGATE.sub(_undecodable_byte, text).translate(_JSON_ESCAPED)
    click.echo(text)


def echo_table(headers: list[str], rows: list[list[Any]]) -> None:
    """Print a plain, aligned text table."""
    cells = [[str(h) for h in headers]] + [
        ["" if c is None else display_text(str(c)) for c in row] for row in rows
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for index, row in enumerate(cells):
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
        if index == 0:
            click.echo("  ".join("-" * width for width in widths))


class TerminalGuard:
    """Wraps stdout or stderr for one command: whatever any command prints passes `neutralise_output`,
    so a title or path cannot carry bidi overrides, escape sequences or undecodable bytes to the screen.
    """

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        """Write `text` with unsafe characters shown as escapes; returns len(text) like a stream."""
        self._stream.write(neutralise_output(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        if name == "buffer":  # no way around the guard: bytes written there would skip it
            raise AttributeError(name)
        return getattr(self._stream, name)


def warn(message: str) -> None:
    """One warning line on stderr."""
    click.echo(f"warning: {display_text(message)}", err=True)


@contextmanager
def progress_reporter(label: str) -> Iterator[Callable[[ProgressEvent], None]]:
    """A progress callback: a bar with count and current item on a terminal, plain lines otherwise."""
    if sys.stderr.isatty():
        with _BarReporter(label) as reporter:
            yield reporter
    else:
        yield _LineReporter(label)


class _LineReporter:
    """Progress as plain lines on stderr, at most one per 10% (logs stay short)."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.last_decile = -1

    def __call__(self, event: ProgressEvent) -> None:
        if event.message:
            click.echo(f"{self.label}: {event.message}", err=True)
        if not event.total:
            return
        decile = int(10 * event.done / event.total)
        if decile != self.last_decile:
            self.last_decile = decile
            click.echo(f"{self.label}: {event.done}/{event.total}", err=True)


class _BarReporter:
    """Progress as a click bar showing count and the current item."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.bar: Any = None
        self.done = 0

    def __enter__(self) -> _BarReporter:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.render_finish()

    def __call__(self, event: ProgressEvent) -> None:
        if event.message:
            click.echo(f"{self.label}: {event.message}", err=True)
        if event.total is None:
            return
        if self.bar is None or self.bar.length != event.total:
            if self.bar is not None:
                self.bar.render_finish()
            self.bar = click.progressbar(
                length=event.total, label=self.label, file=sys.stderr, show_pos=True, item_show_func=str
            )
            self.done = 0
        self.bar.current_item = (event.item or "")[-40:]
        self.bar.update(max(0, event.done - self.done))
        self.done = event.done
