"""Rules files: the shipped one loads; every mistake names the file, the key and the line."""

from __future__ import annotations

from pathlib import Path

import pytest
from classify_fixtures import REPO_RULES

from playlist_builder.classify.rules import RULES_FILE, load_rules
from playlist_builder.errors import ConfigError
from playlist_builder.tomlfile import locate_key

SHIPPED = (REPO_RULES / RULES_FILE).read_text(encoding="utf-8")


def write_rules(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "règles"
    folder.mkdir(exist_ok=True)
    (folder / RULES_FILE).write_text(text, encoding="utf-8")
    return folder


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line number of the n-th line containing `needle`."""
    hits = [n for n, line in enumerate(text.splitlines(), start=1) if needle in line]
    return hits[occurrence - 1]


def broken(tmp_path: Path, old: str, new: str, count: int = 1) -> tuple[str, str]:
    """Load the shipped rules with one edit; return the error message and the edited text."""
    assert old in SHIPPED, old
    text = SHIPPED.replace(old, new, count)
    with pytest.raises(ConfigError) as caught:
        load_rules(write_rules(tmp_path, text))
    return str(caught.value), text


def test_shipped_rules_load_with_a_version() -> None:
    rules = load_rules(REPO_RULES)
    assert rules.version
    assert rules.audio["instrumental_below"] <= rules.audio["vocal_threshold"]
    assert len(rules.categories) == 4


def test_wrong_type_names_file_key_and_line(tmp_path: Path) -> None:
    message, text = broken(tmp_path, "min_instrumental = 0.6", 'min_instrumental = "high"')
    assert RULES_FILE in message and "règles" in message
    assert "`decision.min_instrumental`" in message
    assert f"line {line_of(text, 'min_instrumental =')}" in message


def test_out_of_range_weight_in_an_array_of_tables(tmp_path: Path) -> None:
    # The third [[names.categories]] table is `minimal`; its weight is 0.6.
    old = 'category = "minimal"'
    start = SHIPPED.index(old)
    weight_at = SHIPPED.index("weight = 0.6", start)
    text = SHIPPED[:weight_at] + "weight = 1.6" + SHIPPED[weight_at + len("weight = 0.6") :]
    with pytest.raises(ConfigError) as caught:
        load_rules(write_rules(tmp_path, text))
    message = str(caught.value)
    assert "`names.categories[2].weight`" in message
    assert f"line {line_of(text, 'weight = 1.6')}" in message
    assert "between 0 and 1" in message


def test_unknown_category_is_named(tmp_path: Path) -> None:
    message, text = broken(tmp_path, 'category = "nature"', 'category = "natur"')
    assert "`names.categories[1].category`" in message
    assert "natur" in message and f"line {line_of(text, 'natur')}" in message


def test_invalid_regular_expression(tmp_path: Path) -> None:
    message, text = broken(tmp_path, r"patterns = ['\(live\).*\bsings?\b']", r"patterns = ['(live']")
    assert "`lyrics.markers[2].patterns[0]`" in message
    assert "regular expression" in message
    assert f"line {line_of(text, 'patterns = [' + chr(39) + '(live')}" in message


def test_typo_in_a_key_is_not_ignored(tmp_path: Path) -> None:
    message, text = broken(tmp_path, "\nvocal_threshold = ", "\nvocal_treshold = 0.5\nvocal_threshold = ")
    assert "`audio.vocal_treshold`" in message and "not a known setting" in message
    assert f"line {line_of(text, 'vocal_treshold')}" in message


def test_missing_key_points_at_its_table(tmp_path: Path) -> None:
    message, text = broken(tmp_path, "strong_vocal_weight = 0.5\n", "")
    assert "`decision.strong_vocal_weight` is missing" in message
    assert f"line {line_of(text, '[decision]')}" in message


def test_inconsistent_thresholds(tmp_path: Path) -> None:
    message, _ = broken(tmp_path, "\ninstrumental_below = ", "\ninstrumental_below = 0.99 # was ")
    assert "`audio.instrumental_below`" in message and "vocal_threshold" in message


def test_toml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    message, text = broken(tmp_path, "[decision]", "[decision")
    assert RULES_FILE in message and "not valid TOML" in message
    assert f"line {line_of(text, '[decision')}" in message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_rules(tmp_path)


def test_locate_key_handles_tables_and_arrays() -> None:
    text = 'version = "1"\n[a]\nx = 1\n[[a.items]]\ny = 1\n[[a.items]]\ny = 2\n'
    assert locate_key(text, ("version",)) == 1
    assert locate_key(text, ("a", "x")) == 3
    assert locate_key(text, ("a", "items", 1, "y")) == 7
    assert locate_key(text, ("a", "items", 1, "zz")) == 6  # missing key: its table
