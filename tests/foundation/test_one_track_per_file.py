"""A local file is one track however it was reached; a moved file keeps its decisions (issue 13 item 1)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from playlist_builder.cli import cli
from playlist_builder.db.library import Library
from playlist_builder.model import Category, Classification, LyricsStatus, OverrideAction
from playlist_builder.services.scan import scan_paths
from tests.conftest import write_tone


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    write_tone(root / "nature" / "Rain on leaves.flac", freq=330.0)
    write_tone(root / "nature" / "Brook.flac", freq=440.0)
    write_tone(root / "ambient" / "Drift.flac", freq=550.0)
    return root


def _rows(runner: CliRunner) -> list[dict[str, object]]:
    listed = runner.invoke(cli, ["library", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    return json.loads(listed.stdout)


def _approve_all(library: Library) -> None:
    """Make every track a would-be candidate (classified instrumental, analysed intact)."""
    for track in library.list_tracks():
        assert track.id is not None
        library.save_classification(
            track.id,
            Classification(Category.NATURE, LyricsStatus.INSTRUMENTAL, 0.3, 0.9, "test"),
            input_hash="test",
        )
        library.save_features(track.id, None, file_size=None, file_mtime=None, analyzer_version="test")


def test_ban_cannot_be_escaped_by_scanning_from_another_folder(
    runner: CliRunner, settings, library: Library, corpus: Path
) -> None:
    assert runner.invoke(cli, ["library", "scan", str(corpus / "nature")]).exit_code == 0
    rain = library.find_track_by_path(corpus / "nature" / "Rain on leaves.flac")
    assert rain is not None and rain.id is not None
    rain_id = str(rain.id)
    banned = runner.invoke(cli, ["review", "ban", rain_id, "--note", "spoken intro"])
    assert banned.exit_code == 0, banned.output

    parent = runner.invoke(cli, ["library", "scan", str(corpus)])
    assert parent.exit_code == 0, parent.output
    assert "1 new" in parent.stdout  # only ambient/Drift.flac is new; the nature files are the same rows
    rows = _rows(runner)
    assert len(rows) == 3
    rains = [r for r in rows if r["title"] == "Rain on leaves"]
    assert len(rains) == 1 and rains[0]["id"] == rain.id and rains[0]["banned"] is True

    single = runner.invoke(cli, ["library", "scan", str(corpus / "nature" / "Rain on leaves.flac")])
    assert single.exit_code == 0, single.output
    rows = _rows(runner)
    assert len(rows) == 3 and [r["banned"] for r in rows if r["title"] == "Rain on leaves"] == [True]

    # a link to the folder is still the same file
    (corpus.parent / "alias").symlink_to(corpus / "nature", target_is_directory=True)
    assert runner.invoke(cli, ["library", "scan", str(corpus.parent / "alias")]).exit_code == 0
    assert len(_rows(runner)) == 3

    _approve_all(library)
    pinned = runner.invoke(
        cli, ["session", "build", "--arc", "iv-infusion", "--minutes", "40", "--pin", rain_id]
    )
    assert pinned.exit_code == 2  # refused as bad input, before any planning
    assert f"cannot pin track {rain_id}" in pinned.stderr and "banned by a clinician" in pinned.stderr
    assert "Traceback" not in pinned.output


def test_a_moved_file_keeps_its_row_and_decisions(library: Library, corpus: Path) -> None:
    scan_paths(library, [str(corpus)])
    brook = library.find_track_by_path(corpus / "nature" / "Brook.flac")
    assert brook is not None and brook.id is not None
    library.save_classification(
        brook.id, Classification(Category.NATURE, LyricsStatus.UNKNOWN, 0.3, 0.5, "test"), input_hash="h"
    )
    from playlist_builder.services.review import approve

    approve(library, brook.id, note="listened")
    (corpus / "archive").mkdir()
    os.rename(corpus / "nature" / "Brook.flac", corpus / "archive" / "Brook (2019).flac")

    result = scan_paths(library, [str(corpus)])
    assert (result.moved, result.added, result.marked_missing) == (1, 0, 0)
    moved = library.find_track_by_path(corpus / "archive" / "Brook (2019).flac")
    assert moved is not None and moved.id == brook.id and not moved.missing
    assert library.get_classification(brook.id) is not None
    assert [d.action for d in library.overrides([brook.id])] == [OverrideAction.APPROVE]
    assert len(library.list_tracks()) == 3


def test_a_copy_of_a_banned_file_is_banned_too(library: Library, corpus: Path, tmp_path: Path) -> None:
    scan_paths(library, [str(corpus)])
    rain = library.find_track_by_path(corpus / "nature" / "Rain on leaves.flac")
    assert rain is not None and rain.id is not None
    from playlist_builder.services.review import ban

    ban(library, rain.id)
    elsewhere = tmp_path / "usb"
    elsewhere.mkdir()
    (elsewhere / "renamed.flac").write_bytes((corpus / "nature" / "Rain on leaves.flac").read_bytes())
    result = scan_paths(library, [str(elsewhere)])
    assert result.added == 1 and result.moved == 0  # the original is still there: a copy, not a move
    copy = library.find_track_by_path(elsewhere / "renamed.flac")
    assert copy is not None and copy.id != rain.id
    (decision,) = library.overrides([copy.id])  # type: ignore[list-item]
    assert decision.action is OverrideAction.BAN and f"track {rain.id}" in (decision.note or "")


def test_fingerprints_read_few_bytes_and_tell_files_apart(tmp_path: Path) -> None:
    from playlist_builder.sources import fingerprint

    a = write_tone(tmp_path / "a.wav", seconds=5.0, freq=220.0)
    b = write_tone(tmp_path / "b.wav", seconds=5.0, freq=221.0)
    assert a.stat().st_size == b.stat().st_size
    first = fingerprint.file_fingerprint(a, a.stat().st_size)
    assert first is not None and first.startswith(f"{a.stat().st_size}:")
    assert first != fingerprint.file_fingerprint(b, b.stat().st_size)
    (tmp_path / "empty.wav").write_bytes(b"")
    assert fingerprint.file_fingerprint(tmp_path / "empty.wav", 0) is None
    assert fingerprint.FINGERPRINT_BLOCKS * fingerprint.FINGERPRINT_BLOCK_BYTES <= 64 * 1024


def test_banning_a_track_bans_the_copies_of_its_audio(library: Library, corpus: Path, tmp_path: Path) -> None:
    from playlist_builder.services.review import ban

    elsewhere = tmp_path / "usb"
    elsewhere.mkdir()
    (elsewhere / "copy.flac").write_bytes((corpus / "nature" / "Brook.flac").read_bytes())
    scan_paths(library, [str(corpus), str(elsewhere)])
    brook = library.find_track_by_path(corpus / "nature" / "Brook.flac")
    copy = library.find_track_by_path(elsewhere / "copy.flac")
    assert brook is not None and copy is not None and brook.id != copy.id
    ban(library, brook.id or 0, note="spoken intro")
    states = library.track_states()
    assert states[copy.id or 0].banned and states[brook.id or 0].banned
    assert sum(state.banned for state in states.values()) == 2  # the other files are untouched


def test_a_ban_from_the_app_bans_the_copies_too_and_names_who_decided(
    library: Library, corpus: Path, tmp_path: Path
) -> None:
    """The app and the command line record decisions through one road: a ban in the app is as
    strict as `review ban`, and every decision names who made it."""
    from playlist_builder.services.decisions import decide

    elsewhere = tmp_path / "usb"
    elsewhere.mkdir()
    (elsewhere / "copy.flac").write_bytes((corpus / "nature" / "Brook.flac").read_bytes())
    scan_paths(library, [str(corpus), str(elsewhere)])
    brook = library.find_track_by_path(corpus / "nature" / "Brook.flac")
    copy = library.find_track_by_path(elsewhere / "copy.flac")
    assert brook is not None and copy is not None and brook.id is not None and copy.id is not None
    decision = decide(
        library, brook.id, OverrideAction.BAN, decided_by="amira", expected_version=None, note="speech"
    )
    assert decision.decided_by == "amira" and decision.id is not None
    states = library.track_states()
    assert states[copy.id].banned and states[brook.id].banned
    [copy_ban] = library.overrides([copy.id])
    assert copy_ban.decided_by == "amira"


def test_the_command_line_records_who_decided(library: Library, corpus: Path, runner: CliRunner) -> None:
    scan_paths(library, [str(corpus)])
    track = library.find_track_by_path(corpus / "nature" / "Brook.flac")
    assert track is not None and track.id is not None
    result = runner.invoke(cli, ["review", "ban", str(track.id)])
    assert result.exit_code == 0, result.output
    [decision] = library.overrides([track.id])
    assert decision.decided_by is not None and decision.decided_by.startswith("local:")
