"""Every exported form of a built session plays within the length tolerance of the minutes asked for."""

from __future__ import annotations

from pathlib import Path

import pytest
import soundfile as sf
from export_fixtures import short_session_rules, stock_short_tracks

from playlist_builder.config import Settings
from playlist_builder.db.library import Library
from playlist_builder.export.m3u import parse_playlist
from playlist_builder.services.export_device import export_device
from playlist_builder.services.export_m3u import export_m3u
from playlist_builder.services.export_mix import export_mix
from playlist_builder.services.export_sheet import session_sheet
from playlist_builder.services.session import build_session

TOLERANCE_S = 10.0  # rules/sequence.toml limits.total_tolerance_s: the clinic's promise
MINUTES = 6.0


@pytest.fixture
def short_settings(settings: Settings, library: Library, tmp_path: Path) -> Settings:
    stock_short_tracks(library, tmp_path / "music")
    return settings.with_overrides(rules_dir=short_session_rules(tmp_path))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_playlist_device_and_sheet_last_the_asked_length(
    library: Library, short_settings: Settings, tmp_path: Path, seed: int
) -> None:
    plan = build_session(library, short_settings, arc_name="short", minutes=MINUTES, seed=seed)
    assert plan.id is not None
    target = MINUTES * 60
    playlist = export_m3u(library, short_settings, plan.id, tmp_path / "s.m3u8")
    extinf = sum(entry.duration_s or 0 for entry in parse_playlist(playlist.path.read_text("utf-8")).entries)
    assert abs(extinf - target) <= TOLERANCE_S, extinf
    card = tmp_path / "card"
    card.mkdir()
    device = export_device(library, short_settings, plan.id, card)
    on_card = sum(sf.info(str(device.folder / outcome.name)).duration for outcome in device.files)
    assert len(device.files) == len(plan.items) and abs(on_card - target) <= TOLERANCE_S, on_card
    sheet = session_sheet(library, short_settings, plan.id)
    assert abs(sheet.total_s - target) <= TOLERANCE_S
    assert sheet.tracks[-1].start_s + sheet.tracks[-1].duration_s == pytest.approx(sheet.total_s)
    assert plan.total_s == pytest.approx(sheet.total_s, abs=0.01)  # `session show` says what players play
    assert extinf == pytest.approx(sheet.total_s, abs=0.5 * len(plan.items))  # EXTINF: whole seconds


@pytest.mark.parametrize("seed", [1, 2])
def test_mix_lasts_the_asked_length(
    library: Library, short_settings: Settings, tmp_path: Path, seed: int
) -> None:
    plan = build_session(library, short_settings, arc_name="short", minutes=MINUTES, seed=seed)
    assert plan.id is not None
    out = tmp_path / "mix.flac"
    result = export_mix(library, short_settings, plan.id, out)
    info = sf.info(str(out))
    measured = info.frames / info.samplerate
    assert abs(measured - MINUTES * 60) <= TOLERANCE_S, measured
    assert result.mix.duration_s == pytest.approx(measured, abs=0.01)
    assert info.samplerate == 44100  # never below CD rate, though every source is 8 kHz
    sheet = session_sheet(library, short_settings, plan.id, form="mix")
    assert sheet.total_s == pytest.approx(measured, abs=0.05)  # the mix sheet's times are the mix's
