"""The review cycle through the command line: classify, list, approve, ban, set-category, undo."""

from __future__ import annotations

import json

import click
import pytest
from classify_fixtures import make_features, make_track
from click.testing import CliRunner

from playlist_builder.cli import cli
from playlist_builder.cli.classify import command as classify_command
from playlist_builder.cli.review import group as review_group
from playlist_builder.config import Settings
from playlist_builder.db.library import Library
from playlist_builder.model import Source, Track


@pytest.fixture
def tracks(library: Library, settings: Settings) -> dict[str, int]:
    """A Spotify row with no evidence, a local choir, a local instrumental file."""
    (unknown,) = library.upsert_tracks([make_track(title="Stille Nacht")])
    root_id = library.add_root("/srv/Musik")
    choir, quiet = library.upsert_tracks(
        [
            Track(source=Source.LOCAL, source_key="chor.flac", title="Chor der Elfen", duration_s=60.0),
            Track(source=Source.LOCAL, source_key="ruhe.flac", title="Ruhe", duration_s=60.0),
        ],
        root_id=root_id,
    )
    choir_features = make_features(vocal_probability=0.9, tags={"choir": 0.8})
    library.save_features(choir, choir_features, file_size=1, file_mtime=1.0, analyzer_version="test-1")
    library.save_features(quiet, make_features(), file_size=1, file_mtime=1.0, analyzer_version="test-1")
    return {"unknown": unknown, "choir": choir, "quiet": quiet}


def run(runner: CliRunner, *args: str, code: int = 0) -> str:
    result = runner.invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.stdout


def queue_ids(runner: CliRunner) -> list[int]:
    return [item["id"] for item in json.loads(run(runner, "review", "list", "--json"))]


def test_review_cycle(runner: CliRunner, tracks: dict[str, int]) -> None:
    out = run(runner, "classify", "--offline")
    assert "Classified 3 of 3" in out and "wait for a clinician" in out
    assert set(queue_ids(runner)) >= {tracks["unknown"], tracks["choir"]}
    listing = run(runner, "review", "list")
    assert "Chor der Elfen" in listing and "choir" in listing

    approved = run(runner, "review", "approve", str(tracks["choir"]), "--note", "wortloser Chor, gehört")
    decision_id = int(approved.split()[1].rstrip(":"))
    assert tracks["choir"] not in queue_ids(runner)
    run(runner, "review", "ban", str(tracks["unknown"]), "--note", "gesprochenes Intro")
    assert tracks["unknown"] not in queue_ids(runner)
    run(runner, "review", "set-category", str(tracks["quiet"]), "nature")

    # Re-classifying never overwrites a decision.
    run(runner, "classify", "--offline", "--force")
    views = {v["id"]: v for v in json.loads(run(runner, "library", "list", "--json"))}
    assert views[tracks["choir"]]["lyrics"] == "instrumental"
    assert views[tracks["unknown"]]["banned"] is True
    assert views[tracks["quiet"]]["category"] == "nature"

    decisions = json.loads(run(runner, "review", "decisions", "--json"))
    assert [d["action"] for d in decisions] == ["approve", "ban", "set-category"]
    assert decisions[0]["note"] == "wortloser Chor, gehört" and decisions[0]["created_at"]

    out = run(runner, "review", "undo", str(decision_id))
    assert "undone" in out
    assert tracks["choir"] in queue_ids(runner)
    history = json.loads(run(runner, "review", "decisions", "--all", "--json"))
    assert history[0]["undone_at"] is not None


def test_review_errors_are_one_line_with_exit_code_2(runner: CliRunner, tracks: dict[str, int]) -> None:
    result = runner.invoke(cli, ["review", "approve", "9999"])
    assert result.exit_code == 2 and "no track with id 9999" in result.output
    assert "Traceback" not in result.output
    assert runner.invoke(cli, ["review", "undo", "9999"]).exit_code == 2
    assert runner.invoke(cli, ["review", "set-category", str(tracks["quiet"]), "jazz"]).exit_code == 2


def test_classify_json_and_one_warning_per_unreachable_service(
    runner: CliRunner, library: Library, settings: Settings
) -> None:
    library.upsert_tracks(
        [
            make_track(source_key=f"spotify:track:{n}", title=f"Lied {n}", isrc="DEA621100123")
            for n in range(5)
        ]
    )
    result = runner.invoke(cli, ["classify", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["total"] == 5 and report["by_lyrics"] == {"unknown": 5}
    assert result.stderr.count("warning:") == 2
    assert "Connection refused" in result.stderr


def test_empty_review_queue(runner: CliRunner, settings: Settings) -> None:
    assert "Nothing waits" in run(runner, "review", "list")
    assert json.loads(run(runner, "review", "list", "--json")) == []


@pytest.mark.parametrize(
    "command",
    [classify_command, *review_group.commands.values(), review_group],
    ids=lambda c: c.name,
)
def test_every_command_has_help_with_an_example(command: click.Command) -> None:
    assert command.help and "Example" in command.help
