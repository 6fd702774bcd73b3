"""What runs inside an analysis worker process: set-up and one file's analysis.

Kept apart from services/analyze.py so that a spawned worker imports only the audio stack, never the
database layer (SQLAlchemy, Alembic): each worker starts sooner and holds less memory.
"""

from __future__ import annotations

import contextlib

from playlist_builder.errors import AudioError
from playlist_builder.model import Features
from playlist_builder.services import workers


def load_model() -> object:
    """The vocal model, loaded once per process (AudioError when missing or broken)."""
    from playlist_builder.audio.vocal import load_vocal_model

    return load_vocal_model()


def init_worker(parent_pid: int) -> None:
    """Worker set-up: die with the parent, one math thread, Ctrl-C is the parent's; load the model once."""
    workers.init_worker(parent_pid)
    with contextlib.suppress(AudioError):  # found by the parent; if it cannot load, each file says why
        load_model()


def analyse_path(path: str) -> tuple[Features | None, str | None]:
    """Analyse one file in this process: its Features, or None and the reason it failed."""
    from playlist_builder.audio.analyzer import analyze_file
    from playlist_builder.audio.vocal import load_vocal_model

    try:
        return analyze_file(path, load_vocal_model()), None
    except AudioError as error:
        return None, str(error)
    except Exception as error:  # a damaged file must not stop the run; the reason is stored with the track
        return None, f"{path}: analysis failed: {type(error).__name__}: {error}"
