"""The damage rule through the product: analyse real damaged files, and none is eligible; every reason
says what and where. Plus the rule's own pieces: its rules file, tolerances and wording."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from playlist_builder.config import Settings
from playlist_builder.db.library import Library
from playlist_builder.db.query import ELIGIBLE, is_eligible
from playlist_builder.errors import ConfigError
from playlist_builder.model import AudioProblem, ProblemKind
from playlist_builder.services import review
from playlist_builder.services.analyze import analyze_library
from playlist_builder.services.classify import classify_library
from playlist_builder.services.damage import (
    ANALYSIS_RULES_FILE,
    DamageRules,
    length_tolerance,
    load_damage_rules,
    position,
    problem_reason,
)
from playlist_builder.services.scan import scan_paths
from tests.conftest import REPO_ROOT

RATE = 22_050
SHIPPED = (REPO_ROOT / "rules" / ANALYSIS_RULES_FILE).read_text()


def pad(seconds: float, seed: int = 0) -> np.ndarray:
    """A soft two-note pad over quiet noise, stereo float32."""
    t = np.arange(round(seconds * RATE)) / RATE
    tone = 0.2 * np.sin(2 * np.pi * 196.0 * t) + 0.1 * np.sin(2 * np.pi * 293.7 * t)
    noise = np.random.default_rng(seed).standard_normal((t.size, 2)) * 0.002
    return (np.stack([tone, tone], axis=1) + noise).astype(np.float32)


def flip(path: Path, offset: int, bit: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 1 << bit
    path.write_bytes(bytes(data))


@pytest.fixture
def damaged_folder(tmp_path: Path) -> Path:
    root = tmp_path / "clinic"
    root.mkdir()
    sf.write(root / "corrupt frame.flac", pad(4.0, 1), RATE, subtype="PCM_16")
    flip(root / "corrupt frame.flac", int((root / "corrupt frame.flac").stat().st_size * 0.6), 3)
    sf.write(root / "corrupt page.ogg", pad(6.0, 2), RATE, subtype="VORBIS")
    flip(root / "corrupt page.ogg", int((root / "corrupt page.ogg").stat().st_size * 0.5), 5)
    sf.write(root / "high bit.wav", pad(3.0, 3), RATE, subtype="PCM_16")
    flip(root / "high bit.wav", 44 + round(1.5 * RATE) * 4 + 1, 6)  # bit 14 of the left sample at 1.5 s
    sf.write(root / "low bit.wav", pad(3.0, 4), RATE, subtype="PCM_16")
    flip(root / "low bit.wav", 44 + round(1.5 * RATE) * 4, 3)  # bit 3: 8 / 32768 (-72 dBFS), inaudible
    with_nan = pad(3.0, 5)
    with_nan[round(1.2 * RATE) : round(1.2 * RATE) + 50] = np.nan
    sf.write(root / "nan.wav", with_nan, RATE, subtype="FLOAT")
    sf.write(root / "cut.wav", pad(2.0, 6), RATE, subtype="PCM_16")
    data = (root / "cut.wav").read_bytes()
    (root / "cut.wav").write_bytes(data[: len(data) - round(0.5 * RATE) * 4])  # 2 s cut by 0.5 s
    sf.write(root / "healthy.mp3", pad(3.0, 7), RATE, format="MP3", subtype="MPEG_LAYER_III")
    return root


def test_damaged_files_are_never_eligible_and_say_where(
    library: Library, settings: Settings, damaged_folder: Path
) -> None:
    scan_paths(library, [str(damaged_folder)])
    ids = {t.title: t.id for t in library.list_tracks() if t.id is not None}
    report = analyze_library(library, settings, jobs=2)
    assert report.failed == 0 and report.analysed == 7
    classify_library(library, settings.with_overrides(offline=True))
    for track_id in ids.values():
        review.approve(library, track_id, note="listened")  # no lyrics doubt may hide the damage
    states = library.track_states()
    damage = {title: states[track_id].damage for title, track_id in ids.items()}

    assert damage["healthy"] is None  # encoder delay and padding are forgiven
    assert damage["low bit"] is None  # an inaudible low-bit flip is not damage
    assert is_eligible(states[ids["healthy"]]) and is_eligible(states[ids["low bit"]])

    flac = damage["corrupt frame"]
    assert flac is not None and re.search(r"decoder error at 0:0[1-3]\.\d \(.*CRC", flac), flac
    ogg = damage["corrupt page"]
    assert ogg is not None and re.search(r"audio ends at 0:0[0-5]\.\d of 0:06\.0|decoder error", ogg), ogg
    assert damage["high bit"] == "a click at 0:01.5 (-6 dBFS): a damaged sample"
    assert damage["nan"] == "100 samples that are not numbers (NaN or infinity) from 0:01.2"
    cut = damage["cut"]
    assert cut is not None and cut.startswith("audio ends at 0:01.5 of 0:02.0 (75%)"), cut
    for title in ("corrupt frame", "corrupt page", "high bit", "nan", "cut"):
        state = states[ids[title]]
        assert not is_eligible(state), title
        assert any(reason.startswith("damaged: ") for reason in ELIGIBLE.failures(state)), title
    assert set(library.eligible_track_ids()) == {ids["healthy"], ids["low bit"]}


def test_the_shipped_rules_load() -> None:
    rules = load_damage_rules(REPO_ROOT / "rules")
    assert rules.exact_length_tolerance_s <= 0.002  # a short file may not lose a share of itself
    assert rules.estimated_length_tolerance_max_s <= 10.0


_KEYS = re.findall(r"(?m)^(\w+) = ([\d.]+)$", SHIPPED.split("[damage]", 1)[1])


@pytest.mark.parametrize("bad", ["nan", "inf", "-inf"])
@pytest.mark.parametrize("key", [key for key, _ in _KEYS])
def test_nan_and_infinity_are_refused_in_every_key(tmp_path: Path, key: str, bad: str) -> None:
    assert len(_KEYS) == 4
    (tmp_path / ANALYSIS_RULES_FILE).write_text(re.sub(rf"(?m)^{key} = [\d.]+$", f"{key} = {bad}", SHIPPED))
    with pytest.raises(ConfigError, match=rf"{ANALYSIS_RULES_FILE}, line \d+: `damage.{key}` .*finite"):
        load_damage_rules(tmp_path)


@pytest.mark.parametrize("key", [key for key, _ in _KEYS])
def test_every_key_is_required(tmp_path: Path, key: str) -> None:
    (tmp_path / ANALYSIS_RULES_FILE).write_text(re.sub(rf"(?m)^{key} = [\d.]+\n", "", SHIPPED))
    with pytest.raises(ConfigError, match=key):
        load_damage_rules(tmp_path)


RULES = DamageRules(
    exact_length_tolerance_s=0.005,
    estimated_length_tolerance_s=0.15,
    estimated_length_tolerance_share=0.01,
    estimated_length_tolerance_max_s=5.0,
)


def test_exact_lengths_forgive_milliseconds_and_estimated_ones_a_bounded_share() -> None:
    for audio_format in ("WAV/PCM_16", "FLAC/PCM_24", "OGG/VORBIS", "AIFF/PCM_16"):
        assert length_tolerance(2.0, audio_format, RULES) == 0.005
    assert length_tolerance(2.0, "MP3/MPEG_LAYER_III", RULES) == 0.15
    assert length_tolerance(60.0, "MP3/MPEG_LAYER_III", RULES) == pytest.approx(0.6)
    assert length_tolerance(3 * 3600.0, "mp3", RULES) == 5.0  # capped: a long file loses no minutes
    assert length_tolerance(2.0, "aac", RULES) == 0.15  # ffmpeg-only formats: an estimated length


def test_every_reason_says_what_and_where() -> None:
    assert position(41.0) == "0:41.0" and position(723.46) == "12:03.5" and position(3723.4) == "1:02:03.4"
    assert problem_reason(AudioProblem(ProblemKind.DECODER_ERROR, 41.0, 1, detail="CRC error")) == (
        "decoder error at 0:41.0 (CRC error)"
    )
    assert problem_reason(AudioProblem(ProblemKind.CLICKS, 12.0, 3, 12.4, "the largest -6 dBFS")) == (
        "3 clicks from 0:12.0, the largest at 0:12.4 (-6 dBFS)"
    )
    assert problem_reason(AudioProblem(ProblemKind.DECODER_ERROR, None, 4, detail="CRC mismatch!")) == (
        "decoder error (CRC mismatch!), 4 in all"
    )
    assert problem_reason(AudioProblem(ProblemKind.CHECKSUM, None, detail="fails")) == "checksum: fails"
    ogg = AudioProblem(ProblemKind.CHECKSUM, 2.4, 1, detail="an Ogg page fails its checksum")
    assert problem_reason(ogg) == "an Ogg page fails its checksum, the first at 0:02.4"
    assert problem_reason(AudioProblem(ProblemKind.CUT_SHORT, None, detail="no end")) == "cut short: no end"
    assert not math.isnan(RULES.exact_length_tolerance_s)
