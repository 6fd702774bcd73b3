"""`session` commands: build an arc-shaped session plan, show it (table, sheet, plot), list saved ones."""

from __future__ import annotations

import textwrap
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
from playlist_builder.model import SessionPlan
from playlist_builder.services.session import SOURCES

if TYPE_CHECKING:  # imported where used: `session list` and `show` must not load the solver (numpy)
    from playlist_builder.sequence.candidates import Pin
    from playlist_builder.services.session import SessionView

SHEET_SUFFIXES = (".html", ".md")
PLOT_SUFFIXES = (".png",)
TITLE_WIDTH = 44  # at most this many characters of "Artist - Title" in the table; --json has them in full
MIN_TITLE_WIDTH = 16  # ...and at least this many, even when an arc's phase names are long
SCREEN_WIDTH = 100  # `session show` fits a 100-column terminal
COLUMN_GAP = 2  # echo_table's separator


class PinType(click.ParamType):
    """`TRACK_ID` or `TRACK_ID@PHASE`: a track that must appear (in that phase)."""

    name = "TRACK[@PHASE]"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Pin:
        """Parse `42` or `42@deep` into a Pin (a usage error, exit 2, otherwise)."""
        from playlist_builder.sequence.candidates import Pin

        if isinstance(value, Pin):
            return value
        text = str(value).strip()
        track, separator, phase = text.partition("@")
        if not track.isdigit() or (separator and not phase):
            self.fail(f"{value!r} is not TRACK_ID or TRACK_ID@PHASE (for example 42 or 42@deep)", param, ctx)
        return Pin(track_id=int(track), phase=phase or None)


@click.group(name="session")
def group() -> None:
    """Build, show and list session plans that follow a therapeutic arc.

    \b
    Example:
      playlist-builder session build --arc iv-infusion --minutes 50
      playlist-builder session show 1
      playlist-builder session list
    """


@group.command("build")
@click.option(
    "--arc", "arc_name", default="iv-infusion", show_default=True, help="Arc template (see `session arcs`)."
)
@click.option("--minutes", type=click.FloatRange(1, 600), help="Session length (default: the arc's default).")
@click.option(
    "--seed", type=click.IntRange(0, 2**31 - 1), help="Repeat a plan exactly; another seed gives a variant."
)
@click.option(
    "--pin", "pins", multiple=True, type=PinType(), help="Track that must appear, optionally in a phase."
)
@click.option(
    "--source", type=click.Choice(SOURCES), default="any", show_default=True, help="Where tracks play from."
)
@click.option(
    "--patient", "patient_code", metavar="CODE", help="Opaque patient code (e.g. P-0042), never a name."
)
@click.option(
    "--familiarity", is_flag=True, help="Keep (and favour) tracks this patient heard in recent sessions."
)
@click.option("--name", help="A name for the session (default: arc and length).")
@json_option
@pass_app
def build(
    app: AppContext,
    arc_name: str,
    minutes: float | None,
    seed: int | None,
    pins: tuple[Pin, ...],
    source: str,
    patient_code: str | None,
    familiarity: bool,
    name: str | None,
) -> None:
    """Pick and order eligible tracks into a session that follows an arc, and save it.

    Only tracks whose lyrics status is instrumental (or clinician-approved), not banned and not
    missing are used. The total length lands within seconds of the target. A request the library
    cannot meet is refused with what is short (exit 2), and nothing is saved.

    \b
    Example:
      playlist-builder session build --arc iv-infusion --minutes 50 --patient P-0042
      playlist-builder session build --arc intranasal --seed 7 --pin 42@deep --source local
    """
    from playlist_builder.services.session import build_session, show_session

    plan = build_session(
        app.library,
        app.settings,
        arc_name=arc_name,
        minutes=minutes,
        seed=seed,
        pinned=pins,
        source=source,
        patient_code=patient_code,
        familiarity=familiarity,
        name=name,
    )
    view = show_session(app.library, app.settings, int(plan.id or 0))
    if app.json:
        echo_json(_view_json(view))
        return
    _print_view(view)
    click.echo(f"\nSaved as session {plan.id} (seed {plan.seed}; `--seed {plan.seed}` repeats it).")


