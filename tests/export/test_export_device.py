"""`export device`: safe names, verified copies, skips, free space, dry run, transcodes, failures."""

from __future__ import annotations

import errno
import hashlib
import os
from collections import namedtuple
from pathlib import Path

import mutagen
import pytest
from export_fixtures import SessionMaker, TrackSpec

from playlist_builder.config import Settings
from playlist_builder.db.library import Library
from playlist_builder.errors import ExportError, InputError
from playlist_builder.export import atomic, device
from playlist_builder.export.ffmpeg import find_ffmpeg
from playlist_builder.export.m3u import parse_playlist
from playlist_builder.export.names import MAX_NAME_BYTES
from playlist_builder.services.export_device import export_device

needs_ffmpeg = pytest.mark.skipif(find_ffmpeg() is None, reason="no ffmpeg (system or imageio-ffmpeg)")


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def all_files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


HOSTILE = [
    TrackSpec("../../../escape", artist="..", seconds=0.5),
    TrackSpec("CON", artist=None, seconds=0.5),
    TrackSpec("line\nbreak\r\x07", artist="A:B*C?", seconds=0.5, suffix=".ogg"),
    TrackSpec("雨" * 100, artist="Ó" * 60, seconds=0.5),
    TrackSpec("../../../escape", artist="..", seconds=0.5),  # the same tags again
]


def test_copy_makes_safe_names_inside_the_folder_and_a_playlist(
    library: Library, settings: Settings, make_session: SessionMaker, tmp_path: Path
) -> None:
    made = make_session(HOSTILE, name="../Session: CON?")
    card = tmp_path / "card"
    card.mkdir()
    result = export_device(library, settings, made.id, card)
    folder = result.folder
    assert folder.parent == card and folder.name == "_Session_ CON_"
    names = [o.name for o in result.files]
    assert names[0] == "01 .. - .._.._.._escape.flac"
    assert names[1] == "02 CON.flac"
    assert names[2] == "03 A_B_C_ - line break.ogg"
    assert names[4] == "05 .. - .._.._.._escape.flac"
    assert all(len(n.encode()) <= MAX_NAME_BYTES for n in names)
    assert result.sheet.name == "_Session_ CON_ - session sheet.html"
    assert all_files(card) == sorted(
        [folder.name] + [f"{folder.name}/{n}" for n in [*names, result.playlist.name, result.sheet.name]]
    )
    sheet = result.sheet.read_text(encoding="utf-8")
    assert "played back to back (playlist, device copy, Spotify)" in sheet and str(folder) in sheet
    assert "<script" not in sheet.lower() and "../Session: CON?" in sheet  # the name stays text
    for name, source in zip(names, made.paths, strict=True):
        assert source is not None and sha(folder / name) == sha(source)
    playlist = parse_playlist(result.playlist.read_text(encoding="utf-8"))
    assert [e.location for e in playlist.entries] == names
    assert [(folder / e.location).resolve().parent for e in playlist.entries] == [folder.resolve()] * 5
    sync = library.syncs(made.id, kind="device")[0]
    assert sync.target == str(folder) and sync.details["copied"] == 5


def test_second_run_skips_identical_files_and_replaces_changed_ones(
    library: Library, settings: Settings, make_session: SessionMaker, tmp_path: Path
) -> None:
    made = make_session([TrackSpec("One"), TrackSpec("Two")])
    first = export_device(library, settings, made.id, tmp_path)
    (first.folder / first.files[1].name).write_bytes(b"damaged")
    second = export_device(library, settings, made.id, tmp_path)
    assert [o.action for o in second.files] == ["skipped", "copied"]
    assert made.paths[1] is not None and sha(first.folder / second.files[1].name) == sha(made.paths[1])


