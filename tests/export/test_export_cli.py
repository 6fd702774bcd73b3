"""`playlist-builder export m3u|device|mix` through click: exit codes, messages, JSON, help."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import soundfile as sf
from click.testing import CliRunner
from export_fixtures import SessionMaker, TrackSpec

from playlist_builder.audio.loudness import integrated_loudness
from playlist_builder.cli import cli
from playlist_builder.config import Settings
from playlist_builder.export.ffmpeg import find_ffmpeg
from playlist_builder.export.m3u import parse_playlist
from playlist_builder.model import Source


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
