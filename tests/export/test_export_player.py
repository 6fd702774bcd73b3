"""A real player reads the written playlists: ffmpeg opens and decodes every entry, as a device would."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from export_fixtures import SessionMaker, TrackSpec

from playlist_builder.config import Settings
from playlist_builder.db.library import Library
from playlist_builder.export.ffmpeg import find_ffmpeg
from playlist_builder.services.export_device import export_device
from playlist_builder.services.export_m3u import export_m3u

FFMPEG = find_ffmpeg()
pytestmark = pytest.mark.skipif(
    FFMPEG is None, reason="no ffmpeg player available (system or imageio-ffmpeg)"
)
DECODE_RATE = 8000  # decoding to 8 kHz mono s16 is enough to prove the file plays and to time it


def player_entries(playlist: Path) -> list[Path]:
    """What a simple player does: every non-comment line is a path relative to the playlist's folder."""
    text = playlist.read_bytes().decode("utf-8")
    lines = [line for line in text.split("\n") if line and not line.startswith("#")]
    return [playlist.parent / line for line in lines]


def decoded_seconds(path: Path) -> float:
    """Decode the whole file with ffmpeg; its length in seconds (fails the test if it does not play)."""
    assert FFMPEG is not None
    result = subprocess.run(
        [
            FFMPEG,
            "-v",
            "error",
            "-nostdin",
            "-i",
            str(path),
            "-f",
            "s16le",
            "-ac",
            "1",
            "-ar",
            str(DECODE_RATE),
            "-",
        ],
        capture_output=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    assert not result.stderr, result.stderr.decode()
    return len(result.stdout) / 2 / DECODE_RATE


SPECS = [
    TrackSpec("Lichtung im Nebel", seconds=1.5, suffix=".flac", file_name="Ä b/01 Lichtung.flac"),
    TrackSpec("Rain, Steady", seconds=2.0, suffix=".ogg", file_name="Ä b/#2 rain.ogg"),
    TrackSpec("海", artist="Ōkami", seconds=1.0, suffix=".wav", file_name="other/海.wav"),
]


def test_every_playlist_entry_resolves_and_plays(
    library: Library, settings: Settings, make_session: SessionMaker, tmp_path: Path
) -> None:
    made = make_session(SPECS)
    out = tmp_path / "lists" / "Sitzung.m3u8"
    out.parent.mkdir()
    export_m3u(library, settings, made.id, out)
    entries = player_entries(out)
    assert len(entries) == 3
    for entry, spec in zip(entries, SPECS, strict=True):
        assert entry.is_file(), entry
        assert decoded_seconds(entry) == pytest.approx(spec.seconds, abs=0.05)


def test_device_copy_plays_from_its_own_folder_after_transcoding(
    library: Library, settings: Settings, make_session: SessionMaker, tmp_path: Path
) -> None:
    made = make_session(SPECS)
    card = tmp_path / "card"
    card.mkdir()
    result = export_device(library, settings, made.id, card, transcode="mp3")
    entries = player_entries(result.playlist)
    assert [e.suffix for e in entries] == [".mp3", ".mp3", ".wav"]
    for entry, spec in zip(entries, SPECS, strict=True):
        assert entry.is_file(), entry
        assert decoded_seconds(entry) == pytest.approx(spec.seconds, abs=0.1)
