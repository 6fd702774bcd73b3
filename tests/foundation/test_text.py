"""The one text module: durations, name comparison, the matching rules, and text safe to show."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from playlist_builder.classify.rules import phrase_pattern
from playlist_builder.errors import ConfigError
from playlist_builder.text import (
    artist_keys,
    clean_tag,
    display_text,
    format_duration,
    load_matching_rules,
    name_key,
    neutralise_output,
    normalise_text,
)

REPO_RULES = Path(__file__).resolve().parents[2] / "rules"


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(0, "0:00"), (59.4, "0:59"), (59.6, "1:00"), (112, "1:52"), (3599.5, "1:00:00"), (3725, "1:02:05"),
     (-5, "-0:05"), (None, "?"), (math.nan, "?"), (math.inf, "?")],
)  # fmt: skip
def test_one_duration_format(seconds: float | None, shown: str) -> None:
    assert format_duration(seconds) == shown


def test_names_compare_without_accents_case_or_release_noise() -> None:
    assert name_key("Für Alina (Remastered 2004)") == name_key("FUR ALINA") == "fur alina"
    assert name_key("Weightless - Remastered 2011") == "weightless"
    assert name_key("Suite - Part 2") == "suite part 2"  # a dash that is part of the title stays
    assert name_key("Ａｍｂｒｅ!") == "ambre"
    assert name_key("Straße") == name_key("STRASSE")
    assert name_key("坂本 龍一") == "坂本 龍一"  # letters of every script are kept, not dropped
    assert name_key("Сиджей") != name_key("Ambre")
    assert normalise_text("  Ólafur_ARNALDS\t (live) ") == "olafur arnalds (live)"


@pytest.mark.parametrize(
    "credit",
    [
        "Ólafur Arnalds & Nils Frahm",
        "Olafur Arnalds x Nils Frahm",
        "ólafur arnalds + nils frahm",
        "Nils Frahm feat. Ólafur Arnalds",
        "Nils Frahm × OLAFUR ARNALDS",
        "Nils Frahm, Ólafur Arnalds",
        "Nils Frahm with Ólafur Arnalds",
    ],
)
def test_every_collaboration_credit_names_both_artists(credit: str) -> None:
    keys = artist_keys(credit)
    assert {"olafur arnalds", "nils frahm"} <= keys
    # Classification looks for names with the same normaliser, so a rule naming the artist fires too.
    assert phrase_pattern("Ólafur Arnalds").search(normalise_text(credit))


def test_a_credit_that_is_one_name_still_matches_whole() -> None:
    assert "malcolm x" in artist_keys("Malcolm X")
    assert "simon and garfunkel" in artist_keys("Simon and Garfunkel")
    assert artist_keys(None) == frozenset() and artist_keys("") == frozenset()


def test_shipped_matching_rules_and_their_checks(tmp_path: Path) -> None:
    rules = load_matching_rules(REPO_RULES)
    assert rules.duration_tolerance_s == 3.0
    assert rules.same_length(300.0, 303.0) and not rules.same_length(300.0, 303.5)
    assert not rules.same_length(None, 300.0)
    for bad, message in [
        ("[matching]\n", "is missing"),
        ("[matching]\nduration_tolerance_s = nan\n", "must be"),
        ("[matching]\nduration_tolerance_s = inf\n", "must be"),
        ("[matching]\nduration_tolerance_s = -1\n", "must be between"),
        ("[matching]\nduration_tolerance_s = 3\ntolerance = 2\n", "not a known setting"),
    ]:
        (tmp_path / "matching.toml").write_text(bad)
        with pytest.raises(ConfigError, match=message) as info:
            load_matching_rules(tmp_path)
        assert "matching.toml" in str(info.value)


def test_display_text_escapes_what_would_act_on_a_terminal() -> None:
    assert display_text("Océan – calme") == "Océan – calme"
    assert display_text("evil\u202etxt.exe") == "evil\\u202etxt.exe"
    assert display_text("two\nlines\tand\x1b[2J") == "two\\nlines\\tand\\u001b[2J"
    undecodable = b"caf\xe9".decode("utf-8", "surrogateescape")
    assert display_text(undecodable) == "caf\\xe9"
    json.dumps(display_text(undecodable)).encode("utf-8")  # now encodable


def test_output_keeps_our_layout_but_not_bidi_or_stray_escapes() -> None:
    bar = "\r\x1b[?25lscanning  [####]  3/10\x1b[?25h\n"
    assert neutralise_output(bar) == bar
    assert neutralise_output("a\u2067b\n") == "a\\u2067b\n"
    assert neutralise_output("\x1b]0;owned\x07") == "\\u001b]0;owned\\u0007"


def test_clean_tag_makes_one_line() -> None:
    assert clean_tag("Rain\non the\r\nroof\x00 ") == "Rain on the roof"
    assert clean_tag("a\u2028b\x85c") == "a b c"
    assert clean_tag(b"caf\xe9".decode("utf-8", "surrogateescape")) == "caf\ufffd"
    assert clean_tag("\u05e9\u05dc\u05d5\u05dd\u200f") == "\u05e9\u05dc\u05d5\u05dd\u200f"  # RTL marks stay


def test_the_sequencer_and_curated_ids_compare_names_the_same_way() -> None:
    from playlist_builder.sequence.candidates import artist_key
    from playlist_builder.sources.curated import slugify

    assert artist_key("Ólafur  Arnalds") == artist_key("OLAFUR ARNALDS") == "olafur arnalds"
    assert artist_key("Various Artists") is None
    assert slugify("Arvo Pärt – Für Alina") == "arvo-part-fur-alina"  # ids of shipped entries unchanged
    assert slugify("Straße ﬁve") == "strasse-five"