def test_dry_run_writes_nothing(
    library: Library, settings: Settings, make_session: SessionMaker, tmp_path: Path
) -> None:
    made = make_session([TrackSpec("One"), TrackSpec("Two")])
    result = export_device(library, settings, made.id, tmp_path / ".", dry_run=True)
    assert result.dry_run and [o.action for o in result.files] == ["copy", "copy"]
    assert result.needed_bytes > sum(p.stat().st_size for p in made.paths if p)
    assert not result.folder.exists()
    assert library.syncs(made.id) == []


def test_not_enough_space_is_refused_before_writing(
    library: Library,
    settings: Settings,
    make_session: SessionMaker,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made = make_session([TrackSpec("One")])
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(device.shutil, "disk_usage", lambda _p: usage(10**9, 10**9 - 5_000_000, 5_000_000))
    card = tmp_path / "card"
    card.mkdir()
    with pytest.raises(ExportError, match=r"needs 16\.\d MB and only 5\.0 MB is free"):
        export_device(library, settings, made.id, card)
    assert os.listdir(card) == []


def test_disk_full_mid_copy_leaves_only_complete_files(
    library: Library,
    settings: Settings,
    make_session: SessionMaker,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made = make_session([TrackSpec("One"), TrackSpec("Two", seconds=4), TrackSpec("Three")])
    card = tmp_path / "card"
    card.mkdir()
    real_write, real_temp_path = os.write, atomic.temp_path_for
    files_started = []

    def temp_path_for(target: Path) -> Path:
        files_started.append(target)
        return real_temp_path(target)

    def write(fd: int, data: bytes) -> int:
        if len(files_started) == 2:  # the card fills up during the second file
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(atomic, "temp_path_for", temp_path_for)
    monkeypatch.setattr(atomic.os, "write", write)
    with pytest.raises(ExportError, match="not enough free space") as info:
        export_device(library, settings, made.id, card)
    assert "02 Ensemble Ø - Two.flac" in str(info.value) and "1 of 3 files are complete" in str(info.value)
    folder = next(card.iterdir())
    assert all_files(folder) == ["01 Ensemble Ø - One.flac"]  # no temp, no half file, no playlist
    assert library.syncs(made.id) == []


def test_read_only_card_is_a_clear_error(
    library: Library,
    settings: Settings,
    make_session: SessionMaker,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made = make_session([TrackSpec("One")])

    def read_only_mkdir(self: Path, *args: object, **kwargs: object) -> None:
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(Path, "mkdir", read_only_mkdir)
    with pytest.raises(ExportError, match="read-only device"):
        export_device(library, settings, made.id, tmp_path)
    with pytest.raises(InputError, match="not a folder"):
        export_device(library, settings, made.id, tmp_path / "not-mounted")


@needs_ffmpeg
def test_transcode_mp3_converts_flac_and_ogg_keeps_mp3_compatible_ones(
    library: Library, settings: Settings, make_session: SessionMaker, tmp_path: Path
) -> None:
    made = make_session(
        [
            TrackSpec("Fluß", seconds=3),
            TrackSpec("Wave", seconds=2, suffix=".wav"),
            TrackSpec("Ogg", seconds=2, suffix=".ogg"),
        ]
    )
    result = export_device(library, settings, made.id, tmp_path, transcode="mp3")
    assert [o.action for o in result.files] == ["transcoded", "copied", "transcoded"]
    assert [Path(o.name).suffix for o in result.files] == [".mp3", ".wav", ".mp3"]
    encoded = mutagen.File(result.folder / result.files[0].name)
    assert abs(encoded.info.length - 3.0) < 0.2
    assert str(encoded.tags["TIT2"]) == "Fluß"
    again = export_device(library, settings, made.id, tmp_path, transcode="mp3")
    assert [o.action for o in again.files] == ["skipped", "skipped", "skipped"]
    aac = export_device(library, settings, made.id, tmp_path / ".", transcode="aac")
    assert [Path(o.name).suffix for o in aac.files] == [".m4a", ".wav", ".m4a"]