@group.command("show")
@click.argument("session_id", type=int)
@click.option(
    "--sheet",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write a session sheet (.html or .md).",
)
@click.option(
    "--plot", type=click.Path(dir_okay=False, path_type=Path), help="Also write a picture of the arc (.png)."
)
@json_option
@pass_app
def show(app: AppContext, session_id: int, sheet: Path | None, plot: Path | None) -> None:
    """Show a saved session: start times, phases, categories, energy and why each track was chosen.

    \b
    Example:
      playlist-builder session show 3
      playlist-builder session show 3 --sheet session-3.html --plot session-3.png
    """
    from playlist_builder.services.session import show_session

    if sheet is not None and sheet.suffix.lower() not in SHEET_SUFFIXES:
        raise click.BadParameter("the sheet must be a .html or .md file", param_hint="--sheet")
    if plot is not None and plot.suffix.lower() not in PLOT_SUFFIXES:
        raise click.BadParameter("the plot must be a .png file", param_hint="--plot")
    view = show_session(app.library, app.settings, session_id)
    written = _write_extras(app, session_id, sheet, plot)
    if app.json:
        echo_json({**_view_json(view), "written": [str(path) for path in written]})
        return
    _print_view(view)
    for path in written:
        click.echo(f"wrote {path}")


@group.command("list")
@click.option("--patient", "patient_code", metavar="CODE", help="Only this patient code's sessions.")
@click.option("--limit", type=click.IntRange(1), help="At most this many (newest first).")
@json_option
@pass_app
def list_command(app: AppContext, patient_code: str | None, limit: int | None) -> None:
    """List saved sessions, newest first.

    \b
    Example:
      playlist-builder session list --patient P-0042 --limit 5
    """
    from playlist_builder.services.session import list_sessions

    plans = list_sessions(app.reader, patient_code=patient_code, limit=limit)
    if app.json:
        echo_json([_summary_json(plan) for plan in plans])
        return
    if not plans:
        click.echo("No sessions yet. Build one with `playlist-builder session build`.")
        return
    rows = [
        [
            plan.id,
            plan.created_at.strftime("%Y-%m-%d %H:%M") if plan.created_at else "",
            plan.name,
            plan.arc_name,
            format_duration(plan.total_s),
            len(plan.items),
            plan.patient_code or "",
            plan.seed,
        ]
        for plan in plans
    ]
    echo_table(["id", "created", "name", "arc", "length", "tracks", "patient", "seed"], rows)


@group.command("arcs")
@json_option
@pass_app
def arcs(app: AppContext) -> None:
    """List the arc templates (rules/arcs/*.toml) with their lengths and phases.

    \b
    Example:
      playlist-builder session arcs
    """
    from playlist_builder.services.session import list_arcs

    templates = list_arcs(app.settings)
    if app.json:
        echo_json(templates)
        return
    rows = [
        [
            arc.name,
            f"{arc.default_minutes:g} ({arc.min_minutes:g}-{arc.max_minutes:g})",
            " > ".join(f"{p.name} {p.share * 100:.0f}%" for p in arc.phases),
        ]
        for arc in templates
    ]
    echo_table(["arc", "minutes", "phases"], rows)
    for arc in templates:
        click.echo(f"\n{arc.name}: {arc.description}")


def _write_extras(app: AppContext, session_id: int, sheet: Path | None, plot: Path | None) -> list[Path]:
    """Write the sheet and plot through the export use-cases (imported only when asked for)."""
    written: list[Path] = []
    if sheet is None and plot is None:
        return written
    from playlist_builder.services.export_sheet import write_arc_plot, write_session_sheet

    if sheet is not None:
        write_session_sheet(app.library, app.settings, session_id, sheet)
        written.append(sheet)
    if plot is not None:
        write_arc_plot(app.library, app.settings, session_id, plot)
        written.append(plot)
    return written


