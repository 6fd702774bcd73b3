"""Fixtures for classification tests: the shipped rules, plain features, a fake HTTP service."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from classify_fixtures import REPO_RULES, FakeService, make_features, make_track, start_fake_service

from playlist_builder.classify.rules import Rules, load_rules


@pytest.fixture(scope="session")
def rules() -> Rules:
    """The rules the tool ships with."""
    return load_rules(REPO_RULES)


@pytest.fixture(name="make_features")
def make_features_fixture() -> Any:
    """`make_features(**changes)` as a fixture."""
    return make_features


@pytest.fixture(name="make_track")
def make_track_fixture() -> Any:
    """`make_track(**changes)` as a fixture."""
    return make_track


@pytest.fixture
def fake_service() -> Iterator[FakeService]:
    """A fresh scripted HTTP service on 127.0.0.1 (a free port), stopped after the test."""
    service, stop = start_fake_service()
    yield service
    stop()
