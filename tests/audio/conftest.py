"""Fixtures for the audio tests: the vocal model, loaded once."""

from __future__ import annotations

import pytest

from playlist_builder.audio.vocal import VocalModel, load_vocal_model


@pytest.fixture(scope="session")
def vocal_model() -> VocalModel:
    """The shipped vocal model, loaded once for the session."""
    return load_vocal_model()
