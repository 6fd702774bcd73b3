"""What runs inside an analysis worker process: set-up and one file's analysis.

Kept apart from services/analyze.py so that a spawned worker imports only the audio stack, never the
database layer (SQLAlchemy, Alembic): each worker starts sooner and holds less memory.
"""

from __future__ import annotations

import contextlib

from playlist_builder.errors import AudioError
from playlist_builder.model import Features
from playlist_builder.services import workers

# One file's result: its Features (None when it failed), the reason it failed, whether only ears were
# heard again.
WorkerResult = tuple[Features | None, str | None, bool]


def load_model() -> object:
    """The vocal model, loaded once per process (AudioError when missing or broken)."""
    from playlist_builder.audio.vocal import load_vocal_model

    return load_vocal_model()


def init_worker(parent_pid: int) -> None:
    """Worker set-up: die with the parent, one math thread, Ctrl-C is the parent's; load the model once."""
    workers.init_worker(parent_pid)
    with contextlib.suppress(AudioError):  # found by the parent; if it cannot load, each file says why
        load_model()


def analyse_path(
    path: str, parts: frozenset[str] | None = None, stored: Features | None = None
) -> WorkerResult:
    """Analyse one file in this process: its Features (None: it failed, and the reason), and whether
    only ears were heard again. With `stored` and `parts` naming only ears, those ears hear the file
    again and the stored measurements are kept; if that cannot be done, the file is analysed whole."""
    from playlist_builder.audio.analyzer import analyze_file, load_ears, rehear
    from playlist_builder.audio.vocal import load_vocal_model

    try:
        if stored is not None and parts and "features" not in parts:
            with contextlib.suppress(AudioError):  # e.g. its decoder is gone: a whole analysis decides
                return rehear(path, stored, load_ears(), parts), None, True
        return analyze_file(path, load_vocal_model()), None, False
    except AudioError as error:
        return None, str(error), False
    except Exception as error:  # a damaged file must not stop the run; the reason is stored with the track
        return None, f"{path}: analysis failed: {type(error).__name__}: {error}", False
    finally:
        workers.release_memory()  # this file's audio and spectrograms are garbage now
