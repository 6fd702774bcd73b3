"""`playlist-builder export m3u|device|mix` through click: exit codes, messages, JSON, help."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import soundfile as sf
from click.testing import CliRunner
from export_fixtures import SessionMaker, TrackSpec

from playlist_builder.audio.loudness import integrated_loudness
from playlist_builder.cli import cli
from playlist_builder.config import Settings
from playlist_builder.export import atomic
from playlist_builder.export.ffmpeg import find_ffmpeg
from playlist_builder.export.m3u import parse_playlist
from playlist_builder.model import Source
from playlist_builder.services import export_mix as export_mix_service


@pytest.fixture
def two_tracks(make_session: SessionMaker) -> int:
    made = make_session(
        [TrackSpec("Lichtung", seconds=20, amplitude=0.2, noise=True),
         TrackSpec("Stream", source=Source.SPOTIFY),
         TrackSpec("Dämmerung", seconds=20, amplitude=0.02, noise=True)],
        crossfade_s=2,
    )  # fmt: skip
    return made.id


def test_every_export_command_has_help_with_an_example(runner: CliRunner) -> None:
    for command in ([], ["m3u"], ["device"], ["mix"]):
        result = runner.invoke(cli, ["export", *command, "--help"])
        assert result.exit_code == 0
        assert "Example:" in result.output


def test_m3u_writes_and_lists_spotify_only_tracks(
    runner: CliRunner, settings: Settings, two_tracks: int, tmp_path: Path
) -> None:
    out = tmp_path / "s.m3u8"
    result = runner.invoke(cli, ["export", "m3u", str(two_tracks), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "1 Spotify-only track(s) left out" in result.stderr
    assert "#2 Ensemble Ø - Stream (spotify-only)" in result.stderr
    assert f"Wrote {out}: 2 tracks" in result.stdout
    assert len(parse_playlist(out.read_text()).entries) == 2
    as_json = runner.invoke(cli, ["export", "m3u", str(two_tracks), "--out", str(out), "--json"])
    data = json.loads(as_json.stdout)
    assert data["entries"] == 2 and data["left_out"][0]["reason"] == "spotify-only"


def test_m3u_errors_have_the_right_exit_codes(
    runner: CliRunner, settings: Settings, two_tracks: int, make_session: SessionMaker, tmp_path: Path
) -> None:
    missing = runner.invoke(cli, ["export", "m3u", "999", "--out", str(tmp_path / "x.m3u8")])
    assert missing.exit_code == 2 and "no session with id 999" in missing.stderr
    both = runner.invoke(cli, ["export", "m3u", str(two_tracks), "--out", str(tmp_path / "x.m3u8"),
                               "--absolute", "--prefix", "/sd"])  # fmt: skip
    assert both.exit_code == 2 and "exclude each other" in both.stderr
    latin = runner.invoke(cli, ["export", "m3u", str(two_tracks), "--out", str(tmp_path / "x.m3u")])
    assert latin.exit_code == 0 and "Dämmerung".encode("latin-1") in (tmp_path / "x.m3u").read_bytes()
    rain = make_session([TrackSpec("雨")])
    too_wide = runner.invoke(cli, ["export", "m3u", str(rain.id), "--out", str(tmp_path / "y.m3u")])
    assert too_wide.exit_code == 1 and "Latin-1 and cannot hold '雨' (U+96E8) in track 1" in too_wide.stderr
    assert "Traceback" not in too_wide.output and not (tmp_path / "y.m3u").exists()
    nowhere = runner.invoke(cli, ["export", "m3u", str(two_tracks), "--out", str(tmp_path / "no" / "x.m3u8")])
    assert nowhere.exit_code == 1 and "does not exist" in nowhere.stderr


def test_device_dry_run_then_copy(
    runner: CliRunner, settings: Settings, two_tracks: int, tmp_path: Path
) -> None:
    card = tmp_path / "card"
    card.mkdir()
    dry = runner.invoke(cli, ["export", "device", str(two_tracks), "--to", str(card), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "would copy      01 Ensemble Ø - Lichtung.flac" in dry.stdout
    assert list(card.iterdir()) == []
    done = runner.invoke(cli, ["export", "device", str(two_tracks), "--to", str(card)])
    assert done.exit_code == 0, done.output
    assert "2 copied" in done.stdout
    again = runner.invoke(cli, ["export", "device", str(two_tracks), "--to", str(card), "--json"])
    assert [f["action"] for f in json.loads(again.stdout)["files"]] == ["skipped", "skipped"]
    absent = runner.invoke(cli, ["export", "device", str(two_tracks), "--to", str(tmp_path / "nocard")])
    assert absent.exit_code == 2 and "is not a folder" in absent.stderr
    bad = runner.invoke(cli, ["export", "device", str(two_tracks), "--to", str(card), "--transcode", "wma"])
    assert bad.exit_code == 2


def test_mix_target_range_and_output(
    runner: CliRunner, settings: Settings, two_tracks: int, tmp_path: Path
) -> None:
    out = tmp_path / "mix.wav"
    for bad in ("-14", "-30"):
        result = runner.invoke(cli, ["export", "mix", str(two_tracks), "--out", str(out), "--target", bad])
        assert result.exit_code == 2 and f"loudness target {bad} LUFS is outside" in result.stderr
    assert not out.exists()
    wrong = runner.invoke(cli, ["export", "mix", str(two_tracks), "--out", str(tmp_path / "mix.ogg")])
    assert wrong.exit_code == 2 and ".flac, .wav, .mp3" in wrong.stderr
    result = runner.invoke(cli, ["export", "mix", str(two_tracks), "--out", str(out), "--target", "-18",
                                 "--fade-in", "1", "--fade-out", "2"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "LUFS (target -18)" in result.stdout
    samples, rate = sf.read(out)
    assert integrated_loudness(samples, rate) == pytest.approx(-18, abs=1.0)
    # planned 20 + 2 + 20 s less two 2 s crossfades; without the Spotify track the overlap takes 2 s
    assert samples.shape[0] / rate == pytest.approx(38.0, abs=0.01)


@pytest.mark.skipif(find_ffmpeg() is None, reason="no ffmpeg")
def test_mix_json_reports_each_track(
    runner: CliRunner, settings: Settings, two_tracks: int, tmp_path: Path
) -> None:
    result = runner.invoke(
        cli, ["export", "mix", str(two_tracks), "--out", str(tmp_path / "m.mp3"), "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [t["label"] for t in data["tracks"]] == ["Ensemble Ø - Lichtung", "Ensemble Ø - Dämmerung"]
    assert data["true_peak_dbtp"] <= -1.0


def _dead_pid() -> int:
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    finished.wait()
    return finished.pid


def test_m3u_to_a_place_that_takes_no_files_says_why(
    runner: CliRunner, settings: Settings, two_tracks: int, tmp_path: Path
) -> None:
    afile = tmp_path / "afile"
    afile.write_text("")
    blocked = runner.invoke(cli, ["export", "m3u", str(two_tracks), "--out", str(afile / "x.m3u8")])
    assert blocked.exit_code == 1 and f"{afile} is not a folder" in blocked.stderr
    if Path("/proc/self").is_dir():
        proc = runner.invoke(cli, ["export", "m3u", str(two_tracks), "--out", "/proc/x.m3u8"])
        assert proc.exit_code == 1, proc.output
        assert "/proc does not accept new files (it is not a regular file system" in proc.stderr
        assert "does not exist" not in proc.stderr


def test_mix_checks_its_output_before_any_work(
    runner: CliRunner, settings: Settings, two_tracks: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_work(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the mix started work before checking where it goes")

    monkeypatch.setattr(export_mix_service, "session_files", no_work)
    monkeypatch.setattr(export_mix_service, "mix_to_file", no_work)
    missing = runner.invoke(cli, ["export", "mix", str(two_tracks), "--out", str(tmp_path / "no" / "m.flac")])
    assert missing.exit_code == 1 and f"the folder {tmp_path / 'no'} does not exist" in missing.stderr
    if Path("/proc/self").is_dir():
        proc = runner.invoke(cli, ["export", "mix", str(two_tracks), "--out", "/proc/m.flac"])
        assert proc.exit_code == 1 and "does not accept new files" in proc.stderr


def test_rerun_removes_what_a_killed_export_left(
    runner: CliRunner, settings: Settings, make_session: SessionMaker, tmp_path: Path
) -> None:
    made = make_session([TrackSpec("Eins", seconds=3), TrackSpec("Zwei", seconds=3)], name="Abend")
    card = tmp_path / "card"
    folder = card / "Abend"
    folder.mkdir(parents=True)
    track = folder / "02 Ensemble Ø - Zwei.flac"
    playlist = tmp_path / "s.m3u8"
    stale = [
        folder / f".pb-{atomic.target_key(track)}-{_dead_pid()}-0a1b2c3d4e5f.part",
        tmp_path / f".pb-{atomic.target_key(playlist)}-{_dead_pid()}-0a1b2c3d4e5f.part",
    ]
    for path in stale:
        path.write_bytes(b"\0" * 4096)  # a partial copy, as kill -9 leaves it
    kept = [folder / "notes.txt", folder / ".pb-unrelated.part", tmp_path / "other.m3u8"]
    for path in kept:
        path.write_bytes(b"keep")
    assert runner.invoke(cli, ["export", "device", str(made.id), "--to", str(card)]).exit_code == 0
    assert (
        runner.invoke(cli, ["export", "m3u", str(made.id), "--out", str(tmp_path / "s.m3u8")]).exit_code == 0
    )
    assert not any(path.exists() for path in stale)
    assert all(path.read_bytes() == b"keep" for path in kept)


def test_whole_track_exports_refuse_a_session_planned_for_crossfades(
    runner: CliRunner, settings: Settings, make_session: SessionMaker, tmp_path: Path
) -> None:
    """Sessions saved by earlier versions overlap 8 s at each change: played whole they run 32 s long."""
    made = make_session([TrackSpec(n, seconds=20, noise=True) for n in "abcde"], crossfade_s=8)
    card = tmp_path / "card"
    card.mkdir()
    for args in (
        ["m3u", str(made.id), "--out", str(tmp_path / "s.m3u8")],
        ["device", str(made.id), "--to", str(card)],
    ):
        refused = runner.invoke(cli, ["export", *args])
        assert refused.exit_code == 1, refused.output
        assert (
            "lasts 1:40 when its tracks play whole" in refused.stderr
            and "not the 1:08 asked for" in refused.stderr
        )
        assert "--seed 1`" in refused.stderr and "export mix" in refused.stderr
    assert list(card.iterdir()) == [] and not (tmp_path / "s.m3u8").exists()
    mixed = runner.invoke(cli, ["export", "mix", str(made.id), "--out", str(tmp_path / "m.flac"), "--json"])
    assert mixed.exit_code == 0, mixed.output
    assert json.loads(mixed.stdout)["duration_s"] == pytest.approx(68.0, abs=0.01)


def test_mix_rate_option_and_never_below_the_best_source(
    runner: CliRunner, settings: Settings, make_session: SessionMaker, tmp_path: Path
) -> None:
    low = make_session([TrackSpec("a", seconds=5, rate=16000), TrackSpec("b", seconds=5, rate=44100)])
    out = tmp_path / "low.flac"
    assert runner.invoke(cli, ["export", "mix", str(low.id), "--out", str(out)]).exit_code == 0
    assert sf.info(str(out)).samplerate == 44100  # was 16000: "the most common rate"
    asked = runner.invoke(cli, ["export", "mix", str(low.id), "--out", str(out), "--rate", "48000"])
    assert asked.exit_code == 0 and sf.info(str(out)).samplerate == 48000 and "at 48000 Hz" in asked.stdout
    high = make_session([TrackSpec("c", seconds=5, rate=48000), TrackSpec("d", seconds=5, rate=22050)])
    raised = runner.invoke(cli, ["export", "mix", str(high.id), "--out", str(out), "--rate", "44100"])
    assert raised.exit_code == 0 and sf.info(str(out)).samplerate == 48000
    assert "rendered at 48000 Hz, not 44100: a source is better than that" in raised.stderr
    bad = runner.invoke(cli, ["export", "mix", str(high.id), "--out", str(out), "--rate", "16000"])
    assert bad.exit_code == 2


def test_mix_sheet_carries_the_mix_times(
    runner: CliRunner, settings: Settings, make_session: SessionMaker, tmp_path: Path
) -> None:
    made = make_session([TrackSpec(n, seconds=20, noise=True) for n in "abc"], crossfade_s=5)
    sheet = tmp_path / "mix-sheet.md"
    bad = runner.invoke(
        cli, ["export", "mix", str(made.id), "--out", str(tmp_path / "m.flac"), "--sheet", "x.pdf"]
    )
    assert bad.exit_code == 2 and not (tmp_path / "m.flac").exists()
    done = runner.invoke(
        cli, ["export", "mix", str(made.id), "--out", str(tmp_path / "m.flac"), "--sheet", str(sheet)]
    )
    assert done.exit_code == 0, done.output
    text = sheet.read_text(encoding="utf-8")
    assert "**Times:** the continuous mix" in text and "**Length:** 0:50" in text
    assert "| 2 | 0:15 |" in text and "| 3 | 0:30 |" in text  # each track starts 5 s before the last ends
