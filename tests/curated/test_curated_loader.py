"""Loading and validating curated library files, including the shipped starter libraries."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import pytest

from playlist_builder.config import load_settings
from playlist_builder.errors import ConfigError, NotFoundError
from playlist_builder.model import Category, Source
from playlist_builder.sources.curated import (
    PHASE_NAMES,
    entry_to_track,
    load_curated_file,
    load_curated_libraries,
    parse_duration,
    slugify,
)

SHIPPED = Path(__file__).resolve().parents[2] / "libraries"
MIN_MINUTES_PER_CATEGORY = 60


# --- the shipped starter libraries -----------------------------------------------------------------


def test_every_shipped_library_loads_and_validates() -> None:
    libraries = load_curated_libraries(SHIPPED)
    assert {lib.name for lib in libraries} >= {"ambient", "binaural", "minimal", "nature"}
    for lib in libraries:
        assert lib.description and lib.entries
        keys = [entry.source_key for entry in lib.entries]
        assert len(keys) == len(set(keys)), f"{lib.name}: duplicate entry ids"
        for entry in lib.entries:
            assert entry.phases and set(entry.phases) <= set(PHASE_NAMES)
            assert entry.note.strip()
            assert entry.category is not Category.UNCLASSIFIED


def test_settings_point_at_the_shipped_libraries() -> None:
    assert load_settings().libraries_dir.resolve() == SHIPPED


def test_each_category_has_at_least_an_hour_of_curated_music() -> None:
    minutes: dict[Category, float] = defaultdict(float)
    for lib in load_curated_libraries(SHIPPED):
        for entry in lib.entries:
            minutes[entry.category] += entry.duration_s / 60
    for category in (Category.AMBIENT, Category.BINAURAL, Category.MINIMAL, Category.NATURE):
        assert minutes[category] >= MIN_MINUTES_PER_CATEGORY, f"{category}: only {minutes[category]:.0f} min"


def test_shipped_libraries_invent_no_identifiers() -> None:
    # None could be verified when the starter lists were written; the README says so.
    shipped = load_curated_libraries(SHIPPED)
    assert shipped and all(lib.entries for lib in shipped), f"no curated entries found in {SHIPPED}"
    for lib in shipped:
        for entry in lib.entries:
            assert entry.isrc is None and entry.spotify_uri is None, entry.source_key


def test_shipped_libraries_leave_out_known_vocal_pieces() -> None:
    titles = {entry.title.casefold() for lib in load_curated_libraries(SHIPPED) for entry in lib.entries}
    for vocal in (
        "2/1",
        "1/2",
        "urban snow",
        "sit around the fire",
        "be-in",
        "orphic hymn",
        "shadow journal",
    ):
        assert vocal not in titles


# --- a small valid file ----------------------------------------------------------------------------


def test_a_valid_file_gives_entries_with_stable_ids_and_tracks(write_library: Callable[..., Path]) -> None:
    path = write_library(
        "calm-set",
        [
            {
                "title": "Für Alina",
                "artist": "Arvo Pärt",
                "duration": "10:47",
                "phases": ["descend", "deep"],
                "artist_aliases": ["Alexander Malter"],
                "album": "Alina",
            },
            {
                "title": "Ocean",
                "artist": "Ünïcode Field",
                "duration": 1800,
                "category": "nature",
                "isrc": "gb-aaa-00-00001",
                "spotify_uri": "spotify:track:0123456789abcdefghijKL",
            },
        ],
    )
    lib = load_curated_file(path)
    first, second = lib.entries
    assert first.entry_id == "arvo-part-fur-alina"
    assert first.source_key == "calm-set/arvo-part-fur-alina"
    assert first.duration_s == 647 and first.phases == ("descend", "deep")
    assert "Alexander Malter" in first.artist_names
    assert second.duration_s == 1800 and second.category is Category.NATURE
    assert second.isrc == "GBAAA0000001"
    track = entry_to_track(first)
    assert track.source is Source.CURATED and track.source_key == "calm-set/arvo-part-fur-alina"
    assert track.curated_library == "calm-set" and track.curated_category is Category.MINIMAL
    assert track.curated_note and "descend" in track.curated_note
    assert track.title == "Für Alina" and track.duration_s == 647
    assert lib.total_s == 647 + 1800


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("5:57", 357), ("1:02:03", 3723), ("0:45", 45), (357, 357), (12.5, 12.5), ("10:36.5", 636.5)],
)
def test_durations_in_seconds_or_minutes(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["5:7", "five minutes", "5:60", 0, -3, "", True, [1], "99:00:00"])
def test_bad_durations_are_rejected(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(bad)


def test_slugs_drop_accents_and_punctuation() -> None:
    assert slugify("Jóhann Jóhannsson-Flight from the City") == "johann-johannsson-flight-from-the-city"
    assert slugify("Brian Eno-1/1") == "brian-eno-1-1"
    assert slugify("Straße") == "strasse"


# --- malformed entries name file, entry (number and title), field and line -----------------------

GOOD = {"title": "Spiegel im Spiegel", "artist": "Arvo Pärt", "duration": "10:36"}


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"artist": None}, "artist", "missing"),
        ({"phases": None}, "phases", "missing"),
        ({"category": "ambiant"}, "category", "not one of ambient, binaural, minimal, nature"),
        ({"category": "unclassified"}, "category", "not one of"),
        ({"lyrics": "instrumental"}, "lyrics", 'lyrics = "none"'),
        ({"lyrics": None}, "lyrics", "missing"),
        ({"duration": "ten minutes"}, "duration", "not seconds"),
        ({"duration": -5}, "duration", "outside"),
        ({"phases": ["peak"]}, "phases", "not a phase"),
        ({"isrc": "ABC"}, "isrc", "not an ISRC"),
        ({"spotify_uri": "spotify:album:0123456789abcdefghijKL"}, "spotify_uri", "not a Spotify track URI"),
        ({"catgory": "minimal"}, "catgory", "unknown field"),
        ({"note": "   "}, "note", "non-empty text"),
    ],
)
def test_malformed_entry_names_file_entry_field_and_line(
    write_library: Callable[..., Path], change: dict[str, object], field: str, words: str
) -> None:
    entries = [dict(GOOD, title="First piece"), {**GOOD, **change}]
    path = write_library("broken", entries)
    with pytest.raises(ConfigError) as caught:
        load_curated_file(path)
    message = str(caught.value)
    assert str(path) in message
    assert "entry 2 ('Spiegel im Spiegel')" in message
    assert f"field '{field}'" in message
    assert words in message
    line = int(re.search(rf"{re.escape(str(path))}:(\d+):", message).group(1))  # type: ignore[union-attr]
    text_lines = path.read_text(encoding="utf-8").splitlines()
    second_entry_start = [i for i, t in enumerate(text_lines) if t == "[[entries]]"][1] + 1
    assert line >= second_entry_start
    if field in {k for k, v in change.items() if v is not None}:
        assert text_lines[line - 1].startswith(f"{field} ="), "the line of the offending field"
    else:
        assert text_lines[line - 1] == "[[entries]]", "a missing field points at its entry"


def test_entry_without_a_title_is_named_by_number(write_library: Callable[..., Path]) -> None:
    path = write_library("untitled", [{"artist": "Someone", "duration": 60}])
    with pytest.raises(ConfigError, match=r"entry 1: field 'title': missing"):
        load_curated_file(path)


def test_every_problem_in_a_file_is_listed(write_library: Callable[..., Path]) -> None:
    path = write_library(
        "many",
        [
            {**GOOD, "category": "jazz"},
            {**GOOD, "title": "B", "lyrics": "some"},
            {**GOOD, "title": "C", "duration": "x"},
        ],
    )
    with pytest.raises(ConfigError) as caught:
        load_curated_file(path)
    message = str(caught.value)
    assert "entry 1" in message and "entry 2 ('B')" in message and "entry 3 ('C')" in message


def test_same_piece_twice_needs_its_own_id(write_library: Callable[..., Path]) -> None:
    twice = [dict(GOOD), dict(GOOD, duration="9:12")]
    path = write_library("alina", twice)
    with pytest.raises(
        ConfigError, match=r"entry 2 .*field 'id': 'arvo-part-spiegel-im-spiegel' is the same as entry 1"
    ):
        load_curated_file(path)
    write_library("alina", [dict(GOOD, id="violin"), dict(GOOD, duration="9:12", id="cello")])
    assert [e.entry_id for e in load_curated_file(path).entries] == ["violin", "cello"]


def test_library_table_problems_are_named(libraries_dir: Path) -> None:
    path = libraries_dir / "nameless.toml"
    path.write_text('[library]\ndescription = "x"\n\n[[entries]]\ntitle = "a"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_curated_file(path)
    assert f"{path}:1: [library] name: missing" in str(caught.value)
    path.write_text('[library]\nname = "Bad Name"\ndescription = "x"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="lowercase letters"):
        load_curated_file(path)


def test_invalid_toml_names_file_and_line(libraries_dir: Path) -> None:
    path = libraries_dir / "syntax.toml"
    path.write_text(
        '[library]\nname = "syntax"\ndescription = "x"\n\n[[entries]]\ntitle = "unclosed\n', encoding="utf-8"
    )
    with pytest.raises(ConfigError, match=r"syntax\.toml: not valid TOML: .*line 6"):
        load_curated_file(path)


def test_names_are_unique_across_files_and_can_be_chosen(
    libraries_dir: Path, write_library: Callable[..., Path]
) -> None:
    write_library("one", [GOOD])
    write_library("two", [GOOD])
    assert [lib.name for lib in load_curated_libraries(libraries_dir, "two")] == ["two"]
    with pytest.raises(NotFoundError, match=r"no curated library named 'three'.*available: one, two"):
        load_curated_libraries(libraries_dir, "three")
    (libraries_dir / "copy.toml").write_text((libraries_dir / "one.toml").read_text(), encoding="utf-8")
    with pytest.raises(ConfigError, match="already used"):
        load_curated_libraries(libraries_dir)


def test_missing_folder_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_curated_libraries(tmp_path / "nowhere")


def test_duplicate_id_message_counts_entries_as_in_the_file(write_library: Callable[..., Path]) -> None:
    path = write_library(
        "alina", [dict(GOOD, title="Bad", duration="x"), dict(GOOD), dict(GOOD, duration="9:12")]
    )
    with pytest.raises(ConfigError, match=r"entry 3 .*field 'id': .* is the same as entry 2"):
        load_curated_file(path)
