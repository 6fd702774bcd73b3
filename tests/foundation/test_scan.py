"""Scanning real, tiny generated files: tags, formats, lyrics flags, corrupt files, rescans."""

from __future__ import annotations

import os
import subprocess
import unicodedata
from pathlib import Path

import pytest
from mutagen.flac import FLAC
from mutagen.id3 import ID3, TALB, TIT2, TPE1, TSRC, USLT
from mutagen.mp4 import MP4
from mutagen.oggvorbis import OggVorbis

from playlist_builder.db.library import Library
from playlist_builder.errors import InputError
from playlist_builder.model import Source
from playlist_builder.services.scan import scan_paths
from tests.conftest import write_tone


def _tag_mp3(path: Path, title: str, artist: str, lyrics: str | None = None, isrc: str | None = None) -> None:
    tags = ID3()
    tags.add(TIT2(encoding=3, text=title))
    tags.add(TPE1(encoding=3, text=artist))
    tags.add(TALB(encoding=3, text="Álbum Ωmega"))
    if isrc:
        tags.add(TSRC(encoding=3, text=isrc))
    if lyrics:
        tags.add(USLT(encoding=3, lang="eng", desc="", text=lyrics))
    tags.save(str(path))


@pytest.fixture
def music(tmp_path: Path) -> Path:
    root = tmp_path / "Música"
    write_tone(root / "ambient" / "Nébula.flac")
    audio = FLAC(str(root / "ambient" / "Nébula.flac"))
    audio["title"] = "Nébula — Instrumental"
    audio["artist"] = "Søren Ø"
    audio["genre"] = "Ambient"
    audio["bpm"] = "64"
    audio.save()
    write_tone(root / "songs" / "song.mp3", rate=44100)
    _tag_mp3(root / "songs" / "song.mp3", "Canción", "Niña", lyrics="la la la", isrc="US-ABC-12-34567")
    write_tone(root / "songs" / "sidecar.ogg")
    (root / "songs" / "sidecar.lrc").write_text("[00:01.00] words\n", encoding="utf-8")
    ogg = OggVorbis(str(root / "songs" / "sidecar.ogg"))
    ogg["LYRICS"] = ""
    ogg.save()
    write_tone(root / "plain.wav")  # no tags at all: title from the file name
    (root / "cover.jpg").write_bytes(b"\xff\xd8\xff")  # not audio: ignored silently
    return root


def test_scan_reads_tags_formats_and_lyrics_flags(library: Library, music: Path) -> None:
    result = scan_paths(library, [str(music)])
    assert (result.seen, result.added, result.failed) == (4, 4, 0)
    tracks = {os.path.relpath(t.source_key, music): t for t in library.list_tracks()}
    assert set(tracks) == {"ambient/Nébula.flac", "songs/song.mp3", "songs/sidecar.ogg", "plain.wav"}
    flac = tracks["ambient/Nébula.flac"]
    assert (flac.title, flac.artist, flac.genre, flac.bpm, flac.file_format) == (
        "Nébula — Instrumental",
        "Søren Ø",
        "Ambient",
        64.0,
        "flac",
    )
    assert flac.path == str(music / "ambient" / "Nébula.flac")
    assert flac.duration_s == pytest.approx(1.0, abs=0.01)
    mp3 = tracks["songs/song.mp3"]
    assert mp3.has_embedded_lyrics and mp3.isrc == "USABC1234567" and mp3.album == "Álbum Ωmega"
    assert mp3.sample_rate == 44100 and mp3.channels == 1
    ogg = tracks["songs/sidecar.ogg"]
    assert ogg.has_lrc_sidecar and not ogg.has_embedded_lyrics  # an empty LYRICS tag is not lyrics
    assert tracks["plain.wav"].title == "plain" and tracks["plain.wav"].source is Source.LOCAL


def test_paths_are_stored_exactly_as_on_disk(library: Library, tmp_path: Path) -> None:
    decomposed = unicodedata.normalize("NFD", "Café")
    write_tone(tmp_path / "lib" / f"{decomposed}.wav")
    scan_paths(library, [str(tmp_path / "lib")])
    (track,) = library.list_tracks()
    assert track.source_key == str(tmp_path / "lib" / f"{decomposed}.wav")  # NFD kept, not made NFC
    assert os.path.exists(track.path or "")


def test_m4a_tags_and_lyrics(library: Library, tmp_path: Path) -> None:
    import imageio_ffmpeg

    wav = write_tone(tmp_path / "src.wav")
    m4a = tmp_path / "lib" / "tune.m4a"
    m4a.parent.mkdir()
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(wav), "-c:a", "aac", str(m4a)], check=True
    )
    audio = MP4(str(m4a))
    audio["\xa9nam"] = ["Ocean Waves"]
    audio["\xa9lyr"] = ["sung words"]
    audio.save()
    scan_paths(library, [str(m4a.parent)])
    (track,) = library.list_tracks()
    assert (track.title, track.file_format, track.has_embedded_lyrics) == ("Ocean Waves", "m4a", True)


def test_corrupt_zero_byte_and_misnamed_files_are_listed_and_scan_goes_on(
    library: Library, tmp_path: Path
) -> None:
    root = tmp_path / "lib"
    write_tone(root / "good.wav")
    (root / "empty.mp3").write_bytes(b"")
    (root / "garbage.flac").write_bytes(b"this is not audio at all" * 50)
    truncated = write_tone(root / "cut.ogg", seconds=2)
    truncated.write_bytes(truncated.read_bytes()[:60])
    write_tone(root / "really-a-wav.wav").rename(root / "really-a-wav.mp3")  # mis-named: read by content
    result = scan_paths(library, [str(root)])
    reasons = {Path(p).name: r for p, r in result.problems}
    assert set(reasons) == {"empty.mp3", "garbage.flac", "cut.ogg"}
    assert "empty" in reasons["empty.mp3"]
    assert result.seen == 5 and result.failed == 3
    tracks = {Path(t.source_key).name: t for t in library.list_tracks()}
    assert tracks["really-a-wav.mp3"].file_format == "wav" and tracks["really-a-wav.mp3"].scan_error is None
    assert tracks["garbage.flac"].scan_error  # kept with its reason, so it is listed, never used


