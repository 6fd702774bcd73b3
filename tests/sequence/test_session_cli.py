"""`playlist-builder session ...` through CliRunner: exit codes, messages, tables and JSON."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from sequence_fixtures import add_eligible_tracks, generate_candidates

from playlist_builder.cli import cli
from playlist_builder.db.library import Library
from playlist_builder.model import Category, PlanItem, SessionPlan, Source, Track


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
    assert "Why each track:" in built.output and "deep" in built.output
    shown = run(runner, "session", "show", "1")
    assert shown.exit_code == 0
    lines = shown.output.splitlines()
    header = re.match(
        r"Session 1: iv-infusion 50 min \(iv-infusion, (\d+):(\d\d) for 50 min target", lines[0]
    )
    assert header and abs(int(header[1]) * 60 + int(header[2]) - 50 * 60) <= 10
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


def test_show_fits_100_columns_with_long_titles(runner: CliRunner, library: Library) -> None:
    candidates = generate_candidates(120, seed=7)
    long = [
        replace(c, title="Ein sehr langer Titel über das Meer, den Wind und die Stille " * 4)
        for c in candidates
    ]
    add_eligible_tracks(library, long)
    assert run(runner, "session", "build", "--seed", "4").exit_code == 0
    shown = run(runner, "session", "show", "1")
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    assert max(len(line) for line in lines) <= 100, max(lines, key=len)
    rows = [line for line in lines if re.match(r"^\d+\s+\d+:\d\d\s", line)]
    assert rows and all("…" in row for row in rows)  # titles cut with an ellipsis
    assert all(re.match(r"^ +\d+\. ", line) or len(line) <= 100 for line in lines)


def test_second_session_for_a_patient_names_the_held_back_tracks(runner: CliRunner, library: Library) -> None:
    add_eligible_tracks(library, generate_candidates(24, seed=11, min_s=200, max_s=400))
    first = run(runner, "session", "build", "--seed", "1", "--patient", "P-0007")
    assert first.exit_code == 0, first.output
    second = runner.invoke(cli, ["session", "build", "--seed", "2", "--patient", "P-0007"])
    assert second.exit_code == 2, second.output
    assert "this patient heard in their last 3 sessions are held back" in second.stderr
    assert "--familiarity" in second.stderr and "gentle-transition" not in second.stderr
    familiar = run(runner, "session", "build", "--seed", "2", "--patient", "P-0007", "--familiarity")
    assert familiar.exit_code == 0, familiar.output


def test_building_before_analysis_says_to_run_analyze(
    runner: CliRunner, library: Library, tmp_path: Path
) -> None:
    root = library.add_root(str(tmp_path))
    library.upsert_tracks([Track(source=Source.LOCAL, source_key=f"{n}.flac", title=f"T{n}", duration_s=112)
                           for n in range(3)], root)  # fmt: skip
    result = runner.invoke(cli, ["session", "build"])
    assert result.exit_code == 2
    assert "3 of the 3 tracks have not been analysed; run `playlist-builder analyze`" in result.stderr
    assert "0 minutes" not in result.stderr and "Traceback" not in result.output


def test_shortfalls_are_told_in_minutes_and_seconds(runner: CliRunner, library: Library) -> None:
    add_eligible_tracks(library, generate_candidates(5, seed=1, min_s=100, max_s=130))
    result = runner.invoke(cli, ["session", "build"])
    assert result.exit_code == 2
    assert re.search(r"only \d+:\d\d of instrumental material fits", result.stderr), result.stderr


def test_show_tells_when_a_session_was_planned_for_crossfades(runner: CliRunner, library: Library) -> None:
    ids = add_eligible_tracks(library, generate_candidates(3, seed=2, min_s=300, max_s=300))
    items = tuple(
        PlanItem(position=n, track_id=track_id, phase="deep", start_s=n * 292.0, duration_s=300.0,
                 crossfade_in_s=8.0 if n else 10.0, crossfade_out_s=8.0 if n < 2 else 20.0, energy=0.2,
                 category=Category.AMBIENT, reason="fits")
        for n, track_id in enumerate(ids)
    )  # fmt: skip
    library.save_session(
        SessionPlan(arc_name="iv-infusion", target_minutes=884 / 60, seed=1, items=items, total_s=884)
    )
    shown = " ".join(run(runner, "session", "show", "1").output.split())  # wrapped at 100 columns
    assert "Played back to back (playlist, device, Spotify) it lasts 15:00" in shown
    assert "planned with crossfades by an earlier version" in shown
