"""What every page of the clinic app shares: the app's state, one request as a handler sees it,
rendering, and the one route wrapper (sign-in, roles, CSRF, error boundary).

Every route goes through `page()`: it finds the browser's session (or, on a loopback-only app without
accounts, the single local user), checks the role, checks the CSRF token on every state-changing
request, runs the handler on a worker thread (the services are synchronous), and turns any error into
a clear message in the page, never a stack trace. The page modules and `app` (which puts them together)
import this module; it imports none of them.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from playlist_builder.config import Settings
from playlist_builder.db.library import Library
from playlist_builder.errors import InputError, NotFoundError, PlaylistBuilderError
from playlist_builder.services.users import User, has_accounts
from playlist_builder.web import auth
from playlist_builder.web.jobs import JobRunner

log = logging.getLogger(__name__)
WEB_DIR = Path(__file__).resolve().parent
HTMX_FILE = "htmx-2.0.11.min.js"  # vendored from the htmx.org npm package, version 2.0.11 (0BSD)
UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


@dataclass
class AppState:
    """What every handler may use; one per app."""

    settings: Settings
    library: Library
    templates: Jinja2Templates
    bind_host: str
    device_roots: tuple[Path, ...]
    sessions: auth.SessionStore = field(default_factory=auth.SessionStore)
    limiter: auth.LoginLimiter = field(default_factory=auth.LoginLimiter)
    jobs: JobRunner = field(default_factory=JobRunner)
    strips: dict[tuple[int, float | None], Any] = field(default_factory=dict)

    @property
    def local_mode(self) -> bool:
        """Loopback-only and no accounts yet: one local user, no sign-in."""
        return auth.is_loopback(self.bind_host) and not has_accounts(self.library)


@dataclass
class Ctx:
    """One request as a handler sees it."""

    request: Request
    state: AppState
    user: User
    session: auth.WebSession
    form: FormData | None

    @property
    def library(self) -> Library:
        """The library database."""
        return self.state.library

    @property
    def settings(self) -> Settings:
        """The app's settings."""
        return self.state.settings

    def field(self, name: str, default: str = "") -> str:
        """A form field (POST) or query parameter (GET) as stripped text."""
        source = self.form if self.form is not None else self.request.query_params
        value = source.get(name, default)
        return value.strip() if isinstance(value, str) else default

    def int_field(self, name: str, what: str, default: int | None = None) -> int:
        """A whole-number field; InputError naming `what` when it is not one."""
        text = self.field(name)
        if not text and default is not None:
            return default
        try:
            return int(text)
        except ValueError:
            raise InputError(f"{what} must be a whole number") from None

    def render(self, template: str, http_status: int = 200, **values: Any) -> Response:
        """A template rendered with the common values (user, CSRF token, nav)."""
        csrf = self.session.csrf_token
        return render(self.request, self.state, template, http_status, user=self.user, csrf=csrf, **values)

    def redirect(self, url: str) -> Response:
        """See-other to a page of this app (htmx follows it as a full navigation)."""
        if self.request.headers.get("hx-request"):
            return Response(status_code=204, headers={"HX-Redirect": url})
        return RedirectResponse(url, status_code=303)


def render(
    request: Request, state: AppState, template: str, http_status: int = 200, **values: Any
) -> Response:
    """Render a template with the app-wide values."""
    values.setdefault("user", None)
    values.setdefault("csrf", "")
    values["local_mode"] = values.get("local_mode", False)
    values["htmx_file"] = HTMX_FILE
    return state.templates.TemplateResponse(request, template, values, status_code=http_status)


Handler = Callable[[Ctx], Response]
ROLE_CHECKS: dict[str, Callable[[User], bool]] = {
    "view": lambda user: True,
    "decide": lambda user: user.can_decide,
    "build": lambda user: user.can_build,
}


def page(handler: Handler, need: str = "view") -> Callable[[Request], Awaitable[Response]]:
    """Wrap a synchronous handler with sign-in, role and CSRF checks and the error boundary."""
    check_role = ROLE_CHECKS[need]

    async def endpoint(request: Request) -> Response:
        state: AppState = request.app.state.pb
        new_token = None
        found = state.sessions.get(request.cookies.get(auth.SESSION_COOKIE))
        local = await run_in_threadpool(lambda: state.local_mode)
        if found is not None and found.user.name.startswith("local:") and not local:
            found = None  # accounts exist now: the local user's session no longer counts
        if found is None and local:
            new_token, found = state.sessions.create(auth.local_user())
        if found is None:
            return _refuse(request)
        if not check_role(found.user):
            return _problem(request, state, found, 403, "your role cannot do this (ask a clinician)")
        form = None
        if request.method in UNSAFE_METHODS:
            form = await request.form(max_files=0, max_fields=200, max_part_size=64 * 1024)
            given = request.headers.get(auth.CSRF_HEADER) or str(form.get(auth.CSRF_FIELD) or "")
            if not auth.csrf_ok(found.csrf_token, given):
                return _problem(
                    request, state, found, 403, "this form has expired; reload the page and try again"
                )
        ctx = Ctx(request, state, found.user, found, form)
        try:
            response = await run_in_threadpool(handler, ctx)
        except PlaylistBuilderError as exc:
            status = 404 if isinstance(exc, NotFoundError) else 400 if isinstance(exc, InputError) else 500
            response = _problem(request, state, found, status, str(exc))
        except Exception:
            log.exception("error in %s %s", request.method, request.url.path)
            response = _problem(
                request, state, found, 500, "something went wrong; the server log has details"
            )
        if new_token is not None:
            set_session_cookie(request, response, new_token)
        return response

    return endpoint


def _refuse(request: Request) -> Response:
    """No valid session: pages send the browser to sign in; everything else gets 401."""
    wants_page = request.method == "GET" and "text/html" in request.headers.get("accept", "")
    if wants_page and not request.headers.get("hx-request"):
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
    return Response(
        "sign in first", status_code=401, media_type="text/plain", headers={"HX-Redirect": "/login"}
    )


def _problem(
    request: Request, state: AppState, session: auth.WebSession | None, status: int, message: str
) -> Response:
    """A clear message: a fragment for htmx (shown in the flash area), else a page."""
    values = {"message": message, "status": status}
    if session is not None:
        values.update(user=session.user, csrf=session.csrf_token)
    if request.headers.get("hx-request"):
        response = render(request, state, "_flash.html", 200, **values)
        response.headers["HX-Retarget"] = "#flash"
        response.headers["HX-Reswap"] = "innerHTML"
        return response
    return render(request, state, "error.html", status, **values)


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    """The session cookie (see `set_strict_cookie`), for the whole site, as long as a session lasts."""
    set_strict_cookie(request, response, auth.SESSION_COOKIE, token, path="/", max_age=auth.MAX_SESSION_S)


def set_strict_cookie(
    request: Request, response: Response, name: str, value: str, *, path: str, max_age: int | None = None
) -> None:
    """A cookie scripts cannot read (HttpOnly), never sent by another site (SameSite=Strict), Secure
    when the clinic's proxy speaks HTTPS."""
    response.set_cookie(
        name,
        value,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path=path,
        max_age=max_age,
    )
