"""`library import-curated` through the command line, on the shipped starter libraries."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from playlist_builder.cli import cli
from tests.conftest import write_tone


def test_import_curated_links_a_local_file_and_lists_the_rest(
    runner: CliRunner, settings, tmp_path: Path
) -> None:
    from mutagen.flac import FLAC

    music = tmp_path / "music"
    weightless = write_tone(music / "weightless.flac", seconds=0.5)
    tags = FLAC(str(weightless))
    tags["title"], tags["artist"] = "Weightless", "Marconi Union"
    tags.save()
    assert runner.invoke(cli, ["library", "scan", str(music)]).exit_code == 0

    result = runner.invoke(cli, ["library", "import-curated", "--no-spotify", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert set(summary["libraries"]) == {"ambient", "binaural", "minimal", "nature"}
    assert summary["added"] == summary["entries"] > 30
    # the 0.5 s file has the right names but not the right length: a near miss, never a link
    weightless_outcome = next(o for o in summary["outcomes"] if o["title"] == "Weightless")
    assert weightless_outcome["local"]["track_id"] is None
    assert summary["unmatched"] == summary["entries"]

    again = runner.invoke(cli, ["library", "import-curated", "ambient", "--no-spotify"])
    assert again.exit_code == 0, again.output
    assert "0 new" in again.stdout and "no local file or Spotify track yet" in again.stdout


def test_import_curated_unknown_library_is_exit_2(runner: CliRunner, settings) -> None:
    result = runner.invoke(cli, ["library", "import-curated", "jazz", "--no-spotify"])
    assert result.exit_code == 2
    assert "jazz" in result.stderr and "Traceback" not in result.output


def test_import_curated_with_spotify_demanded_but_not_signed_in(runner: CliRunner, settings) -> None:
    result = runner.invoke(cli, ["library", "import-curated", "--spotify"])
    assert result.exit_code == 1
    assert "not signed in to Spotify" in result.stderr