def _label(view: SessionView, track_id: int) -> str:
    from playlist_builder.text import clean_tag  # one line per track, whatever the tags hold

    track = view.tracks.get(track_id)
    if track is None:
        return f"track {track_id} (removed)"
    title = clean_tag(track.title)
    return f"{clean_tag(track.artist)} - {title}" if track.artist else title


def shorten(text: str, width: int) -> str:
    """`text` cut to `width` characters, an ellipsis marking the cut."""
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def _echo_wrapped(text: str, indent: str = "") -> None:
    click.echo(textwrap.fill(text, SCREEN_WIDTH, subsequent_indent=indent, break_on_hyphens=False))


def _print_view(view: SessionView) -> None:
    from playlist_builder.services.export_sheet import plain_reason

    plan = view.plan
    header = f"Session {plan.id}: {plan.name} ({plan.arc_name}, {format_duration(plan.total_s)}"
    header += f" for {plan.target_minutes:g} min target, seed {plan.seed}"
    header += f", patient {plan.patient_code})" if plan.patient_code else ")"
    _echo_wrapped(header, "  ")
    headers = ["#", "start", "phase", "category", "energy", "length", "track"]
    rows = [
        [
            str(item.position + 1),
            format_duration(item.start_s),
            item.phase,
            item.category.value,
            f"{item.energy:.2f}",
            format_duration(item.duration_s),
            _label(view, item.track_id),
        ]
        for item in plan.items
    ]
    fixed = sum(max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(headers[:-1]))
    title_width = max(
        MIN_TITLE_WIDTH, min(TITLE_WIDTH, SCREEN_WIDTH - fixed - COLUMN_GAP * (len(headers) - 1))
    )
    echo_table(headers, [[*row[:-1], shorten(row[-1], title_width)] for row in rows])
    if plan.items:
        click.echo("\nWhy each track:")
    for item in plan.items:
        number = f"{item.position + 1:>3}. "
        _echo_wrapped(number + plain_reason(item.reason), " " * len(number))
    costs = plan.costs
    click.echo()
    _echo_wrapped(
        f"Total {format_duration(plan.total_s)} ({costs.get('length_error_s', 0):+.1f} s from target); "
        f"phases within {costs.get('max_phase_error_s', 0):.0f} s of their share; "
        f"cost {costs.get('total', 0):.2f}."
    )
    whole = sum(float(t.duration_s or 0) for t in view.tracks.values()) if view.tracks else 0.0
    if len(view.tracks) == len(plan.items) and abs(whole - plan.total_s) > 1.0:
        _echo_wrapped(
            f"Played back to back (playlist, device, Spotify) it lasts {format_duration(whole)}: it was "
            "planned with crossfades by an earlier version; build it again to export it as a playlist."
        )


def _summary_json(plan: SessionPlan) -> dict[str, Any]:
    return {
        "id": plan.id,
        "name": plan.name,
        "arc": plan.arc_name,
        "target_minutes": plan.target_minutes,
        "total_s": plan.total_s,
        "tracks": len(plan.items),
        "seed": plan.seed,
        "patient_code": plan.patient_code,
        "created_at": plan.created_at,
        "costs": dict(plan.costs),
    }


def _view_json(view: SessionView) -> dict[str, Any]:
    items = []
    for item in view.plan.items:
        track = view.tracks.get(item.track_id)
        items.append(
            {
                "position": item.position,
                "track_id": item.track_id,
                "title": track.title if track else None,
                "artist": track.artist if track else None,
                "phase": item.phase,
                "start_s": item.start_s,
                "duration_s": item.duration_s,
                "crossfade_in_s": item.crossfade_in_s,
                "crossfade_out_s": item.crossfade_out_s,
                "category": item.category.value,
                "energy": item.energy,
                "reason": item.reason,
                "costs": dict(item.costs),
            }
        )
    return {**_summary_json(view.plan), "params": view.params, "items": items}
