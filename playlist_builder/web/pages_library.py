"""Library and track pages, the audio stream and the loudness strip."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from playlist_builder.errors import NotFoundError, PlaylistBuilderError
from playlist_builder.model import Category, LyricsStatus
from playlist_builder.services.decisions import decision_state, doubtful_windows, first_doubtful_second
from playlist_builder.services.library_page import STATES, LibraryFilter, library_page
from playlist_builder.services.listening import loudness_strip, playable_file
from playlist_builder.services.views import describe_track
from playlist_builder.web.audio import audio_response
from playlist_builder.web.base import Ctx, page
from playlist_builder.web.svg import strip_svg

STRIP_CACHE_SIZE = 64  # strips kept in memory (a strip is a few hundred numbers)


def routes() -> list[Route]:
    """The routes of this module."""
    return [
        Route("/library", page(library)),
        Route("/tracks/{track_id:int}", page(track)),
        Route("/tracks/{track_id:int}/audio", page(audio)),
        Route("/tracks/{track_id:int}/strip", page(strip)),
    ]


def library(ctx: Ctx) -> Response:
    """Every track, filtered and paged on the server."""
    wanted = LibraryFilter(
        category=ctx.field("category") or None,
        lyrics=ctx.field("lyrics") or None,
        state=ctx.field("state") or None,
        source=ctx.field("source") or None,
        text=ctx.field("q"),
    )
    result = library_page(ctx.library, wanted, page=ctx.int_field("page", "the page", 1))
    pairs = (
        ("category", wanted.category),
        ("lyrics", wanted.lyrics),
        ("state", wanted.state),
        ("source", wanted.source),
        ("q", wanted.text),
    )
    query = {key: value for key, value in pairs if value}
    return ctx.render(
        "library.html",
        result=result,
        wanted=wanted,
        query=query,
        categories=[c.value for c in Category],
        lyrics_values=[s.value for s in LyricsStatus],
        states=STATES,
        sources=("local", "spotify", "curated"),
    )


def track(ctx: Ctx) -> Response:
    """One track: verdict, measurements, every reason with its detector and windows, the player."""
    track_id = int(ctx.request.path_params["track_id"])
    found = ctx.library.require_track(track_id)
    view = describe_track(ctx.library, found)
    classification = ctx.library.get_classification(track_id)
    features = ctx.library.get_features(found.linked_track_id or track_id) or ctx.library.get_features(
        track_id
    )
    try:
        playable = playable_file(ctx.library, track_id)
    except NotFoundError:
        playable = None
    return ctx.render(
        "track.html",
        track=found,
        view=view,
        features=features,
        decisions=decision_state(ctx.library, track_id),
        playable=playable,
        start_s=first_doubtful_second(classification),
        windows=doubtful_windows(classification),
    )


def audio(ctx: Ctx) -> Response:
    """The track's audio by id (never by path), with Range support; transcoded when needed."""
    playable = playable_file(ctx.library, int(ctx.request.path_params["track_id"]))
    return audio_response(ctx.request, playable)


def strip(ctx: Ctx) -> Response:
    """The loudness strip with voice windows marked (an htmx fragment; computed once per file)."""
    track_id = int(ctx.request.path_params["track_id"])
    try:
        playable = playable_file(ctx.library, track_id)
    except NotFoundError:
        return ctx.render("_strip.html", svg=None, message="no audio file to draw")
    key = (playable.track.id or track_id, playable.track.mtime)
    cached = ctx.state.strips.get(key)
    if cached is None:
        try:
            cached = loudness_strip(playable.path)
        except PlaylistBuilderError as exc:
            return ctx.render("_strip.html", svg=None, message=str(exc))
        if len(ctx.state.strips) >= STRIP_CACHE_SIZE:
            ctx.state.strips.pop(next(iter(ctx.state.strips)))
        ctx.state.strips[key] = cached
    classification = ctx.library.get_classification(track_id)
    features = ctx.library.get_features(playable.track.id or track_id)
    voice = [
        (start, end, f"{evidence.detector or evidence.source}: {evidence.detail}")
        for start, end, evidence in doubtful_windows(classification)
    ]
    heard = list(features.sampling_plan) if features is not None else []
    return ctx.render("_strip.html", svg=strip_svg(cached, voice, heard), message="")
