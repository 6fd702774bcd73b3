"""Fixtures for the clinic app: a generated library, an app on it, and a signed-in HTTP client."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from web_fixtures import Made, make_library, write_music

from playlist_builder.config import Settings
from playlist_builder.db.library import Library
from playlist_builder.services.users import add_user
from playlist_builder.web.app import create_app

PASSWORD = "correct horse battery"
TEST_HOSTS = ("testserver", "127.0.0.1", "localhost")


@pytest.fixture(scope="session")
def music_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated FLAC files, made once per test run."""
    folder = tmp_path_factory.mktemp("webmusic") / "music"
    write_music(folder)
    return folder


@pytest.fixture
def made(library: Library, music_dir: Path) -> Made:
    """The library with every generated track scanned and classified."""
    return make_library(library, music_dir)


@pytest.fixture
def accounts(library: Library) -> dict[str, str]:
    """One clinician and one staff account (name -> role)."""
    add_user(library, "amira", "clinician", PASSWORD)
    add_user(library, "desk", "staff", PASSWORD)
    return {"amira": "clinician", "desk": "staff"}


def make_client(
    settings: Settings, library: Library, bind_host: str = "127.0.0.1", **options: object
) -> TestClient:
    """A TestClient on a new app (follows no redirects, so tests see them)."""
    app = create_app(settings, library, bind_host=bind_host, allowed_hosts=TEST_HOSTS, **options)  # type: ignore[arg-type]
    return TestClient(app, follow_redirects=False)


def sign_in(client: TestClient, name: str, password: str = PASSWORD) -> None:
    """Sign in through the form, as a browser does."""
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, page.text
    response = client.post("/login", data={"name": name, "password": password, "csrf_token": token.group(1)})
    assert response.status_code == 303, response.text


def csrf_of(client: TestClient, path: str = "/library") -> str:
    """The CSRF token a signed-in page carries."""
    page = client.get(path)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text) or re.search(
        r'"X-CSRF-Token": "([^"]+)"', page.text
    )
    assert match, page.text
    return match.group(1)


@pytest.fixture
def clinician(
    settings: Settings, library: Library, made: Made, accounts: dict[str, str]
) -> Iterator[TestClient]:
    """A client signed in as the clinician."""
    with make_client(settings, library) as client:
        sign_in(client, "amira")
        yield client
