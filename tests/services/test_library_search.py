"""The library page's search: accents and case do not matter, fields are searched one at a time."""

from __future__ import annotations

from playlist_builder.db.library import Library
from playlist_builder.model import Source, Track
from playlist_builder.services.library_page import LibraryFilter, library_page


def _titles(library: Library, text: str) -> set[str]:
    page = library_page(library, LibraryFilter(text=text), page_size=200)
    return {entry.row.title for entry in page.entries}


def test_search_ignores_accents_case_and_spacing(library: Library) -> None:
    library.upsert_tracks(
        [
            Track(Source.CURATED, "part", "Spiegel im Spiegel", artist="Arvo Pärt", album="Alina"),
            Track(Source.CURATED, "satie", "Gymnopédie No. 1", artist="Erik Satie"),
            Track(Source.CURATED, "gorecki", "Symphony No. 3", artist="Henryk Górecki"),
            Track(Source.CURATED, "rain", "Rain_on  Leaves", artist=None),
        ]
    )
    assert _titles(library, "arvo part") == {"Spiegel im Spiegel"}
    assert _titles(library, "ARVO PÄRT") == {"Spiegel im Spiegel"}
    assert _titles(library, "gymnopedie") == {"Gymnopédie No. 1"}
    assert _titles(library, "Gorecki") == {"Symphony No. 3"}
    assert _titles(library, "rain on leaves") == {"Rain_on  Leaves"}
    assert _titles(library, "  alina ") == {"Spiegel im Spiegel"}  # album, spaces around ignored
    assert len(_titles(library, "")) == 4


def test_search_never_matches_across_two_fields(library: Library) -> None:
    library.upsert_tracks([Track(Source.CURATED, "x", "Spiegel", artist="Arvo Pärt", album="Alina")])
    assert _titles(library, "spiegel arvo") == set()  # the end of the title and the start of the artist
    assert _titles(library, "pärt alina") == set()
    assert _titles(library, "spiegel") == {"Spiegel"}
