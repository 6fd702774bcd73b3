"""The clinic app: its security headers, its templates and its routes, put together by `create_app`.

What every page shares (state, request context, the route wrapper) is in `web/base.py`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import jinja2
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from playlist_builder.config import Settings
from playlist_builder.db.library import Library
from playlist_builder.errors import InputError
from playlist_builder.services.users import has_accounts
from playlist_builder.web import auth, filters, pages_library, pages_review, pages_sessions
from playlist_builder.web.base import WEB_DIR, AppState, Ctx, page, render
from playlist_builder.web.login import login

DEFAULT_DEVICE_ROOTS = ("/media", "/mnt", "/run/media", "/Volumes")
MAX_BODY_BYTES = 1024 * 1024  # forms are small; nothing is uploaded
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)


class SecurityHeaders:
    """Adds CSP, frame, sniffing and referrer headers to every response (pure ASGI: streams untouched)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                for name, value in (
                    (b"content-security-policy", CSP.encode()),
                    (b"x-frame-options", b"DENY"),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                ):
                    if name not in names:
                        headers.append((name, value))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


def _templates() -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(WEB_DIR / "templates")),
        autoescape=True,  # every value is escaped: a <script> in a title shows as text
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    filters.install(env)
    return Jinja2Templates(env=env)


def create_app(
    settings: Settings,
    library: Library,
    *,
    bind_host: str = "127.0.0.1",
    device_roots: tuple[str, ...] = DEFAULT_DEVICE_ROOTS,
    allowed_hosts: tuple[str, ...] | None = None,
) -> Starlette:
    """The app for `library`. Refuses (InputError) a non-loopback bind while no account exists."""
    if not auth.is_loopback(bind_host) and not has_accounts(library):
        raise InputError(
            f"refusing to serve on {bind_host}: anyone on the network could use the app and no account "
            "exists; create one with `playlist-builder users add NAME --role clinician`"
        )
    state = AppState(
        settings=settings,
        library=library,
        templates=_templates(),
        bind_host=bind_host,
        device_roots=tuple(Path(p) for p in device_roots),
    )
    routes = [
        Route("/", page(_home)),
        Route("/login", _login, methods=["GET", "POST"]),
        Route("/logout", page(_logout), methods=["POST"]),
        *pages_library.routes(),
        *pages_review.routes(),
        *pages_sessions.routes(),
        Mount("/static", StaticFiles(directory=str(WEB_DIR / "static")), name="static"),
    ]
    if allowed_hosts is None:
        allowed_hosts = ("127.0.0.1", "localhost", "[::1]", "::1") if auth.is_loopback(bind_host) else ("*",)
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts)),
        ],
        exception_handlers={HTTPException: _http_error},
        lifespan=_lifespan(state),
        max_body_size=MAX_BODY_BYTES,
    )
    app.state.pb = state
    return app


async def _http_error(request: Request, exc: Exception) -> Response:
    """404s and 405s from routing as plain pages (no details of the app's insides)."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    message = "no such page" if status == 404 else "that cannot be done here"
    return render(request, request.app.state.pb, "error.html", status, message=message, status=status)


def _lifespan(state: AppState) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        state.jobs.shutdown()

    return lifespan


def _home(ctx: Ctx) -> Response:
    return ctx.redirect("/review" if ctx.user.can_decide else "/library")


def _logout(ctx: Ctx) -> Response:
    ctx.state.sessions.drop(ctx.request.cookies.get(auth.SESSION_COOKIE))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(auth.SESSION_COOKIE, path="/")
    return response


async def _login(request: Request) -> Response:
    """Sign-in form (GET) and check (POST); failures are counted and limited."""
    return await login(request, request.app.state.pb)
