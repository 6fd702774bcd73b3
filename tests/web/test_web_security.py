"""Security of the clinic app: sign-in on shared binds, CSRF, no files outside the library, escaping."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import PASSWORD, csrf_of, make_client, sign_in
from starlette.routing import Route
from web_fixtures import Made

from playlist_builder.cli import cli
from playlist_builder.config import Settings
from playlist_builder.db.library import Library
from playlist_builder.errors import InputError
from playlist_builder.model import Category, Classification, Evidence, LyricsStatus, Source, Track
from playlist_builder.web.app import create_app

PAGES = ("/", "/library", "/review", "/sessions", "/jobs")


def test_non_loopback_bind_refuses_to_start_without_accounts(settings: Settings, library: Library) -> None:
    with pytest.raises(InputError, match="no account exists"):
        create_app(settings, library, bind_host="0.0.0.0")


def test_serve_command_refuses_a_shared_bind_without_accounts(settings: Settings, runner: CliRunner) -> None:
    result = runner.invoke(cli, ["serve", "--host", "0.0.0.0", "--port", "18999"])
    assert result.exit_code == 2
    assert "users add" in result.output
    assert "Traceback" not in result.output


def test_requests_without_a_session_cookie_are_refused_on_a_shared_bind(
    settings: Settings, library: Library, made: Made, accounts: dict[str, str]
) -> None:
    with make_client(settings, library, bind_host="0.0.0.0") as client:
        for path in (*PAGES, f"/tracks/{made.held_id}", "/sessions/1"):
            page = client.get(path, headers={"accept": "text/html"})
            assert page.status_code == 303 and page.headers["location"].startswith("/login"), path
        audio = client.get(f"/tracks/{made.held_id}/audio")
        assert audio.status_code == 401 and not audio.content.startswith(b"fLaC")
        strip = client.get(f"/tracks/{made.held_id}/strip", headers={"hx-request": "true"})
        assert strip.status_code == 401
        decided = client.post(f"/review/{made.held_id}/decide", data={"action": "approve"})
        assert decided.status_code == 401
        assert library.overrides([made.held_id]) == []
        # A made-up cookie is no better than none.
        client.cookies.set("pb_session", "forged-token-value")
        assert client.get("/library", headers={"accept": "text/html"}).status_code == 303


def test_loopback_with_accounts_still_requires_sign_in(
    settings: Settings, library: Library, made: Made, accounts: dict[str, str]
) -> None:
    with make_client(settings, library) as client:
        assert client.get("/review", headers={"accept": "text/html"}).status_code == 303
        sign_in(client, "amira")
        assert client.get("/review").status_code == 200


def test_session_cookie_is_httponly_and_samesite(
    settings: Settings, library: Library, made: Made, accounts: dict[str, str]
) -> None:
    with make_client(settings, library) as client:
        page = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        response = client.post("/login", data={"name": "amira", "password": PASSWORD, "csrf_token": token})
        cookie = response.headers["set-cookie"].lower()
        assert "pb_session=" in cookie and "httponly" in cookie and "samesite=strict" in cookie


def test_a_forged_csrf_token_is_refused(clinician, library: Library, made: Made) -> None:  # type: ignore[no-untyped-def]
    real = csrf_of(clinician)
    for token in ("forged", real[:-2] + "xx", ""):
        response = clinician.post(
            f"/review/{made.held_id}/decide",
            data={"action": "approve", "csrf_token": token},
            headers={"accept": "text/html"},
        )
        assert response.status_code == 403
    assert library.overrides([made.held_id]) == []
    ok = clinician.post(f"/review/{made.held_id}/decide", data={"action": "approve", "csrf_token": real})
    assert ok.status_code == 303
    assert [d.decided_by for d in library.overrides([made.held_id])] == ["amira"]


def test_every_state_changing_route_checks_csrf(clinician) -> None:  # type: ignore[no-untyped-def]
    app = clinician.app
    posted = [r for r in app.routes if isinstance(r, Route) and "POST" in (r.methods or set())]
    assert len(posted) >= 10
    for route in posted:
        path = re.sub(r"\{[^}]+:int\}", "1", route.path).replace("{kind}", "mix")
        response = clinician.post(path, data={"csrf_token": "forged"}, headers={"accept": "text/html"})
        assert response.status_code == 403, path


def test_login_form_itself_needs_its_csrf_pair(
    settings: Settings, library: Library, made: Made, accounts: dict[str, str]
) -> None:
    with make_client(settings, library) as client:
        client.get("/login")
        response = client.post("/login", data={"name": "amira", "password": PASSWORD, "csrf_token": "forged"})
        assert response.status_code == 403 and "pb_session" not in response.headers.get("set-cookie", "")


def test_failed_sign_ins_are_rate_limited(
    settings: Settings, library: Library, made: Made, accounts: dict[str, str]
) -> None:
    with make_client(settings, library) as client:
        for _ in range(5):
            token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)  # type: ignore[union-attr]
            wrong = client.post(
                "/login", data={"name": "amira", "password": "wrong-guess", "csrf_token": token}
            )
            assert wrong.status_code == 401
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)  # type: ignore[union-attr]
        right = client.post("/login", data={"name": "amira", "password": PASSWORD, "csrf_token": token})
        assert right.status_code == 429 and "too many failed sign-ins" in right.text
        # another account from another address is not locked out by amira's failures
        sign_in(client, "desk")


def test_staff_cannot_decide_about_tracks(
    settings: Settings, library: Library, made: Made, accounts: dict[str, str]
) -> None:
    with make_client(settings, library) as client:
        sign_in(client, "desk")
        token = csrf_of(client)
        response = client.post(
            f"/review/{made.held_id}/decide", data={"action": "approve", "csrf_token": token},
            headers={"accept": "text/html"},
        )  # fmt: skip
        assert response.status_code == 403 and "role" in response.text
        assert library.overrides([made.held_id]) == []


def _outside_track(library: Library, tmp_path: Path) -> int:
    secret = tmp_path / "outside-secret.flac"
    secret.write_bytes(b"fLaC-not-part-of-the-library")
    root_id, root = library.roots()[0]
    key = os.path.relpath(secret, root)  # "../../…/outside-secret.flac": leaves the root
    assert key.startswith("..") and (Path(root) / key).resolve() == secret.resolve()
    [track_id] = library.upsert_tracks(
        [Track(Source.LOCAL, key, "Escaping key", file_format="flac", duration_s=200.0)], root_id
    )
    return track_id


def test_no_file_outside_the_library_is_ever_served(
    clinician, library: Library, made: Made, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    escaping = _outside_track(library, tmp_path)
    assert clinician.get(f"/tracks/{escaping}/audio").status_code == 404
    for path in (
        "/tracks/999999/audio",
        "/tracks/-1/audio",
        "/tracks/..%2F..%2Fetc%2Fpasswd/audio",
        "/tracks/%2Fetc%2Fpasswd/audio",
        "/tracks/1/audio/../../../../etc/passwd",
        "/static/../../../../etc/passwd",
        "/static/..%2F..%2F..%2F..%2Fetc%2Fpasswd",
        "/tracks/1%20OR%201=1/audio",
        f"/tracks/{made.held_id}/audio?path=/etc/passwd",
    ):
        response = clinician.get(path)
        assert b"root:" not in response.content and b"not-part-of-the-library" not in response.content, path
        if "?path=" not in path:
            assert response.status_code == 404, path
    held = clinician.get(f"/tracks/{made.held_id}/audio?path=/etc/passwd")
    assert held.status_code == 200 and held.content.startswith(b"fLaC")  # the track's own file, nothing else


def test_html_in_a_tag_is_shown_as_text(clinician, library: Library, made: Made) -> None:  # type: ignore[no-untyped-def]
    title = '<script>alert("x")</script>Sneaky <b>bold</b>'
    [track_id] = library.upsert_tracks(
        [Track(Source.SPOTIFY, "spotify:track:xss", title, artist="<img src=x>")]
    )
    evidence = Evidence(
        "tags", "lyrics", "unknown", 0.3, "detail with <script>bad()</script>", detector="<i>d</i>"
    )
    library.save_classification(
        track_id,
        Classification(Category.AMBIENT, LyricsStatus.UNKNOWN, 0.2, 0.4, "test", reasons=(evidence,),
                       review_reasons=("needs <em>listening</em>",)),
        input_hash="x",
    )  # fmt: skip
    for path in ("/library?q=sneaky", f"/tracks/{track_id}", "/review"):
        body = clinician.get(path).text
        assert "<script>alert" not in body and "<b>bold</b>" not in body and "<img src=x>" not in body, path
        assert "&lt;script&gt;alert" in body, path
    track_page = clinician.get(f"/tracks/{track_id}").text
    assert "<script>bad()" not in track_page and "&lt;script&gt;bad()" in track_page
    assert "<i>d</i>" not in track_page and "<em>listening</em>" not in track_page


def test_unknown_host_header_is_refused_on_loopback(settings: Settings, library: Library, made: Made) -> None:
    from starlette.testclient import TestClient

    app = create_app(settings, library)  # loopback defaults: only 127.0.0.1 / localhost names
    with TestClient(app, base_url="http://attacker.example") as client:
        assert client.get("/library").status_code == 400
