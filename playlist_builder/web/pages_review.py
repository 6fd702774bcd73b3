"""The review queue: held tracks first, a player at the first doubtful window, decisions and undo."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from starlette.responses import Response
from starlette.routing import Route

from playlist_builder.errors import InputError
from playlist_builder.model import Category, Override, OverrideAction, Source
from playlist_builder.services.decisions import (
    StaleDecisionError,
    decide,
    decision_state,
    doubtful_windows,
    first_doubtful_second,
    recent_decisions,
    undo_decision,
    version_of,
)
from playlist_builder.services.library_page import held_tracks
from playlist_builder.services.review import ReviewItem
from playlist_builder.web.base import Ctx, page

QUEUE_PAGE = 25  # held tracks shown at once: a clinician works down the list, it refills
RECENT_SHOWN = 15
ACTIONS = {
    "approve": OverrideAction.APPROVE,
    "ban": OverrideAction.BAN,
    "set-category": OverrideAction.SET_CATEGORY,
}


@dataclass(frozen=True)
class QueueEntry:
    """One held track as the queue shows it."""

    item: ReviewItem
    version: str
    start_s: float
    windows: list[tuple[float, float, object]]
    has_audio: bool


def routes() -> list[Route]:
    """The routes of this module."""
    return [
        Route("/review", page(queue)),
        Route("/review/{track_id:int}/decide", page(decide_track, "decide"), methods=["POST"]),
        Route("/review/undo/{decision_id:int}", page(undo, "decide"), methods=["POST"]),
    ]


def _entries(ctx: Ctx, items: list[ReviewItem]) -> list[QueueEntry]:
    ids = [item.track.id for item in items if item.track.id is not None]
    grouped: dict[int, list[Override]] = defaultdict(list)
    for decision in ctx.library.overrides(ids, active_only=False):
        grouped[decision.track_id].append(decision)
    return [
        QueueEntry(
            item,
            version_of(grouped.get(item.track.id or 0, [])),
            first_doubtful_second(item.classification),
            doubtful_windows(item.classification),
            item.track.source is Source.LOCAL or item.track.linked_track_id is not None,
        )
        for item in items
    ]


def queue(ctx: Ctx) -> Response:
    """Held tracks (oldest first), each with its reasons and player, then the latest decisions."""
    held, total = held_tracks(ctx.library, QUEUE_PAGE)
    return ctx.render(
        "review.html",
        entries=_entries(ctx, held),
        held_total=total,
        recent=recent_decisions(ctx.library, RECENT_SHOWN),
        categories=[c.value for c in Category if c is not Category.UNCLASSIFIED],
    )


def decide_track(ctx: Ctx) -> Response:
    """Record approve / ban / set-category with a note, refusing a stale form (see services.decisions)."""
    track_id = int(ctx.request.path_params["track_id"])
    action = ACTIONS.get(ctx.field("action"))
    if action is None:
        raise InputError("choose approve, ban or set-category")
    category_text = ctx.field("category")
    category = None
    if action is OverrideAction.SET_CATEGORY:
        if category_text not in {c.value for c in Category}:
            raise InputError("choose a category")
        category = Category(category_text)
    track = ctx.library.require_track(track_id)
    try:
        decision = decide(
            ctx.library,
            track_id,
            action,
            decided_by=ctx.user.name,
            expected_version=ctx.field("version") or None,
            category=category,
            note=ctx.field("note") or None,
            confirmed=ctx.field("confirm") == "1",
        )
    except StaleDecisionError as exc:
        template = "_stale.html" if ctx.request.headers.get("hx-request") else "stale.html"
        return ctx.render(template, error=exc, track=track, form=dict(ctx.form or {}))
    if not ctx.request.headers.get("hx-request"):
        return ctx.redirect("/review")
    return ctx.render("_decided.html", track=track, decision=decision)


def undo(ctx: Ctx) -> Response:
    """Revert one decision; the track comes back to the queue if it still needs one."""
    decision = undo_decision(ctx.library, int(ctx.request.path_params["decision_id"]))
    if not ctx.request.headers.get("hx-request"):
        return ctx.redirect("/review")
    track = ctx.library.require_track(decision.track_id)
    state = decision_state(ctx.library, decision.track_id)
    return ctx.render("_undone.html", track=track, decision=decision, version=state.version)