def test_rescan_missing_and_return_cycle(library: Library, music: Path) -> None:
    scan_paths(library, [str(music)])
    again = scan_paths(library, [str(music)])
    assert (again.unchanged, again.added, again.updated) == (4, 0, 0)
    moved = music / "plain.wav"
    parked = music.parent / "parked.wav"
    moved.rename(parked)
    gone = scan_paths(library, [str(music)])
    assert gone.marked_missing == 1
    (missing,) = library.list_tracks(missing=True)
    assert missing.source_key == str(music / "plain.wav")
    parked.rename(moved)
    back = scan_paths(library, [str(music)])
    assert back.returned == 1 and library.list_tracks(missing=True) == []
    assert missing.id in {t.id for t in library.list_tracks(missing=False)}  # same row, decisions survive


def test_changed_file_is_reread(library: Library, music: Path) -> None:
    scan_paths(library, [str(music)])
    path = music / "plain.wav"
    write_tone(path, seconds=2.0)
    os.utime(path, (1_000_000_000, 1_000_000_000))
    result = scan_paths(library, [str(music)])
    assert result.updated == 1
    track = library.find_track_by_path(path)
    assert track is not None and track.duration_s == pytest.approx(2.0, abs=0.01)


def test_single_file_root_and_symlink_loop(library: Library, tmp_path: Path) -> None:
    root = tmp_path / "lib"
    write_tone(root / "a.wav")
    (root / "loop").symlink_to(root, target_is_directory=True)
    result = scan_paths(library, [str(root)])
    assert result.seen == 1  # the loop is visited once, not forever
    assert result.failed == 0 and result.notes[0][0] == str(root / "loop")  # a note, not a failure
    single = write_tone(tmp_path / "solo.flac")
    scan_paths(library, [str(single)])
    track = library.find_track_by_path(single)
    assert track is not None and track.path == str(single)


def test_permission_denied_folder_is_reported(library: Library, tmp_path: Path, monkeypatch) -> None:
    import playlist_builder.sources.local as local

    root = tmp_path / "lib"
    write_tone(root / "ok.wav")
    locked = root / "locked"
    write_tone(locked / "x.wav")
    scan_paths(library, [str(root)])
    real_scandir = os.scandir

    def refusing_scandir(path):  # type: ignore[no-untyped-def]
        if str(path) == str(locked):  # what a folder without read permission does (root ignores chmod)
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(local.os, "scandir", refusing_scandir)
    result = scan_paths(library, [str(root)])
    assert result.seen == 1
    assert any(p == str(locked) and "Permission denied" in r for p, r in result.problems)
    assert result.marked_missing == 0  # unreadable is not gone: decisions about x.wav survive


def test_missing_path_and_folder_without_audio_are_input_errors(library: Library, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file or folder"):
        scan_paths(library, [str(tmp_path / "nope")])
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "readme.txt").write_text("hi")
    with pytest.raises(InputError, match="no audio files found"):
        scan_paths(library, [str(tmp_path / "docs")])


def test_interrupted_scan_keeps_finished_batches(library: Library, tmp_path: Path, monkeypatch) -> None:
    import playlist_builder.services.scan as scan_module

    root = tmp_path / "lib"
    for i in range(7):
        write_tone(root / f"t{i}.wav", seconds=0.1)
    monkeypatch.setattr(scan_module, "BATCH_SIZE", 3)
    calls = {"n": 0}
    real_read = scan_module.local.read_or_reason

    def flaky_read(found):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 5:
            raise KeyboardInterrupt
        return real_read(found)

    monkeypatch.setattr(scan_module.local, "read_or_reason", flaky_read)
    with pytest.raises(KeyboardInterrupt):
        scan_paths(library, [str(root)])
    assert len(library.list_tracks()) == 3  # the first batch was committed
    monkeypatch.setattr(scan_module.local, "read_or_reason", real_read)
    result = scan_paths(library, [str(root)])
    assert (result.unchanged, result.added) == (3, 4)


def test_tags_in_odd_encodings_survive(library: Library, tmp_path: Path) -> None:
    root = tmp_path / "lib"
    mp3 = write_tone(root / "latin1.mp3")
    tags = ID3()
    tags.add(TIT2(encoding=0, text="Café crème"))  # ISO-8859-1 frame
    tags.save(str(mp3))
    flac = write_tone(root / "bad-utf8.flac")
    audio = FLAC(str(flac))
    audio["title"] = "x"
    audio["artist"] = "Ok\x00Artist"  # a NUL left behind by some taggers
    audio.save()
    raw = flac.read_bytes()
    flac.write_bytes(raw.replace(b"title=x", b"title=\xff"))  # not valid UTF-8
    result = scan_paths(library, [str(root)])
    assert result.failed == 0
    tracks = {Path(t.source_key).name: t for t in library.list_tracks()}
    assert tracks["latin1.mp3"].title == "Café crème"
    assert tracks["bad-utf8.flac"].title == "\ufffd"  # replaced, not a crash
    assert tracks["bad-utf8.flac"].artist == "Ok Artist"  # a control character separates, never joins
