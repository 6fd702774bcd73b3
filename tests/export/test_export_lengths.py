"""Every exported form of a built session plays within the length tolerance of the minutes asked for."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from playlist_builder.config import Settings
from playlist_builder.db.library import Library
from playlist_builder.export.m3u import parse_playlist
from playlist_builder.model import Category, Classification, LyricsStatus, Source, Track
from playlist_builder.services.export_device import export_device
from playlist_builder.services.export_m3u import export_m3u
from playlist_builder.services.export_mix import export_mix
from playlist_builder.services.export_sheet import session_sheet
from playlist_builder.services.session import build_session

REPO_RULES = Path(__file__).resolve().parents[2] / "rules"
TOLERANCE_S = 10.0  # rules/sequence.toml limits.total_tolerance_s: the clinic's promise
MINUTES = 6.0
FILE_RATE = 8000  # small files; the mix resamples them to 44.1 kHz like any low-rate source
# A short arc so a whole session renders in seconds; the sequencer is the product's own.
SHORT_ARC = """
name = "short"
description = "A six-minute test arc."
default_minutes = 6
min_minutes = 5
max_minutes = 10
crossfade_s = 4
max_energy_step = 0.3
max_loudness_step_lu = 12
"""
PHASES = (("settle", 0.3, 0.30, 0.25), ("deep", 0.4, 0.20, 0.20), ("ground", 0.3, 0.25, 0.30))


def _short_rules(folder: Path) -> Path:
    """The shipped rules with tracks down to 30 s allowed and one short arc."""
    rules = folder / "rules"
    shutil.copytree(REPO_RULES, rules)
    sequence = rules / "sequence.toml"
    text = sequence.read_text(encoding="utf-8")
    assert "min_track_s = 90" in text
    sequence.write_text(text.replace("min_track_s = 90", "min_track_s = 30"), encoding="utf-8")
    arc = SHORT_ARC
    for name, share, start, end in PHASES:
        arc += (
            f'\n[[phases]]\nname = "{name}"\nshare = {share}\nenergy_start = {start}\nenergy_end = {end}\n'
            'preferred = ["ambient", "nature"]\nallowed = ["ambient", "nature"]\nmax_energy = 0.6\n'
            f'description = "{name}"\n'
        )
    (rules / "arcs" / "short.toml").write_text(arc, encoding="utf-8")
    return rules


def _stock(library: Library, folder: Path, count: int = 40) -> None:
    """`count` eligible local tracks of 30-70 s, real files of exactly their tagged length."""
    rng = np.random.default_rng(5)
    folder.mkdir()
    root = library.add_root(str(folder))
    for index in range(count):
        seconds = round(float(rng.uniform(30, 70)), 3)
        name = f"{index:02d} Stille {index}.flac"
        noise = rng.standard_normal(round(seconds * FILE_RATE)) * 0.05
        sf.write(str(folder / name), noise.astype(np.float32), FILE_RATE)
        kind = (Category.AMBIENT, Category.NATURE)[index % 2]
        track = Track(source=Source.LOCAL, source_key=name, title=f"Stille {index}", artist=f"Ø {index % 9}",
                      duration_s=seconds, file_format="flac")  # fmt: skip
        track_id = library.upsert_tracks([track], root)[0]
        energy = round(float(rng.uniform(0.18, 0.32)), 3)
        verdict = Classification(category=kind, lyrics=LyricsStatus.INSTRUMENTAL, confidence=0.9,
                                 energy=energy, rules_version="t")  # fmt: skip
        library.save_classification(track_id, verdict, input_hash="t")


@pytest.fixture
def short_settings(settings: Settings, library: Library, tmp_path: Path) -> Settings:
    _stock(library, tmp_path / "music")
    return settings.with_overrides(rules_dir=_short_rules(tmp_path))


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
