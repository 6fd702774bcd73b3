"""Sessions (build, plan and arc, swap, pin, rename, delete), exports, the sheet and background jobs."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import Route

from playlist_builder.errors import InputError, NotFoundError
from playlist_builder.export.sheet import render_html
from playlist_builder.services.export_device import export_device
from playlist_builder.services.export_mix import export_mix
from playlist_builder.services.export_sheet import session_sheet
from playlist_builder.services.progress import ProgressCallback
from playlist_builder.services.session import SOURCES, build_session, list_arcs, list_sessions, show_session
from playlist_builder.services.session_edit import (
    delete_session,
    pin_and_rebuild,
    rename_session,
    swap_alternatives,
    swap_track,
)
from playlist_builder.services.web_exports import (
    check_device_folder,
    device_folders,
    mix_path,
    playlist_download,
)
from playlist_builder.web.base import Ctx, page
from playlist_builder.web.svg import arc_svg

SHEET_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'"
LENGTH_TOLERANCE_NOTE = 10  # seconds; shown beside the length (the sequencer's rules keep it)


def routes() -> list[Route]:
    """The routes of this module."""
    return [
        Route("/sessions", page(sessions)),
        Route("/sessions/build", page(build, "build"), methods=["POST"]),
        Route("/sessions/{session_id:int}", page(session)),
        Route("/sessions/{session_id:int}/alternatives/{position:int}", page(alternatives, "build")),
        Route("/sessions/{session_id:int}/swap", page(swap, "build"), methods=["POST"]),
        Route("/sessions/{session_id:int}/pin", page(pin, "build"), methods=["POST"]),
        Route("/sessions/{session_id:int}/rename", page(rename, "build"), methods=["POST"]),
        Route("/sessions/{session_id:int}/delete", page(delete, "build"), methods=["POST"]),
        Route("/sessions/{session_id:int}/playlist.m3u8", page(playlist, "build")),
        Route("/sessions/{session_id:int}/sheet", page(sheet)),
        Route("/sessions/{session_id:int}/export/{kind}", page(export, "build"), methods=["POST"]),
        Route("/jobs", page(jobs)),
        Route("/jobs/analyze", page(analyze, "build"), methods=["POST"]),
        Route("/jobs/{job_id:int}", page(job)),
        Route("/jobs/{job_id:int}/download", page(job_download, "build")),
    ]


def _session_id(ctx: Ctx) -> int:
    return int(ctx.request.path_params["session_id"])


def sessions(ctx: Ctx) -> Response:
    """Past sessions (one patient code's when asked) and the build form."""
    patient = ctx.field("patient") or None
    return ctx.render(
        "sessions.html",
        sessions=list_sessions(ctx.library, patient_code=patient),
        patient=patient or "",
        arcs=list_arcs(ctx.settings),
        sources=SOURCES,
    )


def build(ctx: Ctx) -> Response:
    """Build a session from arc, minutes, patient code, seed and source; show it."""
    minutes_text = ctx.field("minutes")
    try:
        minutes = float(minutes_text) if minutes_text else None
    except ValueError:
        raise InputError("minutes must be a number") from None
    seed_text = ctx.field("seed")
    plan = build_session(
        ctx.library,
        ctx.settings,
        arc_name=ctx.field("arc"),
        minutes=minutes,
        seed=ctx.int_field("seed", "the seed") if seed_text else None,
        source=ctx.field("source", "any") or "any",
        patient_code=ctx.field("patient") or None,
        name=ctx.field("name") or None,
    )
    return ctx.redirect(f"/sessions/{plan.id}")


def session(ctx: Ctx) -> Response:
    """The plan as a table beside the arc drawn in the page, with edit and export actions."""
    session_id = _session_id(ctx)
    view = show_session(ctx.library, ctx.settings, session_id)
    sheet = session_sheet(ctx.library, ctx.settings, session_id)
    return ctx.render(
        "session.html",
        view=view,
        arc=arc_svg(sheet),
        length_error=view.plan.total_s - view.plan.target_minutes * 60,
        tolerance=LENGTH_TOLERANCE_NOTE,
        devices=device_folders(ctx.state.device_roots),
        jobs=ctx.state.jobs.all(session_id),
        syncs=ctx.library.syncs(session_id),
    )


def alternatives(ctx: Ctx) -> Response:
    """Ranked tracks that could take one position and keep arc and length (an htmx fragment)."""
    session_id, position = _session_id(ctx), int(ctx.request.path_params["position"])
    found = swap_alternatives(ctx.library, ctx.settings, session_id, position)
    return ctx.render("_alternatives.html", session_id=session_id, position=position, alternatives=found)


def swap(ctx: Ctx) -> Response:
    """Put the chosen alternative in place; the plan is re-timed to keep its length."""
    session_id = _session_id(ctx)
    swap_track(
        ctx.library,
        ctx.settings,
        session_id,
        ctx.int_field("position", "the position"),
        ctx.int_field("track", "the track"),
    )
    return ctx.redirect(f"/sessions/{session_id}")


def pin(ctx: Ctx) -> Response:
    """Rebuild the session (same arc, length, seed, patient) with one track pinned; show the new one."""
    plan = pin_and_rebuild(
        ctx.library,
        ctx.settings,
        _session_id(ctx),
        ctx.int_field("track", "the track"),
        ctx.field("phase") or None,
    )
    return ctx.redirect(f"/sessions/{plan.id}")


def rename(ctx: Ctx) -> Response:
    """Rename a session."""
    session_id = _session_id(ctx)
    rename_session(ctx.library, session_id, ctx.field("name"))
    return ctx.redirect(f"/sessions/{session_id}")


def delete(ctx: Ctx) -> Response:
    """Delete a session (asks for the confirm box to be ticked)."""
    if ctx.field("confirm") != "1":
        raise InputError("tick the box to confirm deleting this session")
    delete_session(ctx.library, _session_id(ctx))
    return ctx.redirect("/sessions")


def playlist(ctx: Ctx) -> Response:
    """The M3U8 as a download (rendered by export/m3u.py; nothing written on the server)."""
    download = playlist_download(
        ctx.library, ctx.settings, _session_id(ctx), prefix=ctx.field("prefix") or None
    )
    return Response(
        download.data,
        media_type="audio/x-mpegurl; charset=utf-8",
        headers={"Content-Disposition": _attachment(download.file_name)},
    )


def _attachment(name: str) -> str:
    from urllib.parse import quote

    ascii_name = name.encode("ascii", "replace").decode().replace('"', "'").replace("?", "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


def sheet(ctx: Ctx) -> Response:
    """The printable session sheet (export/sheet.py's self-contained HTML)."""
    text = render_html(session_sheet(ctx.library, ctx.settings, _session_id(ctx)))
    return HTMLResponse(text, headers={"Content-Security-Policy": SHEET_CSP})


def export(ctx: Ctx) -> Response:
    """Start a device copy, a mix or a Spotify sync in the background; the page shows its progress."""
    session_id = _session_id(ctx)
    plan = ctx.library.get_session(session_id)
    kind = ctx.request.path_params["kind"]
    library, settings = ctx.library, ctx.settings
    if kind == "device":
        folder = check_device_folder(ctx.state.device_roots, ctx.field("folder"))

        def work(progress: ProgressCallback) -> tuple[str, Path | None]:
            result = export_device(library, settings, session_id, folder, progress=progress)
            return f"{len(result.files)} files and the playlist in {result.folder}", None

        label = f"copy “{plan.name}” to {folder}"
    elif kind == "mix":
        out = mix_path(settings, session_id, datetime.now())

        def work(progress: ProgressCallback) -> tuple[str, Path | None]:
            result = export_mix(library, settings, session_id, out, progress=progress)
            mix = result.mix
            return (
                f"{mix.path.name}: {mix.duration_s / 60:.1f} min at {mix.integrated_lufs:.1f} LUFS",
                mix.path,
            )

        label = f"render the mix of “{plan.name}”"
    elif kind == "spotify":

        def work(progress: ProgressCallback) -> tuple[str, Path | None]:
            from playlist_builder.services.spotify import sync_session
            from playlist_builder.spotify.client import make_client

            report = sync_session(library, make_client(settings), session_id, progress=progress)
            return f"{report.synced} tracks in the Spotify playlist {report.url}", None

        label = f"sync “{plan.name}” to Spotify"
    else:
        raise NotFoundError(f"no export called {kind!r}")
    ctx.state.jobs.submit(kind, label, ctx.user.name, work, session_id)
    return ctx.redirect(f"/sessions/{session_id}#jobs")


def analyze(ctx: Ctx) -> Response:
    """Analyse new and changed files and classify the library, in the background."""
    library, settings = ctx.library, ctx.settings

    def work(progress: ProgressCallback) -> tuple[str, Path | None]:
        from playlist_builder.services.analyze import analyze_library
        from playlist_builder.services.classify import classify_library

        analysed = analyze_library(library, settings, jobs=1, progress=progress)
        classified = classify_library(library, settings, progress=progress)
        return (
            f"{analysed.analysed} analysed, {analysed.failed} failed; {classified.classified} classified, "
            f"{classified.needs_review} waiting for review"
        ), None

    ctx.state.jobs.submit("analyze", "analyse and classify the library", ctx.user.name, work)
    return ctx.redirect("/jobs")


def jobs(ctx: Ctx) -> Response:
    """Every background job with its progress."""
    return ctx.render("jobs.html", jobs=ctx.state.jobs.all())


def job(ctx: Ctx) -> Response:
    """One job's progress (an htmx fragment the page polls while the job runs)."""
    found = ctx.state.jobs.get(int(ctx.request.path_params["job_id"]))
    if found is None:
        raise NotFoundError("no such job (the server may have restarted)")
    return ctx.render("_job.html", job=found)


def job_download(ctx: Ctx) -> Response:
    """The file a finished job made (a mix), by job id: never a path from the request."""
    found = ctx.state.jobs.get(int(ctx.request.path_params["job_id"]))
    if found is None or found.state != "done" or found.download is None or not found.download.is_file():
        raise NotFoundError("this job has no file to download")
    return FileResponse(found.download, filename=found.download.name)
