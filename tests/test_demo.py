"""The demo end to end: generated music in, a 50-minute session out, decoys kept out (slowest test)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from playlist_builder.cli import cli
from playlist_builder.config import load_settings
from playlist_builder.db.library import Library
from playlist_builder.export.m3u import parse_playlist
from playlist_builder.services.demo import DEMO_MINUTES, run_demo
from playlist_builder.sources.generated import DEMO_TRACKS

DECOY_TITLES = {t.title for t in DEMO_TRACKS if t.file_name.startswith("9")}


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    demo_dir = tmp_path_factory.mktemp("demo")
    return run_demo(load_settings({"PLAYLIST_BUILDER_DATA_DIR": str(demo_dir)}), demo_dir=demo_dir)


def test_demo_library_is_long_enough_and_covers_every_category() -> None:
    usable = [t for t in DEMO_TRACKS if t.title not in DECOY_TITLES]
    assert sum(t.minutes for t in usable) >= 90
    assert {t.kind for t in usable} >= {"pad", "piano", "binaural", "rain", "waves"}


def test_demo_builds_a_50_minute_session_without_decoys(demo_run) -> None:  # type: ignore[no-untyped-def]
    plan = demo_run.session
    assert abs(plan.total_s - DEMO_MINUTES * 60) <= 10
    library = Library.open(demo_run.database)
    try:
        titles = {t.id: t.title for t in library.list_tracks()}
        classifications = library.classifications()
    finally:
        library.close()
    chosen = {titles[item.track_id] for item in plan.items}
    assert not chosen & DECOY_TITLES
    assert all(classifications[item.track_id].lyrics.value == "instrumental" for item in plan.items)
    assert {item.phase for item in plan.items} == {"settle", "descend", "deep", "return", "ground"}
    held = {h.title for h in demo_run.held_back}
    assert held >= DECOY_TITLES
    # only the decoys: every generated piece of music (the piano pieces too) is heard as instrumental
    assert held == DECOY_TITLES


def test_demo_writes_playlist_sheet_and_plot(demo_run) -> None:  # type: ignore[no-untyped-def]
    text = demo_run.playlist.path.read_text(encoding="utf-8")
    entries = parse_playlist(text).entries
    assert len(entries) == len(demo_run.session.items)
    for entry in entries:
        assert (demo_run.playlist.path.parent / entry.location).resolve().is_file()
    assert demo_run.sheet.read_text(encoding="utf-8").count("<tr") > len(demo_run.session.items)
    assert demo_run.plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_second_demo_run_reuses_everything(demo_run, runner: CliRunner) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(cli, ["demo", "--dir", str(demo_run.demo_dir)])
    assert result.exit_code == 0, result.output
    assert f"0 analysed now, {len(DEMO_TRACKS)} already analysed" in result.stdout
    assert f"Reused session {demo_run.session.id}" in result.stdout
    assert "Welcome [vocal]" in result.stdout and "Evening Song [vocal]" in result.stdout
    assert Path(demo_run.demo_dir, "demo.sqlite3").is_file()
