"""Jinja filters for the clinic app's templates (times, numbers, windows)."""

from __future__ import annotations

from datetime import UTC, datetime

import jinja2

from playlist_builder.text import format_duration


def _num(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _when(moment: datetime | None) -> str:
    if moment is None:
        return ""
    local = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone()
    return local.strftime("%Y-%m-%d %H:%M")


def _windows(windows: tuple[tuple[float, float], ...] | list[tuple[float, float]]) -> str:
    return ", ".join(f"{format_duration(start)}–{format_duration(end)}" for start, end in windows)


def install(env: jinja2.Environment) -> None:
    """Register the filters on an environment."""
    env.filters["clock"] = format_duration
    env.filters["num"] = _num
    env.filters["when"] = _when
    env.filters["windows"] = _windows
