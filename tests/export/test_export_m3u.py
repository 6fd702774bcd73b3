"""M3U8/M3U rendering and parsing (pure), and the `export m3u` use-case over a real library."""

from __future__ import annotations

from pathlib import Path

import pytest
from export_fixtures import SessionMaker, TrackSpec
from hypothesis import given
from hypothesis import strategies as st

from playlist_builder.config import Settings
from playlist_builder.db.library import Library
from playlist_builder.errors import ExportError, InputError
from playlist_builder.export.m3u import (
    PlaylistEntry,
    clean_tag,
    encode_playlist,
    parse_playlist,
    prefixed_location,
    relative_location,
    render_playlist,
)
from playlist_builder.model import Source
from playlist_builder.services.export_m3u import export_m3u


def test_render_has_header_extinf_and_lf_only() -> None:
    text = render_playlist("Séance 1", [PlaylistEntry("a/01 Ω.flac", 245.4, "Ólafur", "Ró")])
    assert text == "#EXTM3U\n#PLAYLIST:Séance 1\n#EXTINF:245,Ólafur - Ró\na/01 Ω.flac\n"
    assert "\r" not in text
    data = encode_playlist(text)
    assert not data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8") == text


def test_hostile_tags_never_break_a_line() -> None:
    evil = PlaylistEntry("x.flac", 10, "A\nB\r\x00C\u2028D\u202e", "T\tit\x1ble\x85#EXTINF:1,fake")
    text = render_playlist("name\nwith\rbreaks", [evil])
    lines = text.split("\n")
    assert lines == [
        "#EXTM3U",
        "#PLAYLIST:name with breaks",
        "#EXTINF:10,A B C D - T it le #EXTINF:1,fake",
        "x.flac",
        "",
    ]
    assert parse_playlist(text).entries[0].location == "x.flac"


def test_locations_a_player_would_misread_are_refused_or_protected() -> None:
    with pytest.raises(ExportError, match="line break"):
        render_playlist("s", [PlaylistEntry("evil\nname.flac", 1, None, "t")])
    text = render_playlist("s", [PlaylistEntry("#1 hit.flac", 1, None, "t")])
    assert parse_playlist(text).entries[0].location == "./#1 hit.flac"


def test_empty_playlist_is_refused() -> None:
    with pytest.raises(ExportError, match="empty"):
        render_playlist("s", [])


def test_latin1_names_the_track_and_characters() -> None:
    entries = [PlaylistEntry("a.flac", 1, "Björk", "Jóga"), PlaylistEntry("b.flac", 1, "坂本龍一", "Aqua")]
    with pytest.raises(ExportError) as info:
        render_playlist("s", entries, latin1=True)
    message = str(info.value)
    assert "track 2" in message and "坂本龍一 - Aqua" in message and "U+5742" in message
    good = render_playlist("s", entries[:1], latin1=True)
    assert encode_playlist(good, latin1=True).decode("latin-1") == good


def test_paths_relative_absolute_and_prefixed() -> None:
    assert relative_location("/m/a b/c.flac", "/m/lists") == "../a b/c.flac"
    assert relative_location("C:\\Music\\x.flac", "C:\\Lists") == "../Music/x.flac"
    assert relative_location("D:\\Music\\x.flac", "C:\\Lists") == "D:/Music/x.flac"
    assert prefixed_location("/sdcard/Music/", "Ambient/a.flac") == "/sdcard/Music/Ambient/a.flac"
    assert prefixed_location("file:///sd", "A b/é.flac") == "file:///sd/A%20b/%C3%A9.flac"


tag_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)


@given(
    name=tag_text,
    rows=st.lists(
        st.tuples(
            st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Cf", "Zl", "Zp")), min_size=1)
            .map(str.strip)
            .filter(lambda s: bool(s) and s == clean_tag(s) and not s.startswith("#")),
            st.one_of(st.none(), st.integers(0, 100_000)),
            tag_text,
            tag_text,
        ),
        min_size=1,
        max_size=8,
    ),
)
def test_round_trip_parse_of_any_rendered_playlist(
    name: str, rows: list[tuple[str, int | None, str, str]]
) -> None:
    entries = [PlaylistEntry(loc, dur, artist, title) for loc, dur, artist, title in rows]
    text = render_playlist(name, entries)
    parsed = parse_playlist(encode_playlist(text).decode("utf-8"))
    assert parsed.name == clean_tag(name)
    assert [e.location for e in parsed.entries] == [e.location for e in entries]
    assert [e.duration_s for e in parsed.entries] == [
        float(e.duration_s) if e.duration_s is not None else None for e in entries
    ]
    for line in text.split("\n")[:-1]:
        assert line == line.strip() or line.startswith("#")


