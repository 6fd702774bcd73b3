"""`playlist-builder session ...` through CliRunner: exit codes, messages, tables and JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sequence_fixtures import add_eligible_tracks, generate_candidates

from playlist_builder.cli import cli
from playlist_builder.db.library import Library


@pytest.fixture
def stocked(library: Library) -> list[int]:
    """300 eligible local tracks in the test database the CLI also uses."""
    return add_eligible_tracks(library, generate_candidates(300, seed=41))


def run(runner: CliRunner, *args: str) -> object:
    return runner.invoke(cli, list(args), catch_exceptions=False)


def test_build_show_list(runner: CliRunner, stocked: list[int]) -> None:
    built = run(
        runner,
        "session",
        "build",
        "--arc",
        "iv-infusion",
        "--minutes",
        "50",
        "--seed",
        "9",
        "--patient",
        "P-0042",
    )
    assert built.exit_code == 0, built.output
    assert "Saved as session 1 (seed 9" in built.output
    assert "why chosen" in built.output and "deep" in built.output
    shown = run(runner, "session", "show", "1")
    assert shown.exit_code == 0
    lines = shown.output.splitlines()
    assert lines[0].startswith("Session 1: iv-infusion 50 min (iv-infusion, 50:00")
    assert "patient P-0042" in lines[0]
    assert lines[1].split()[:6] == ["#", "start", "phase", "category", "energy", "length"]
    assert lines[3].split()[:3] == ["1", "0:00", "settle"]
    listed = run(runner, "session", "list")
    assert listed.exit_code == 0 and "P-0042" in listed.output and "iv-infusion" in listed.output


def test_json_output(runner: CliRunner, stocked: list[int]) -> None:
    built = run(runner, "session", "build", "--arc", "im-injection", "--seed", "3", "--json")
    assert built.exit_code == 0
    payload = json.loads(built.output)
    assert payload["arc"] == "im-injection" and payload["seed"] == 3
    assert abs(payload["total_s"] - 50 * 60) <= 10
    item = payload["items"][0]
    assert {"start_s", "phase", "category", "energy", "reason", "costs", "crossfade_in_s", "title"} <= set(
        item
    )
    shown = json.loads(run(runner, "session", "show", str(payload["id"]), "--json").output)
    assert shown["items"] == payload["items"]
    listed = json.loads(run(runner, "session", "list", "--json").output)
    assert [entry["id"] for entry in listed] == [payload["id"]]


def test_infeasible_request_exits_2_and_saves_nothing(runner: CliRunner, library: Library) -> None:
    add_eligible_tracks(library, generate_candidates(5, seed=1))
    result = runner.invoke(cli, ["session", "build", "--arc", "iv-infusion", "--minutes", "50"])
    assert result.exit_code == 2
    assert "only" in result.output and "approve or add tracks, or choose another arc" in result.output
    assert "Traceback" not in result.output
    assert json.loads(run(runner, "session", "list", "--json").output) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["session", "build", "--patient", "Jane Doe"], "opaque code"),
        (["session", "build", "--pin", "abc"], "TRACK_ID@PHASE"),
        (["session", "build", "--pin", "12@"], "TRACK_ID@PHASE"),
        (["session", "build", "--source", "cd"], "Invalid value for '--source'"),
        (["session", "build", "--arc", "nope"], "no session arc called 'nope'"),
        (["session", "build", "--minutes", "90"], "made for 40-60 minutes"),
        (["session", "show", "99"], "no session with id 99"),
        (["session", "show", "1", "--sheet", "sheet.pdf"], "the sheet must be a .html or .md file"),
        (["session", "show", "1", "--plot", "arc.svg"], "the plot must be a .png file"),
    ],
)
def test_bad_input_exits_2(runner: CliRunner, stocked: list[int], args: list[str], message: str) -> None:
    result = runner.invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_every_session_command_has_help_with_an_example(runner: CliRunner) -> None:
    for command in ([], ["build"], ["show"], ["list"], ["arcs"]):
        result = run(runner, "session", *command, "--help")
        assert result.exit_code == 0
        assert "Example" in result.output


def test_arcs_lists_the_templates(runner: CliRunner) -> None:
    result = run(runner, "session", "arcs")
    assert result.exit_code == 0
    assert "iv-infusion" in result.output and "settle 12% > descend 16%" in result.output
    payload = json.loads(run(runner, "session", "arcs", "--json").output)
    assert {arc["name"] for arc in payload} >= {"iv-infusion", "im-injection", "intranasal"}


def test_show_writes_sheet_and_plot(runner: CliRunner, stocked: list[int], tmp_path: Path) -> None:
    assert run(runner, "session", "build", "--seed", "1").exit_code == 0
    sheet, plot = tmp_path / "sheet.html", tmp_path / "arc.png"
    result = run(runner, "session", "show", "1", "--sheet", str(sheet), "--plot", str(plot))
    assert result.exit_code == 0, result.output
    assert sheet.is_file() and plot.is_file()
    assert f"wrote {sheet}" in result.output
