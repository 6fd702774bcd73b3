"""The quick reader (`db/reader.py`, no SQLAlchemy) returns what the `Library` returns, method by method.

`library list` and `session list` read a current local SQLite library through it; anything it cannot
read as it is (a new, older or foreign database, another kind of URL) goes to the full `Library`.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from playlist_builder.cli import cli
from playlist_builder.config import Settings
from playlist_builder.db.library import Library
from playlist_builder.db.reader import LibraryReader, open_reader
from playlist_builder.model import Category, PlanItem, SessionPlan, Source
from playlist_builder.services import review
from tests.foundation.test_one_eligibility_rule import mixed  # noqa: F401  (a fixture: a varied library)


def _plan(track_ids: list[int], *, patient: str | None, seed: int, minute: int) -> SessionPlan:
    items = tuple(
        PlanItem(
            position=index,
            track_id=tid,
            phase="onset" if index == 0 else "peak",
            start_s=60.0 * index,
            duration_s=60.0,
            crossfade_in_s=0.0 if index == 0 else 4.0,
            crossfade_out_s=4.0,
            energy=0.25 + 0.1 * index,
            category=Category.AMBIENT,
            reason="fits — ruhig",
            costs={"energy": 0.5 * index},
        )
        for index, tid in enumerate(track_ids)
    )
    return SessionPlan(
        arc_name="iv-infusion",
        target_minutes=40.0,
        seed=seed,
        items=items,
        total_s=60.0 * len(items),
        costs={"total": 1.5},
        patient_code=patient,
        created_at=datetime(2026, 3, 1, 10, minute, 5, 123456, tzinfo=UTC),
    )


@pytest.fixture
def varied(library: Library, mixed: dict[str, int]) -> dict[str, int]:  # noqa: F811
    """The eligibility rule's varied library, plus an undone decision, a missing file and sessions."""
    undone = review.approve(library, mixed["Banned Drone"], note="by mistake")
    assert undone.id is not None
    library.undo_override(undone.id)
    library.set_missing([mixed["Empty"]], True)
    ids = sorted(mixed.values())
    library.save_session(_plan(ids[:3], patient="P-0042", seed=1, minute=1))
    library.save_session(_plan(ids[1:], patient=None, seed=2, minute=2))
    library.save_session(_plan(ids[:1], patient="P-0042", seed=3, minute=2))  # same minute: id breaks the tie
    return mixed


def _reader(settings: Settings) -> LibraryReader:
    reader = open_reader(settings.db_url)
    if reader is None:
        pytest.skip("the quick reader reads local SQLite files only")
    return reader


def test_every_method_returns_what_the_library_returns(
    settings: Settings, library: Library, varied: dict[str, int]
) -> None:
    reader = _reader(settings)
    try:
        some = [varied["Cut Short"], varied["curated"], varied["Good Pad"]]
        root = library.roots()[0][1]
        assert reader.roots() == library.roots()
        for filters in (
            {},
            {"source": Source.LOCAL},
            {"source": Source.SPOTIFY},
            {"missing": True},
            {"missing": False},
            {"under": root},
            {"under": root.upper()},  # SQL LIKE ignores ASCII case; the library keeps exact prefixes
            {"ids": some},
        ):
            assert reader.list_tracks(**filters) == library.list_tracks(**filters), filters  # type: ignore[arg-type]
        for ids in (None, some):
            assert reader.classifications(ids) == library.classifications(ids)
            assert reader.features_for(ids) == library.features_for(ids)
            assert reader.track_states(ids) == library.track_states(ids)
            for active_only in (True, False):
                assert reader.overrides(ids, active_only=active_only) == library.overrides(
                    ids, active_only=active_only
                )
        for kwargs in ({}, {"patient_code": "P-0042"}, {"limit": 2}, {"patient_code": "P-9", "limit": 1}):
            assert reader.list_sessions(**kwargs) == library.list_sessions(**kwargs), kwargs  # type: ignore[arg-type]
        # the comparisons above must compare something
        assert len(reader.list_sessions()) == 3 and reader.overrides(active_only=False)
        assert any(state.damage for state in reader.track_states().values())
    finally:
        reader.close()


