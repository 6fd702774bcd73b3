"""Opening a database: concurrent first use, the fast version check, and clear refusals."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from playlist_builder.cli import cli
from playlist_builder.db.library import Library, normalise_db_url
from playlist_builder.db.migrate import VERSIONS_DIR, head_revision, shipped_revisions
from playlist_builder.errors import DatabaseUnusableError

REPO_ROOT = Path(__file__).resolve().parents[2]

# Each process imports everything first, then waits for a shared start time, so both reach the
# migration within a millisecond or two of each other.
OPEN_AT = """
import sys, time
import alembic.command  # loaded up front so the import time does not spread the two starts apart
from playlist_builder.db.library import Library
start_at = float(sys.argv[2])
time.sleep(max(0.0, start_at - time.time()))
library = Library.open(sys.argv[1])
with library.transaction() as session:
    pass
print(len(library.roots()))
library.close()
"""


def _run_together(url: str, processes: int = 2) -> list[subprocess.CompletedProcess[str]]:
    start_at = f"{time.time() + 4.0:.3f}"  # imports take ~1-2 s on a busy two-core machine
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    running = [
        subprocess.Popen(
            [sys.executable, "-c", OPEN_AT, url, start_at],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(processes)
    ]
    results = []
    for proc in running:
        out, err = proc.communicate(timeout=120)
        results.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return results


def test_two_processes_creating_a_new_database_at_once_both_succeed(tmp_path: Path) -> None:
    for attempt in range(4):
        url = f"sqlite:///{tmp_path / f'race{attempt}.sqlite3'}"
        for result in _run_together(url):
            assert result.returncode == 0, result.stderr
            assert result.stdout.strip() == "0"
        with sqlite3.connect(tmp_path / f"race{attempt}.sqlite3") as conn:
            assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(head_revision(),)]
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_concurrent_first_use_on_every_backend(db_url: str) -> None:
    """The same race on SQLite and (when configured) PostgreSQL, where an advisory lock serialises it."""
    for result in _run_together(db_url, processes=3):
        assert result.returncode == 0, result.stderr
    library = Library.open(db_url)
    try:
        with library.engine.connect() as conn:
            versions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        assert versions == [head_revision()]
    finally:
        library.close()


def test_an_up_to_date_database_opens_without_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'current.sqlite3'}"
    Library.open(url).close()
    probe = (
        "import sys\n"
        "from playlist_builder.db.library import Library\n"
        f"Library.open({url!r}).close()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    assert done.stdout.strip() == "[]"


def test_the_head_read_from_the_files_is_alembics_head() -> None:
    from alembic.script import ScriptDirectory

    from playlist_builder.db.migrate import alembic_config

    script = ScriptDirectory.from_config(alembic_config())
    shipped = shipped_revisions()
    assert shipped.head == script.get_current_head()
    assert shipped.known == {rev.revision for rev in script.walk_revisions()}


def test_head_reading_follows_the_chain(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text('revision: str = "0001"\ndown_revision: str | None = None\n')
    (tmp_path / "b.py").write_text('revision = "0002"\ndown_revision = "0001"\n')
    (tmp_path / "c.py").write_text("revision: str = '0003'\ndown_revision: str | None = '0002'\n")
    shipped = shipped_revisions(tmp_path)
    assert shipped.known == {"0001", "0002", "0003"} and shipped.head == "0003"
    (tmp_path / "d.py").write_text('revision = "0004"\ndown_revision = "0002"\n')
    shipped_revisions.cache_clear()
    assert shipped_revisions(tmp_path).head is None  # two heads: Alembic decides
    shipped_revisions.cache_clear()
    assert shipped_revisions(VERSIONS_DIR).head is not None


def test_newer_schema_is_refused_clearly(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'newer.sqlite3'}"
    library = Library.open(url)
    with library.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    library.close()
    with pytest.raises(DatabaseUnusableError, match="made by a newer version of playlist-builder"):
        Library.open(url)


def test_a_plain_path_is_a_sqlite_database(tmp_path: Path) -> None:
    assert normalise_db_url(str(tmp_path / "x.db")) == f"sqlite:///{tmp_path / 'x.db'}"
    assert normalise_db_url("rel.db") == f"sqlite:///{Path.cwd() / 'rel.db'}"
    assert normalise_db_url("sqlite:///a.db") == "sqlite:///a.db"


# --- through the command line ----------------------------------------------------------------------


def _list(runner: CliRunner, db: str) -> object:
    return runner.invoke(cli, ["--db", db, "library", "list"])


def test_a_text_file_is_not_a_database(runner: CliRunner, tmp_path: Path) -> None:
    bogus = tmp_path / "t.db"
    bogus.write_text("hi\n")
    result = _list(runner, f"sqlite:///{bogus}")
    assert result.exit_code == 2, result.output
    assert "cannot open database" in result.stderr and "not a playlist-builder database" in result.stderr
    assert "Traceback" not in result.output
    assert bogus.read_text() == "hi\n"


def test_another_programs_sqlite_database_is_left_alone(runner: CliRunner, tmp_path: Path) -> None:
    other = tmp_path / "photos.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY)")
    result = _list(runner, f"sqlite:///{other}")
    assert result.exit_code == 2, result.output
    assert "not a playlist-builder database" in result.stderr
    with sqlite3.connect(other) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables == {"photos"}


def test_a_newer_schema_through_the_cli(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "newer.sqlite3"
    Library.open(f"sqlite:///{path}").close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    result = _list(runner, str(path))
    assert result.exit_code == 2, result.output
    assert "cannot open database" in result.stderr and "made by a newer version" in result.stderr
    assert "CommandError" not in result.output and "Traceback" not in result.output


def test_a_path_without_scheme_works_and_says_it_created_the_library(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "clinic.db"
    first = _list(runner, str(path))
    assert first.exit_code == 0, first.output
    assert f"Created a new, empty library database: {path}" in first.stderr
    assert path.is_file()
    second = _list(runner, str(path))
    assert second.exit_code == 0, second.output
    assert "Created" not in second.stderr


def test_a_typo_in_the_folder_creates_nothing(runner: CliRunner, tmp_path: Path) -> None:
    typo = tmp_path / "Musci" / "library.sqlite3"
    result = _list(runner, f"sqlite:///{typo}")
    assert result.exit_code == 2, result.output
    assert "cannot open database" in result.stderr and f"{typo.parent} does not exist" in result.stderr
    assert not typo.parent.exists()


def test_the_default_data_folder_is_made_on_first_use(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "fresh" / "data"
    monkeypatch.setenv("PLAYLIST_BUILDER_DATA_DIR", str(data))
    result = runner.invoke(cli, ["library", "list"])
    assert result.exit_code == 0, result.output
    assert (data / "library.sqlite3").is_file()
    assert "Created a new, empty library database" in result.stderr
