"""Hostile names and tags: one-line titles, valid UTF-8 JSON, no hidden folders, nothing acts on a screen."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from mutagen.flac import FLAC

from playlist_builder.cli import cli
from playlist_builder.config import Settings
from playlist_builder.db.library import Library
from tests.conftest import write_tone

RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: "evil\u202etxt.exe" shows as "evilexe.txt"


def tagged_flac(path: Path, **tags: str) -> Path:
    write_tone(path)
    audio = FLAC(str(path))
    for key, value in tags.items():
        audio[key] = value
    audio.save()
    return path


def test_a_file_name_with_a_line_break_is_named_at_scan_not_at_export(
    runner: CliRunner, settings: Settings, tmp_path: Path
) -> None:
    """No playlist line can hold such a path: the scan says which file to rename, in one line."""
    root = tmp_path / "music"
    write_tone(root / "Rain\non the\rroof.wav")
    write_tone(root / "Folder\nwith break" / "Tide.wav")
    write_tone(root / "Calm.wav")
    result = runner.invoke(cli, ["library", "scan", str(root)])
    assert result.exit_code == 0, result.output
    assert "Scanned 1 files" in result.stdout and "2 unreadable" in result.stdout
    skipped = [line for line in result.stderr.splitlines() if line.startswith("skipped:")]
    assert len(skipped) == 2 and all("line break or control character" in line for line in skipped)
    assert any("Rain\\non the\\rroof.wav" in line for line in skipped)  # shown escaped, on one line
    assert [t.title for t in Library.open(settings.db_url).list_tracks()] == ["Calm"]


def test_a_title_from_a_file_name_is_one_clean_line() -> None:
    from playlist_builder.sources.local import FoundFile, read_track

    path = write_tone(Path(os.environ["HOME"]) / "Rain \u2028on the roof.wav")
    track = read_track(FoundFile(str(path), path.name, path.stat().st_size, path.stat().st_mtime, False))
    assert track.title == "Rain on the roof"


def test_tags_with_line_breaks_and_controls_are_cleaned_at_ingest(
    runner: CliRunner, settings: Settings, tmp_path: Path
) -> None:
    root = tmp_path / "music"
    tagged_flac(root / "a.flac", title="Slow\nTide\x1b[2J", artist="Ensemble\u2028Nord")
    assert runner.invoke(cli, ["library", "scan", str(root)]).exit_code == 0
    [track] = Library.open(settings.db_url).list_tracks()
    assert (track.title, track.artist) == ("Slow Tide [2J", "Ensemble Nord")


def test_scan_json_is_valid_utf8_even_for_undecodable_names(
    runner: CliRunner, settings: Settings, tmp_path: Path
) -> None:
    root = tmp_path / "music"
    write_tone(root / "fine.wav")
    os.makedirs(root, exist_ok=True)
    bad = os.path.join(os.fsencode(root), b"caf\xe9.wav")
    with open(bad, "wb") as handle:
        handle.write((root / "fine.wav").read_bytes())
    result = runner.invoke(cli, ["library", "scan", "--json", str(root)])
    assert result.exit_code == 0, result.output
    text = result.stdout_bytes.decode("utf-8")  # raises if any raw non-UTF-8 byte got through
    summary = json.loads(text)
    [problem] = summary["problems"]
    assert problem["path"].endswith("caf\\xe9.wav") and "UTF-8" in problem["reason"]
    plain = runner.invoke(cli, ["library", "scan", str(root)])
    assert plain.exit_code == 0 and "caf\\xe9.wav" in plain.stderr


def test_hidden_folders_are_skipped_unless_asked(
    runner: CliRunner, settings: Settings, tmp_path: Path
) -> None:
    root = tmp_path / "music"
    write_tone(root / "Session" / "keep.wav")
    write_tone(root / ".Trash-1000" / "files" / "deleted.wav")
    write_tone(root / ".venv" / "lib" / "test-tone.wav")
    write_tone(root / "Session" / "._keep.wav")  # a macOS resource-fork copy
    result = runner.invoke(cli, ["library", "scan", "--json", str(root)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["files_seen"] == 1
    everything = runner.invoke(cli, ["library", "scan", "--json", "--include-hidden", str(root)])
    assert everything.exit_code == 0, everything.output
    assert json.loads(everything.stdout)["files_seen"] == 4
    hidden_root = runner.invoke(cli, ["library", "scan", "--json", str(root / ".venv")])
    assert json.loads(hidden_root.stdout)["files_seen"] == 1  # a hidden folder named itself is scanned


@pytest.mark.parametrize("command", [["library", "list"], ["library", "show", "1"], ["review", "list"]])
def test_bidi_controls_never_reach_the_terminal(
    runner: CliRunner, settings: Settings, tmp_path: Path, command: list[str]
) -> None:
    root = tmp_path / "music"
    tagged_flac(root / "t.flac", title=f"evil{RLO}txt.exe", artist="Am\u2066bient")
    assert runner.invoke(cli, ["library", "scan", str(root)]).exit_code == 0
    result = runner.invoke(cli, command)
    assert result.exit_code == 0, result.output
    assert RLO not in result.output and "\u2066" not in result.output
    if command == ["library", "list"]:
        assert "evil\\u202etxt.exe" in result.stdout


def test_json_keeps_the_data_but_escapes_bidi(runner: CliRunner, settings: Settings, tmp_path: Path) -> None:
    root = tmp_path / "music"
    tagged_flac(root / "t.flac", title=f"evil{RLO}txt.exe")
    assert runner.invoke(cli, ["library", "scan", str(root)]).exit_code == 0
    listed = runner.invoke(cli, ["library", "list", "--json"])
    assert RLO not in listed.stdout and "\\u202e" in listed.stdout
    assert json.loads(listed.stdout)[0]["title"] == f"evil{RLO}txt.exe"  # a program still gets the real title


def test_error_messages_are_neutralised_too(runner: CliRunner, settings: Settings, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["library", "scan", str(tmp_path / f"no{RLO}such")])
    assert result.exit_code == 2
    assert RLO not in result.output and "\\u202e" in result.output
