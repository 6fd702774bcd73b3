"""The session sheet (HTML, Markdown) and the arc plot (PNG)."""

from __future__ import annotations

import html.parser
from pathlib import Path

import numpy as np
import pytest
from export_fixtures import SessionMaker, TrackSpec
from matplotlib.image import imread

from playlist_builder.config import Settings
from playlist_builder.db.library import Library
from playlist_builder.errors import InputError
from playlist_builder.services.export import (
    export_m3u,
    session_sheet,
    write_arc_plot,
    write_session_sheet,
)


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
        crossfade_s=8,
        patient_code="P-0042",
    )
    export_m3u(library, settings, made.id, tmp_path / "s.m3u8")
    return made.id


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
    shown = ["Séance *7*", "iv-infusion", "P-0042", "29:36", hostile, "Line break", "fits descend", "deep"]
    for expected in [*shown, "ambient", "0.30", str(tmp_path / "s.m3u8"), "m3u"]:
        assert expected in text, expected
    track_table = text.rsplit("Tracks", 1)[1].split("Exported to", 1)[0]
    starts = [cell for cell in track_table.split() if cell in ("0:00", "4:52", "11:44", "21:36")]
    assert starts[:4] == ["0:00", "4:52", "11:44", "21:36"]  # start times follow the crossfades


def test_markdown_sheet_keeps_one_row_per_track(
    library: Library, settings: Settings, session_id: int, tmp_path: Path
) -> None:
    path = write_session_sheet(library, settings, session_id, tmp_path / "sheet.md")
    text = path.read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.startswith("| ") and line[2].isdigit()]
    assert len(rows) == 4
    assert rows[0].count(" | ") == 7  # the pipe in the artist's name is escaped, not a new column
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