def test_list_commands_print_the_same_through_either_path(
    runner: CliRunner,
    settings: Settings,
    library: Library,
    varied: dict[str, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`library list --json` and `session list --json` print the same through the reader and the Library."""
    _reader(settings).close()
    commands = (["library", "list", "--json"], ["session", "list", "--json"], ["session", "list"])
    quick = [runner.invoke(cli, ["--db", settings.db_url, *args]) for args in commands]
    monkeypatch.setattr("playlist_builder.db.reader.open_reader", lambda url: None)
    full = [runner.invoke(cli, ["--db", settings.db_url, *args]) for args in commands]
    for args, fast, slow in zip(commands, quick, full, strict=True):
        assert fast.exit_code == 0 and slow.exit_code == 0, (fast.output, slow.output)
        assert fast.output == slow.output, args
    tracks = json.loads(quick[0].output)
    assert {t["id"] for t in tracks if t["eligible"]} == {varied["Good Pad"], varied["spotify"]}
    assert [s["seed"] for s in json.loads(quick[1].output)] == [3, 2, 1]


def test_a_database_that_is_not_current_goes_to_the_library(tmp_path: Path) -> None:
    """No file, an older schema, a foreign file, another URL: no reader (the Library decides)."""
    missing = tmp_path / "none.sqlite3"
    assert open_reader(f"sqlite:///{missing}") is None
    assert not missing.exists()  # the reader never creates a file
    older = tmp_path / "older.sqlite3"
    with sqlite3.connect(older) as connection:
        connection.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
        connection.execute("INSERT INTO alembic_version VALUES ('0001')")
    assert open_reader(f"sqlite:///{older}") is None
    foreign = tmp_path / "notes.sqlite3"
    foreign.write_bytes(b"not a database at all" * 100)
    assert open_reader(f"sqlite:///{foreign}") is None
    assert open_reader("sqlite:///:memory:") is None
    assert open_reader("postgresql://clinic@127.0.0.1:9/library") is None


def test_quick_listings_never_import_sqlalchemy(tmp_path: Path) -> None:
    """On a current library, `library list` and `session list` run without SQLAlchemy (its import alone
    is most of a quick command's time budget)."""
    url = f"sqlite:///{tmp_path / 'library.sqlite3'}"
    Library.open(url).close()
    probe = (
        "import json, sys\n"
        "from playlist_builder.cli import main\n"
        "sys.argv = ['playlist-builder', *json.loads(sys.argv[1])]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "sys.stderr.write('LOADED ' + json.dumps(sorted({m.split('.')[0] for m in sys.modules})) + '\\n')\n"
    )
    for args in (["library", "list"], ["session", "list"]):
        result = subprocess.run(
            [sys.executable, "-c", probe, json.dumps(["--db", url, *args])],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        line = [ln for ln in result.stderr.splitlines() if ln.startswith("LOADED ")][-1]
        loaded = set(json.loads(line.removeprefix("LOADED ")))
        assert not loaded & {"sqlalchemy", "alembic", "numpy", "scipy"}, args


@pytest.mark.parametrize("folder", ["plain", "Bibliothèque #2 (50%)"])
def test_a_current_library_is_read_by_url_or_by_plain_path(tmp_path: Path, folder: str) -> None:
    """Plain paths (as `--db` accepts them) and names with spaces, `#`, `%` and accents open too."""
    path = tmp_path / folder / "library.sqlite3"
    path.parent.mkdir()
    library = Library.open(f"sqlite:///{path}")
    library.add_root(str(tmp_path / "Musik"))
    library.close()
    for url in (f"sqlite:///{path}", str(path)):
        reader = open_reader(url)
        assert reader is not None, url
        try:
            assert reader.roots() == [(1, str(tmp_path / "Musik"))]
        finally:
            reader.close()