def test_parse_tolerates_bom_crlf_and_unknown_directives() -> None:
    text = "\ufeff#EXTM3U\r\n#EXTGRP:x\r\n#EXTINF:-1,Only Title\r\nsong.mp3\r\n\r\nplain.wav\r\n"
    playlist = parse_playlist(text)
    assert playlist.entries == (
        PlaylistEntry("song.mp3", None, None, "Only Title"),
        PlaylistEntry("plain.wav"),
    )


# --- the use-case --------------------------------------------------------------------------------


def test_export_m3u_relative_round_trip(
    library: Library, settings: Settings, make_session: SessionMaker, tmp_path: Path
) -> None:
    made = make_session(
        [TrackSpec("Lichtung", seconds=1.5), TrackSpec("Dämmerung", artist="Ré", seconds=2.5)]
    )
    out = tmp_path / "lists" / "s.m3u8"
    out.parent.mkdir()
    result = export_m3u(library, settings, made.id, out)
    playlist = parse_playlist(out.read_text(encoding="utf-8"))
    assert playlist.name == "Morning infusion"
    resolved = [(out.parent / e.location).resolve() for e in playlist.entries]
    assert resolved == [p.resolve() for p in made.paths if p]
    assert [e.duration_s for e in playlist.entries] == [2.0, 2.0]  # 1.5 rounds to even 2, 2.5 to 2
    assert playlist.entries[1].artist == "Ré" and playlist.entries[1].title == "Dämmerung"
    assert all("\\" not in e.location for e in playlist.entries)
    assert result.entries == 2
    sync = library.syncs(made.id)[0]
    assert (sync.kind, sync.target, sync.details["paths"]) == ("m3u", str(out), "relative")


def test_export_m3u_absolute_prefix_and_latin1(
    library: Library, settings: Settings, make_session: SessionMaker, tmp_path: Path
) -> None:
    made = make_session([TrackSpec("Ünder", seconds=1), TrackSpec("雨", seconds=1)])
    absolute = tmp_path / "abs.m3u8"
    export_m3u(library, settings, made.id, absolute, absolute=True)
    assert [e.location for e in parse_playlist(absolute.read_text()).entries] == [str(p) for p in made.paths]
    prefixed = tmp_path / "pre.m3u8"
    export_m3u(library, settings, made.id, prefixed, prefix="/sdcard/Music")
    assert parse_playlist(prefixed.read_text()).entries[0].location == "/sdcard/Music/album/00 track.flac"
    latin = tmp_path / "old.m3u"
    with pytest.raises(ExportError, match=r"track 2 .*雨"):
        export_m3u(library, settings, made.id, latin)
    assert not latin.exists() and not list(tmp_path.glob(".pb-*"))
    with pytest.raises(InputError, match=r"\.m3u8"):
        export_m3u(library, settings, made.id, tmp_path / "x.txt")


def test_spotify_only_items_are_listed_and_left_out(
    library: Library, settings: Settings, make_session: SessionMaker, tmp_path: Path
) -> None:
    made = make_session(
        [
            TrackSpec("Local"),
            TrackSpec("Stream", source=Source.SPOTIFY),
            TrackSpec("Stream 2", source=Source.SPOTIFY),
        ]
    )
    out = tmp_path / "s.m3u8"
    result = export_m3u(library, settings, made.id, out)
    assert result.entries == 1
    assert [(x.label, x.reason) for x in result.left_out] == [
        ("Ensemble Ø - Stream", "spotify-only"),
        ("Ensemble Ø - Stream 2", "spotify-only"),
    ]
    only_spotify = make_session([TrackSpec("S", source=Source.SPOTIFY)])
    with pytest.raises(ExportError, match="1 are Spotify-only"):
        export_m3u(library, settings, only_spotify.id, tmp_path / "none.m3u8")
    assert not (tmp_path / "none.m3u8").exists()


def test_linked_spotify_track_plays_its_local_file(
    library: Library, settings: Settings, make_session: SessionMaker, tmp_path: Path
) -> None:
    made = make_session([TrackSpec("Local"), TrackSpec("Stream", source=Source.SPOTIFY)])
    library.set_link(made.track_ids[1], linked_track_id=made.track_ids[0])
    result = export_m3u(library, settings, made.id, tmp_path / "s.m3u8")
    assert result.entries == 2 and not result.left_out


def test_missing_file_and_empty_session_fail_clearly(
    library: Library, settings: Settings, make_session: SessionMaker, tmp_path: Path
) -> None:
    made = make_session([TrackSpec("Gone")])
    assert made.paths[0] is not None
    made.paths[0].unlink()
    with pytest.raises(ExportError, match="missing"):
        export_m3u(library, settings, made.id, tmp_path / "s.m3u8")
    empty = make_session([])
    with pytest.raises(ExportError, match="empty"):
        export_m3u(library, settings, empty.id, tmp_path / "e.m3u8")
