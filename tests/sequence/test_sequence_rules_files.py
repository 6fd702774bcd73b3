"""The shipped sequence and arc rules are the only source of their numbers, and every number is checked.

The cases are generated from the shipped files, so a key added to a file is covered without touching
this test: every numeric key refuses NaN and +-infinity with an error naming file, key and line, and
every key the file holds is what the loaded rules carry (no code default shadows it).
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sequence_fixtures import REPO_ARCS, REPO_RULES

from playlist_builder.errors import ConfigError
from playlist_builder.model import Arc, Phase
from playlist_builder.sequence import rules as sequence_rules
from playlist_builder.sequence.arcs import load_arc_file
from playlist_builder.sequence.rules import SEQUENCE_RULES_FILE, load_sequence_rules
from playlist_builder.tomlfile import KeyPath, dotted, locate_key

SEQUENCE_FILE = REPO_RULES / SEQUENCE_RULES_FILE
ARC_FILES = sorted(REPO_ARCS.glob("*.toml"))
NOT_FINITE = ("nan", "inf", "-inf", "+nan")


def numeric_keys(data: Any, path: KeyPath = ()) -> Iterator[KeyPath]:
    """Every key path in a parsed TOML file whose value is a number (not a boolean)."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield from numeric_keys(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            if isinstance(value, dict):
                yield from numeric_keys(value, (*path, index))
    elif isinstance(data, int | float) and not isinstance(data, bool):
        yield path


def cases(files: list[Path]) -> list[tuple[Path, KeyPath]]:
    """(file, numeric key) for every numeric key of the given shipped files."""
    found = []
    for path in files:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        found += [(path, key) for key in numeric_keys(data)]
    return found


def with_value(text: str, key: KeyPath, value: str) -> tuple[str, int]:
    """`text` with the value of `key` replaced by `value`, and the 1-based line it is on."""
    line = locate_key(text, key)
    assert line is not None, f"{dotted(key)} not found"
    lines = text.splitlines(keepends=True)
    name = re.escape(str(key[-1]))
    changed, count = re.subn(rf"^(\s*{name}\s*=\s*)[^#\n]*?(\s*(#.*)?)$", rf"\g<1>{value}\2", lines[line - 1])
    assert count == 1, lines[line - 1]
    lines[line - 1] = changed
    return "".join(lines), line


SEQUENCE_CASES = cases([SEQUENCE_FILE])
ARC_CASES = cases(ARC_FILES)


def test_the_cases_cover_the_shipped_files() -> None:
    assert ARC_FILES, "no shipped arc files found"
    assert len(SEQUENCE_CASES) >= 30  # weights, limits, search and categories
    assert {path for path, _ in ARC_CASES} == set(ARC_FILES)
    assert any(key == ("max_loudness_step_lu",) for _, key in ARC_CASES)
    assert any(key[-1] == "share" for _, key in ARC_CASES)


@pytest.mark.parametrize("value", NOT_FINITE)
@pytest.mark.parametrize(("path", "key"), SEQUENCE_CASES, ids=lambda case: str(case))
def test_sequence_rules_refuse_numbers_that_are_not_finite(
    tmp_path: Path, path: Path, key: KeyPath, value: str
) -> None:
    text, line = with_value(path.read_text(encoding="utf-8"), key, value)
    (tmp_path / SEQUENCE_RULES_FILE).write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_sequence_rules(tmp_path)
    message = str(caught.value)
    assert str(tmp_path / SEQUENCE_RULES_FILE) in message
    assert f"`{dotted(key)}`" in message
    assert f"line {line}:" in message
    assert "finite" in message


@pytest.mark.parametrize("value", NOT_FINITE)
@pytest.mark.parametrize(("path", "key"), ARC_CASES, ids=lambda case: str(case))
def test_arcs_refuse_numbers_that_are_not_finite(
    tmp_path: Path, path: Path, key: KeyPath, value: str
) -> None:
    text, line = with_value(path.read_text(encoding="utf-8"), key, value)
    copy = tmp_path / path.name
    copy.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_arc_file(copy)
    message = str(caught.value)
    assert str(copy) in message
    assert f"`{dotted(key)}`" in message
    assert f"line {line}:" in message
    assert "finite" in message


RULE_TYPES = [
    sequence_rules.SequenceRules,
    *sequence_rules.TABLES.values(),
    Arc,
    Phase,
]


@pytest.mark.parametrize("kind", RULE_TYPES, ids=lambda kind: kind.__name__)
def test_no_rule_has_a_code_default(kind: type) -> None:
    defaulted = [
        spec.name
        for spec in dataclasses.fields(kind)
        if spec.default is not dataclasses.MISSING or spec.default_factory is not dataclasses.MISSING
    ]
    assert defaulted == [], f"{kind.__name__} has code defaults for {defaulted}; they belong in rules/"


def test_every_key_of_the_shipped_sequence_rules_is_what_the_solver_gets() -> None:
    data = tomllib.loads(SEQUENCE_FILE.read_text(encoding="utf-8"))
    rules = load_sequence_rules(REPO_RULES)
    assert rules.version == data["version"]
    assert set(data) == {"version", *sequence_rules.TABLES}
    for table, kind in sequence_rules.TABLES.items():
        loaded = getattr(rules, table)
        assert set(data[table]) == {spec.name for spec in dataclasses.fields(kind)}
        for key, value in data[table].items():
            assert getattr(loaded, key) == value, f"{table}.{key}"


@pytest.mark.parametrize("path", ARC_FILES, ids=lambda path: path.stem)
def test_every_key_of_a_shipped_arc_is_what_the_solver_gets(path: Path) -> None:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    arc = load_arc_file(path)
    assert set(data) == {spec.name for spec in dataclasses.fields(Arc)}
    for key, value in data.items():
        if key != "phases":
            assert getattr(arc, key) == value, key
    assert len(arc.phases) == len(data["phases"])
    for phase, table in zip(arc.phases, data["phases"], strict=True):
        assert set(table) == {spec.name for spec in dataclasses.fields(Phase)}
        for key, value in table.items():
            loaded = getattr(phase, key)
            if key in ("preferred", "allowed"):
                loaded = [category.value for category in loaded]
            assert loaded == value, f"{phase.name}.{key}"


def test_reading_the_rules_loads_no_numpy() -> None:
    # `session show` and the app read arcs; the solver's numpy and scipy load only to build a plan.
    probe = (
        "import sys\n"
        "from playlist_builder.sequence.arcs import load_arcs\n"
        "from playlist_builder.sequence.rules import load_sequence_rules\n"
        f"load_arcs({str(REPO_ARCS)!r}); load_sequence_rules({str(REPO_RULES)!r})\n"
        "print(sorted(m for m in ('numpy', 'scipy') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
