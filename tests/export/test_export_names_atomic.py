"""Safe FAT32/exFAT names from hostile tags, and atomic writes under disk-full and read-only failures."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from playlist_builder.errors import ExportError
from playlist_builder.export import atomic
from playlist_builder.export.atomic import atomic_open, atomic_path, write_bytes_atomic
from playlist_builder.export.names import MAX_NAME_BYTES, safe_name, track_file_name, unique_name

FAT_FORBIDDEN = set('"*/:<>?\\|')


def assert_fat_safe(name: str) -> None:
    assert name and name not in (".", "..")
    assert not (set(name) & FAT_FORBIDDEN)
    assert all(ord(c) >= 32 and c not in "\x7f\u2028\u2029\x85" for c in name)
    assert name == name.strip(" ") and not name.endswith(".") and not name.startswith(".")
    assert len(name.encode("utf-8")) <= MAX_NAME_BYTES
    assert len(name.encode("utf-16-le")) // 2 <= 255
    assert name.split(".")[0].upper() not in {"CON", "PRN", "AUX", "NUL", "COM1", "LPT1"}


@pytest.mark.parametrize(
    ("stem", "expected"),
    [
        ("../../etc/passwd", "_.._etc_passwd.flac"),
        ("..", "Track.flac"),
        ("CON", "_CON.flac"),
        ("nul ", "_nul.flac"),
        ("Lpt1", "_Lpt1.flac"),
        ('a:b*c?d"e<f>g|h\\i', "a_b_c_d_e_f_g_h_i.flac"),
        ("line\nbreak\x00\x1b end. . ", "line break end.flac"),
        ("   ", "Track.flac"),
        ("\u202egnp.exe", "gnp.exe.flac"),
    ],
)
def test_hostile_tags_become_plain_safe_names(stem: str, expected: str) -> None:
    name = safe_name(stem, ".FLAC")
    assert name == expected
    assert_fat_safe(name)


def test_300_byte_names_are_cut_between_characters() -> None:
    name = track_file_name(7, 12, "Ólafur Arnalds " * 10, "雨の音 " * 30, ".flac")
    assert_fat_safe(name)
    assert name.startswith("07 Ólafur Arnalds") and name.endswith(".flac")
    name.encode("utf-8").decode("utf-8")  # no split character


@given(st.text(max_size=400), st.sampled_from([".flac", ".mp3", "", ".ogg"]))
def test_any_text_gives_a_safe_name_that_stays_in_its_folder(text: str, extension: str) -> None:
    name = safe_name(text, extension)
    assert_fat_safe(name)
    assert os.path.basename(name) == name
    folder = Path("/card/session")
    assert (folder / name).parent == folder


def test_collisions_are_case_insensitive_and_keep_the_extension() -> None:
    taken = ["01 Rain.flac"]
    assert unique_name("01 rain.FLAC", taken) == "01 rain (2).FLAC"
    assert unique_name("01 RAIN.flac", [*taken, "01 RAIN (2).flac"]) == "01 RAIN (3).flac"
    long = safe_name("x" * 300, ".flac")
    twin = unique_name(long, [long])
    assert twin.endswith(" (2).flac") and len(twin.encode()) <= MAX_NAME_BYTES


# --- atomic writes -------------------------------------------------------------------------------


def test_atomic_write_replaces_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "list.m3u8"
    target.write_bytes(b"old")
    write_bytes_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert os.listdir(tmp_path) == ["list.m3u8"]


def test_disk_full_leaves_old_file_and_no_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "mix.wav"
    target.write_bytes(b"previous mix")
    real_write = os.write
    written = {"n": 0}

    def filling_write(fd: int, data: bytes) -> int:
        if written["n"] > 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        written["n"] += 1
        return real_write(fd, data)

    monkeypatch.setattr(atomic.os, "write", filling_write)
    with pytest.raises(ExportError, match="not enough free space") as info, atomic_open(target) as handle:
        for _ in range(10):
            handle.write(b"x" * 1000)
    assert str(tmp_path) in str(info.value)
    assert target.read_bytes() == b"previous mix"
    assert os.listdir(tmp_path) == ["mix.wav"]


def test_disk_full_at_fsync_is_caught_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def failing_fsync(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", failing_fsync)
    with pytest.raises(ExportError, match="not enough free space"):
        write_bytes_atomic(tmp_path / "a.m3u8", b"data")
    assert os.listdir(tmp_path) == []


def test_read_only_device_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_open = os.open

    def read_only_open(path: object, flags: int, *args: object) -> int:
        if flags & os.O_CREAT:
            raise OSError(errno.EROFS, "Read-only file system")
        return real_open(path, flags, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(atomic.os, "open", read_only_open)
    with pytest.raises(ExportError, match="read-only device"):
        write_bytes_atomic(tmp_path / "a.m3u8", b"data")
    assert os.listdir(tmp_path) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores folder permissions")
def test_folder_without_write_permission(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        with pytest.raises(ExportError, match="no permission"):
            write_bytes_atomic(locked / "a.m3u8", b"data")
    finally:
        locked.chmod(0o755)


def test_interrupt_and_writer_errors_clean_up(tmp_path: Path) -> None:
    with pytest.raises(KeyboardInterrupt), atomic_path(tmp_path / "x.flac") as temp:
        temp.write_bytes(b"partial")
        raise KeyboardInterrupt
    assert os.listdir(tmp_path) == []
    with pytest.raises(ExportError, match="does not exist"):
        write_bytes_atomic(tmp_path / "nope" / "x.m3u8", b"")


def _killed_writer_leaves_a_partial(target: Path) -> Path:
    """Start a process writing `target` atomically, kill -9 it mid-write; returns the partial it left."""
    script = (
        "import sys, time\nfrom pathlib import Path\nfrom playlist_builder.export.atomic import atomic_open\n"
        "with atomic_open(Path(sys.argv[1])) as handle:\n"
        "    handle.write(b'x' * 65536)\n    print('writing', flush=True)\n    time.sleep(60)\n"
    )
    process = subprocess.Popen([sys.executable, "-c", script, str(target)], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "writing"
    finally:
        process.kill()
        process.wait()
    partials = list(target.parent.glob(f".pb-{atomic.target_key(target)}-*.part"))
    assert len(partials) == 1 and partials[0].stat().st_size == 65536
    return partials[0]


def test_the_next_write_of_a_target_removes_what_a_killed_write_left(tmp_path: Path) -> None:
    target = tmp_path / "session.flac"
    stale = _killed_writer_leaves_a_partial(target)
    other = _killed_writer_leaves_a_partial(tmp_path / "other.m3u8")  # another export's leftover
    running = atomic.temp_path_for(target).with_name(  # a write of the same file still under way
        f"{atomic.TEMP_PREFIX}{atomic.target_key(target)}-{os.getppid()}-abc{atomic.TEMP_SUFFIX}"
    )
    running.write_bytes(b"busy")
    unrelated = [tmp_path / "notes.txt", tmp_path / ".pb-notes", tmp_path / "x.part"]
    for path in unrelated:
        path.write_bytes(b"keep")
    write_bytes_atomic(target, b"complete")
    assert not stale.exists()
    assert target.read_bytes() == b"complete"
    assert other.exists() and running.exists() and all(p.read_bytes() == b"keep" for p in unrelated)
    write_bytes_atomic(tmp_path / "other.m3u8", b"done")
    assert not other.exists()


def test_temp_names_stay_short_whatever_the_target(tmp_path: Path) -> None:
    temp = atomic.temp_path_for(tmp_path / ("雨" * 80 + ".flac"))
    assert temp.parent == tmp_path and len(temp.name.encode()) <= 48
    assert temp.name.startswith(atomic.TEMP_PREFIX) and temp.name.endswith(atomic.TEMP_SUFFIX)


def test_check_writable_names_the_real_problem(tmp_path: Path) -> None:
    afile = tmp_path / "afile"
    afile.write_bytes(b"")
    with pytest.raises(ExportError, match="is not a folder"):
        atomic.check_writable(afile / "x.flac")
    with pytest.raises(ExportError, match="does not exist"):
        atomic.check_writable(tmp_path / "missing" / "x.flac")
    with pytest.raises(ExportError, match="it is a folder"):
        atomic.check_writable(tmp_path)
    if Path("/proc/self").is_dir():
        with pytest.raises(ExportError, match="does not accept new files"):
            atomic.check_writable(Path("/proc/x.m3u8"))
    atomic.check_writable(tmp_path / "fine.flac")
    assert sorted(os.listdir(tmp_path)) == ["afile"]  # the probe leaves nothing behind
