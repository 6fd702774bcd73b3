"""The session sheet (HTML, Markdown) and the arc plot (PNG)."""

from __future__ import annotations

import html.parser
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from export_fixtures import SessionMaker, TrackSpec
from matplotlib.image import imread

from playlist_builder.config import Settings
from playlist_builder.db.library import Library
from playlist_builder.errors import InputError
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
from playlist_builder.services.export_m3u import export_m3u
from playlist_builder.services.export_sheet import session_sheet, write_arc_plot, write_session_sheet


@pytest.fixture
def session_id(library: Library, settings: Settings, make_session: SessionMaker, tmp_path: Path) -> int:
    made = make_session(
        [
            TrackSpec(
                "Brume <script>alert(1)</script>", artist="Ólöf | Arnalds", seconds=300, file_seconds=1
            ),
            TrackSpec("Line\nbreak", seconds=420, file_seconds=1),
            TrackSpec("Shore", seconds=600, file_seconds=1),
            TrackSpec("Ground", seconds=480, file_seconds=1),
        ],
        name="Séance *7*",
        patient_code="P-0042",
    )
    export_m3u(library, settings, made.id, tmp_path / "s.m3u8")
    return made.id


EVIDENCE = Evidence("tags", "lyrics", "vocal", 0.9, "lyrics <i>embedded</i>")


def _add_held_back_and_beat(library: Library, track_ids: list[int]) -> None:
    """A vocal track with a hostile title (held back) and a binaural beat on the second session track."""
    held = library.upsert_tracks(
        [
            Track(
                source=Source.SPOTIFY,
                source_key="spotify:track:held",
                title="Sung <b>live</b>",
                duration_s=200,
            )
        ]
    )[0]
    library.save_classification(
        held,
        Classification(category=Category.AMBIENT, lyrics=LyricsStatus.VOCAL, energy=0.3, confidence=0.9,
                       rules_version="t", reasons=(EVIDENCE,)),
        input_hash="t",
    )  # fmt: skip
    features = Features(
        analyzer_version="t", duration_s=420, sample_rate=44100, channels=2, integrated_lufs=-22,
        loudness_range_lu=3, true_peak_dbtp=-3, spectral_centroid_hz=400, spectral_flatness=0.1,
        spectral_rolloff_hz=900, onset_rate_hz=0.1, tempo_bpm=None, pulse_clarity=0.1, stereo_width=0.3,
        energy=0.2, nature_score=0.0, vocal_probability=0.0,
        binaural=BinauralBeat(carrier_hz=200, beat_hz=6.0, band=BrainwaveBand.THETA, share=0.9),
    )  # fmt: skip
    library.save_features(track_ids[1], features, file_size=1, file_mtime=1.0, analyzer_version="t")


