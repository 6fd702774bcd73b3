"""Fixtures for export tests: tiny generated audio files in a library and a saved session over them."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from export_fixtures import MadeSession, SessionMaker, TrackSpec, write_audio

from playlist_builder.db.library import Library
from playlist_builder.model import Category, PlanItem, SessionPlan, Source, Track


@pytest.fixture
def make_session(library: Library, tmp_path: Path) -> SessionMaker:
    """Create tracks (files for local ones) and save a session playing them in order."""
    counter = {"n": 0}

    def make(
        specs: Sequence[TrackSpec],
        *,
        name: str = "Morning infusion",
        crossfade_s: float = 0.0,
        patient_code: str | None = None,
    ) -> MadeSession:
        counter["n"] += 1
        root = tmp_path / f"music{counter['n']}"
        root.mkdir()
        root_id = library.add_root(str(root))
        paths: list[Path | None] = []
        ids: list[int] = []
        for index, spec in enumerate(specs):
            if spec.source is Source.LOCAL:
                key = spec.file_name or f"album/{index:02d} track{spec.suffix}"
                path = root / key
                write_audio(path, spec, seed=index)
                track = Track(
                    source=Source.LOCAL,
                    source_key=key,
                    title=spec.title,
                    artist=spec.artist,
                    duration_s=spec.seconds,
                    file_format=spec.suffix.lstrip("."),
                    **spec.extra,
                )  # type: ignore[arg-type]
                ids += library.upsert_tracks([track], root_id)
                paths.append(path)
            else:
                track = Track(
                    source=spec.source,
                    source_key=f"spotify:track:{counter['n']}x{index}",
                    title=spec.title,
                    artist=spec.artist,
                    duration_s=spec.seconds,
                )
                ids += library.upsert_tracks([track])
                paths.append(None)
        items = []
        start = 0.0
        phases = ("settle", "descend", "deep", "return", "ground")
        for index, (spec, track_id) in enumerate(zip(specs, ids, strict=True)):
            fade_in = crossfade_s if index else 0.0
            fade_out = crossfade_s if index < len(specs) - 1 else 0.0
            items.append(
                PlanItem(
                    position=index,
                    track_id=track_id,
                    phase=phases[min(index, 4)],
                    start_s=start,
                    duration_s=spec.seconds,
                    crossfade_in_s=fade_in,
                    crossfade_out_s=fade_out,
                    energy=0.2 + 0.1 * (index % 3),
                    category=Category.AMBIENT,
                    reason=f"fits {phases[min(index, 4)]}",
                )
            )
            start += spec.seconds - fade_out
        plan = SessionPlan(
            arc_name="iv-infusion",
            target_minutes=start / 60,
            seed=1,
            items=tuple(items),
            total_s=start,
            name=name,
            patient_code=patient_code,
        )
        return MadeSession(library.save_session(plan), root, paths, ids)

    return make
