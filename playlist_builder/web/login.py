"""The sign-in page: a double-submit CSRF cookie on the form, argon2 check, failures rate-limited."""

from __future__ import annotations

import secrets

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from playlist_builder.services.users import authenticate
from playlist_builder.web import auth
from playlist_builder.web.base import AppState, render, set_session_cookie, set_strict_cookie


def _safe_next(target: str) -> str:
    """Only a path on this site (no `//host`, no scheme): no open redirect after sign-in."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _form_page(
    request: Request, state: AppState, *, message: str = "", status: int = 200, name: str = ""
) -> Response:
    token = secrets.token_urlsafe(32)
    response = render(
        request,
        state,
        "login.html",
        status,
        message=message,
        login_csrf=token,
        name=name,
        next=_safe_next(request.query_params.get("next", "/")),
    )
    set_strict_cookie(request, response, auth.LOGIN_CSRF_COOKIE, token, path="/login")
    return response


async def login(request: Request, state: AppState) -> Response:
    """GET: the form. POST: check the CSRF pair, the rate limit, then the password."""
    local = await run_in_threadpool(lambda: state.local_mode)
    if local:
        return RedirectResponse("/", status_code=303)  # nothing to sign in to: the local single user
    if request.method != "POST":
        return _form_page(request, state)
    form = await request.form(max_files=0, max_fields=10, max_part_size=4096)
    if not auth.csrf_ok(request.cookies.get(auth.LOGIN_CSRF_COOKIE), str(form.get(auth.CSRF_FIELD) or "")):
        return _form_page(request, state, message="the sign-in form expired; please try again", status=403)
    name = str(form.get("name") or "").strip()
    password = str(form.get("password") or "")
    address = request.client.host if request.client else "unknown"
    wait_s = state.limiter.blocked_for(name, address)
    if wait_s > 0:
        minutes = max(1, round(wait_s / 60))
        message = f"too many failed sign-ins; try again in about {minutes} minute{'s' if minutes > 1 else ''}"
        return _form_page(request, state, message=message, status=429, name=name)
    user = await run_in_threadpool(authenticate, state.library, name, password)
    if user is None:
        state.limiter.failed(name, address)
        return _form_page(request, state, message="wrong name or password", status=401, name=name)
    state.limiter.succeeded(name)
    token, _session = state.sessions.create(user)
    response = RedirectResponse(_safe_next(str(form.get("next") or "/")), status_code=303)
    set_session_cookie(request, response, token)
    response.delete_cookie(auth.LOGIN_CSRF_COOKIE, path="/login")
    return response