class _TextCollector(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_sheet_shows_everything_and_escapes_tags(
    library: Library, settings: Settings, session_id: int, tmp_path: Path
) -> None:
    path = write_session_sheet(library, settings, session_id, tmp_path / "sheet.html")
    page = path.read_text(encoding="utf-8")
    parser = _TextCollector()
    parser.feed(page)
    text = " ".join(parser.text)
    assert "script" not in parser.tags  # the hostile title stayed text
    hostile = "Ólöf | Arnalds - Brume <script>alert(1)</script>"
    shown = ["Séance *7*", "iv-infusion", "P-0042", "30:00", hostile, "Line break", "fits descend", "deep"]
    for expected in [*shown, "ambient", "0.30", str(tmp_path / "s.m3u8"), "m3u"]:
        assert expected in text, expected
    track_table = text.split(" Why ", 1)[1].split("Energy runs", 1)[0]
    for start in ("0:00", "5:00", "12:00", "22:00"):  # whole tracks, one after another
        assert f"{start} " in track_table
    assert [t.start_s for t in session_sheet(library, settings, session_id).tracks] == [0, 300, 720, 1320]
    assert "played back to back (playlist, device copy, Spotify)" in text


def test_sheet_carries_held_back_tracks_beats_scale_plot_and_review_line(
    library: Library, settings: Settings, make_session: SessionMaker, tmp_path: Path
) -> None:
    made = make_session([TrackSpec("Drift", seconds=300), TrackSpec("Theta Bed", seconds=420)])
    _add_held_back_and_beat(library, made.track_ids)
    page = write_session_sheet(library, settings, made.id, tmp_path / "sheet.html").read_text("utf-8")
    parser = _TextCollector()
    parser.feed(page)
    text = " ".join(parser.text)
    assert {"b", "i"}.isdisjoint(parser.tags)  # tags of held-back tracks and reasons stayed text
    held = text.split("Held back (never in a session)", 1)[1]
    assert "Sung <b>live</b> [vocal]: tags: lyrics <i>embedded</i>" in held
    assert "6.0 Hz theta" in text.split(" Why ", 1)[1].split("Energy runs", 1)[0]
    assert "Energy runs from 0 (stillest) to 1 (busiest)" in text
    assert "Reviewed by" in text and "Listened on" in text and "________" in text
    assert 'src="data:image/png;base64,iVBORw0KGgo' in page  # the arc plot travels inside the sheet
    markdown = write_session_sheet(library, settings, made.id, tmp_path / "sheet.md").read_text("utf-8")
    assert "Sung \\<b\\>live\\</b\\> \\[vocal\\]" in markdown and "6.0 Hz theta" in markdown


def test_why_column_is_plain_words(library: Library, settings: Settings, make_session: SessionMaker) -> None:
    made = make_session([TrackSpec("Drift", seconds=300)])
    plan = library.get_session(made.id)
    old = "ambient/nature: its second kind is preferred in settle; energy 0.30 where the arc asks for 0.30"
    library.delete_session(made.id)
    saved = library.save_session(replace(plan, id=None, items=(replace(plan.items[0], reason=old),)))
    reason = session_sheet(library, settings, saved).tracks[0].reason
    assert (
        reason.startswith("ambient with some nature, which settle favours;") and "second kind" not in reason
    )


def test_sheet_times_follow_the_form_it_accompanies(
    library: Library, settings: Settings, make_session: SessionMaker
) -> None:
    """A session planned with 8 s crossfades by an earlier version: the mix plays it on time, a playlist
    does not, and each sheet says which times it shows."""
    made = make_session([TrackSpec(n, seconds=300) for n in "abc"], crossfade_s=8)
    as_mix = session_sheet(library, settings, made.id, form="mix")
    as_playlist = session_sheet(library, settings, made.id, form="playlist")
    assert [t.start_s for t in as_mix.tracks] == pytest.approx([0, 292, 584])
    assert as_mix.total_s == pytest.approx(884) and as_mix.times_for == "the continuous mix"
    assert [t.start_s for t in as_playlist.tracks] == [0, 300, 600] and as_playlist.total_s == 900
    with pytest.raises(InputError, match="times are for one of playlist, mix"):
        session_sheet(library, settings, made.id, form="cd")


def test_markdown_sheet_keeps_one_row_per_track(
    library: Library, settings: Settings, session_id: int, tmp_path: Path
) -> None:
    path = write_session_sheet(library, settings, session_id, tmp_path / "sheet.md")
    text = path.read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.startswith("| ") and line[2].isdigit()]
    assert len(rows) == 4
    assert rows[0].count(" | ") == 8  # the pipe in the artist's name is escaped, not a new column
    assert "Ólöf \\| Arnalds" in rows[0] and "\\<script\\>" in rows[0]
    assert "# Séance \\*7\\* (session" in text
    assert "- **Patient code:** P-0042" in text
    assert "sheet" not in [s.kind for s in session_sheet(library, settings, session_id).exports]


def test_sheet_without_its_arc_file_still_works(
    library: Library, settings: Settings, session_id: int, tmp_path: Path
) -> None:
    moved = settings.with_overrides(rules_dir=tmp_path / "no-rules")
    sheet = session_sheet(library, moved, session_id)
    assert [p.name for p in sheet.phases] == ["settle", "descend", "deep", "return"]
    write_arc_plot(library, moved, session_id, tmp_path / "arc.png")


def test_arc_plot_is_a_png_with_bands_target_and_tracks(
    library: Library, settings: Settings, session_id: int, tmp_path: Path
) -> None:
    path = write_arc_plot(library, settings, session_id, tmp_path / "arc.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = imread(path)
    assert image.shape[0] > 600 and image.shape[1] > 1400
    blue = np.all(np.abs(image[..., :3] - np.array([0x3B, 0x7D, 0xD8]) / 255) < 0.02, axis=-1)
    assert blue.sum() > 2000  # the ambient tracks are drawn
    assert {s.kind for s in library.syncs(session_id)} == {"m3u", "plot"}
    with pytest.raises(InputError, match=r"\.png"):
        write_arc_plot(library, settings, session_id, tmp_path / "arc.jpg")
    with pytest.raises(InputError, match=r"\.html or \.md"):
        write_session_sheet(library, settings, session_id, tmp_path / "sheet.pdf")
