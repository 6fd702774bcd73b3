"""The progress event every long use-case reports through its callback."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ProgressEvent:
    """`done` of `total` items finished; `item` names the current one; `message` is a one-off note."""

    done: int = 0
    total: int | None = None
    item: str = ""
    message: str = ""


ProgressCallback = Callable[[ProgressEvent], None]


def report(progress: ProgressCallback | None, event: ProgressEvent) -> None:
    """Send an event to a callback if there is one."""
    if progress is not None:
        progress(event)
