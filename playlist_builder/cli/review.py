"""`review`: what waits for a clinician, and recording their decisions (approve, ban, set category)."""

from __future__ import annotations

import click

from playlist_builder.cli.common import AppContext, echo_json, echo_table, json_option, pass_app
from playlist_builder.cli.library import describe_reason
from playlist_builder.model import Category, Override
from playlist_builder.services import review as service
from playlist_builder.services.views import DecisionView, ReasonView, describe_tracks

TITLE_WIDTH = 40


@click.group(name="review")
def group() -> None:
    """See what needs a clinician's decision and record it; decisions always win.

    \b
    Example:
      playlist-builder review list
      playlist-builder review approve 12 --note "wordless choir, checked"
      playlist-builder review undo 3
    """


def _clip(text: str | None, width: int) -> str:
    text = text or ""
    return text if len(text) <= width else text[: width - 1] + "…"


@group.command("list")
@json_option
@pass_app
def list_queue(app: AppContext) -> None:
    """List tracks waiting for a decision (unknown lyrics, choirs, possible birdsong, low confidence).

    \b
    Example:
      playlist-builder review list
      playlist-builder review list --json
    """
    queue = service.review_queue(app.library)
    if app.json:
        views = describe_tracks(app.library, [item.track for item in queue])
        echo_json([view.as_json() for view in views])
        return
    if not queue:
        click.echo("Nothing waits for review.")
        return
    for item in queue:
        track, verdict = item.track, item.verdict
        who = f"{track.artist} - " if track.artist else ""
        state = f"{track.source.value}; {verdict.category.value}, lyrics {verdict.lyrics.value}"
        confidence = item.classification.confidence
        click.echo(
            f"[{track.id}] {who}{_clip(track.title, TITLE_WIDTH)}  ({state}, confidence {confidence:.2f})"
        )
        for reason in item.reasons:
            click.echo(f"    - {reason}")
        for evidence in item.classification.reasons:
            if evidence.windows or (evidence.claim != "instrumental" and evidence.aspect == "lyrics"):
                click.echo(f"      {describe_reason(ReasonView.of(evidence))}")
    click.echo(
        f"{len(queue)} track(s) wait for review. Decide with: review approve|ban|set-category TRACK_ID"
    )


def _print_decision(decision: Override, what: str) -> None:
    note = f" (note: {decision.note})" if decision.note else ""
    undo_hint = f"Undo with `review undo {decision.id}`."
    click.echo(f"Decision {decision.id}: track {decision.track_id} {what}{note}. {undo_hint}")


@group.command("approve")
@click.argument("track_id", type=int)
@click.option("--note", help="Why (kept with the decision).")
@pass_app
def approve(app: AppContext, track_id: int, note: str | None) -> None:
    """Approve a track as instrumental (the clinician listened): it may enter sessions.

    \b
    Example:
      playlist-builder review approve 12 --note "wordless choir, no text"
    """
    decision = service.approve(app.library, track_id, note=note, decided_by=service.local_author())
    _print_decision(decision, "approved as instrumental")
    banned = [d for d in service.decisions(app.library, track_id) if d.action.value == "ban"]
    if banned:
        click.echo(
            f"Note: it is still banned (decision {banned[-1].id}); `review undo {banned[-1].id}` lifts that."
        )


@group.command("ban")
@click.argument("track_id", type=int)
@click.option("--note", help="Why (kept with the decision).")
@pass_app
def ban(app: AppContext, track_id: int, note: str | None) -> None:
    """Ban a track: it never enters a session, whatever the classifier says.

    \b
    Example:
      playlist-builder review ban 7 --note "spoken intro at 3:10"
    """
    _print_decision(
        service.ban(app.library, track_id, note=note, decided_by=service.local_author()), "banned"
    )
    copies = service.copies_of(app.library, track_id)
    if copies:
        click.echo(f"Copies of the same audio are banned too: track {', '.join(map(str, copies))}.")


@group.command("set-category")
@click.argument("track_id", type=int)
@click.argument("category", type=click.Choice([c.value for c in Category]))
@click.option("--note", help="Why (kept with the decision).")
@pass_app
def set_category(app: AppContext, track_id: int, category: str, note: str | None) -> None:
    """Set a track's category (ambient, binaural, minimal, nature or unclassified).

    \b
    Example:
      playlist-builder review set-category 12 minimal
    """
    decision = service.set_category(
        app.library, track_id, Category(category), note=note, decided_by=service.local_author()
    )
    _print_decision(decision, f"set to {category}")


@group.command("undo")
@click.argument("decision_id", type=int)
@pass_app
def undo(app: AppContext, decision_id: int) -> None:
    """Revert one decision by its id (it is kept in the history, marked undone).

    \b
    Example:
      playlist-builder review undo 3
    """
    decision = service.undo(app.library, decision_id)
    click.echo(f"Decision {decision.id} ({decision.action.value} on track {decision.track_id}) undone.")


@group.command("decisions")
@click.argument("track_id", type=int, required=False)
@click.option("--all", "include_undone", is_flag=True, help="Include undone decisions.")
@json_option
@pass_app
def decisions(app: AppContext, track_id: int | None, include_undone: bool) -> None:
    """List clinician decisions (all tracks, or one), oldest first.

    \b
    Example:
      playlist-builder review decisions 12 --all
    """
    found = service.decisions(app.library, track_id, include_undone=include_undone)
    if app.json:
        echo_json([DecisionView.of(d).as_json() for d in found])
        return
    rows = [
        [
            d.id,
            d.track_id,
            d.action.value,
            d.category.value if d.category else "",
            d.created_at.strftime("%Y-%m-%d %H:%M") if d.created_at else "",
            d.undone_at.strftime("%Y-%m-%d %H:%M") if d.undone_at else "",
            _clip(d.note, 40),
        ]
        for d in found
    ]
    echo_table(["id", "track", "action", "category", "decided", "undone", "note"], rows)
