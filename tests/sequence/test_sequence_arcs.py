"""Arc templates and sequence rules: the shipped files load; mistakes name file, key and line."""

from __future__ import annotations

from pathlib import Path

import pytest
from sequence_fixtures import REPO_ARCS, REPO_RULES

from playlist_builder.errors import ConfigError, NotFoundError
from playlist_builder.model import Arc, Category
from playlist_builder.sequence.arcs import arc_names, load_arc, load_arc_file
from playlist_builder.sequence.rules import load_sequence_rules

GOOD_ARC = """\
name = "test-arc"
description = "A test arc."
default_minutes = 50
min_minutes = 40
max_minutes = 60
crossfade_s = 8
max_energy_step = 0.15
max_loudness_step_lu = 3

[[phases]]
name = "settle"
share = 0.4
energy_start = 0.35
energy_end = 0.3
preferred = ["nature"]
allowed = ["nature", "ambient"]
max_energy = 0.5
description = "Arriving."

[[phases]]
name = "deep"
share = 0.6
energy_start = 0.25
energy_end = 0.2
preferred = ["ambient"]
allowed = ["ambient", "binaural"]
max_energy = 0.3
description = "Deep."
"""


def write_arc(folder: Path, text: str, name: str = "test-arc") -> Path:
    path = folder / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_arcs_load_with_the_issue_lengths(arcs: dict[str, Arc]) -> None:
    assert {"iv-infusion", "im-injection", "intranasal"} <= set(arcs)
    iv = arcs["iv-infusion"]
    assert (iv.default_minutes, iv.min_minutes, iv.max_minutes) == (50, 40, 60)
    assert [p.name for p in iv.phases] == ["settle", "descend", "deep", "return", "ground"]
    deep_start = sum(p.share for p in iv.phases[:2]) * iv.default_minutes
    assert 10 <= deep_start <= 15, "depth grows after 10-15 minutes"
    calm_tail = sum(p.share for p in iv.phases[3:]) * iv.default_minutes
    assert calm_tail == pytest.approx(20), "the final 20 minutes calm"
    nasal = arcs["intranasal"]
    assert nasal.min_minutes == 40 and nasal.max_minutes > 60
    for arc in arcs.values():
        deepest = min(arc.phases, key=lambda p: p.max_energy)
        assert deepest.name == "deep"
        assert Category.UNCLASSIFIED not in {c for p in arc.phases for c in p.allowed}


def test_every_shipped_arc_explains_its_numbers() -> None:
    shipped = sorted(REPO_ARCS.glob("*.toml"))
    assert shipped, f"no arc templates found in {REPO_ARCS}"
    for path in shipped:
        comments = [
            line for line in path.read_text(encoding="utf-8").splitlines() if line.lstrip().startswith("#")
        ]
        assert len(comments) >= 10, f"{path.name} should say why its numbers are what they are"


def test_a_good_arc_loads(tmp_path: Path) -> None:
    arc = load_arc_file(write_arc(tmp_path, GOOD_ARC))
    assert arc.name == "test-arc"
    assert arc.phases[1].preferred == (Category.AMBIENT,)
    assert arc.phases[1].max_energy == 0.3


@pytest.mark.parametrize(
    ("change", "key", "line"),
    [
        (("max_energy = 0.3\n", "max_energy = 1.3\n"), "phases[1].max_energy", 27),
        (('allowed = ["ambient", "binaural"]', 'allowed = ["ambient", "jazz"]'), "phases[1].allowed", 26),
        (('preferred = ["nature"]', 'preferred = ["binaural"]'), "phases[0].preferred", 15),
        (("share = 0.6", "share = 0.7"), "phases[0].share", 12),
        (("crossfade_s = 8\n", "crossfade_s = 8\ncrossfade = 3\n"), "crossfade", 7),
        (('name = "test-arc"', 'name = "other"'), "name", 1),
        (("energy_start = 0.25", "energy_start = 0.1"), "phases[1].energy_start", 23),
        (("min_minutes = 40", "min_minutes = 55"), "default_minutes", 3),
    ],
)
def test_arc_mistakes_name_file_key_and_line(
    tmp_path: Path, change: tuple[str, str], key: str, line: int
) -> None:
    old, new = change
    assert old in GOOD_ARC
    path = write_arc(tmp_path, GOOD_ARC.replace(old, new, 1))
    with pytest.raises(ConfigError) as caught:
        load_arc_file(path)
    message = str(caught.value)
    assert str(path) in message
    assert f"`{key}`" in message
    assert f"line {line}" in message


def test_arc_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = write_arc(tmp_path, GOOD_ARC.replace("share = 0.4", "share = = 0.4"))
    with pytest.raises(ConfigError, match=r"test-arc\.toml, line 12: not valid TOML"):
        load_arc_file(path)


def test_unknown_arc_lists_the_known_ones(tmp_path: Path) -> None:
    write_arc(tmp_path, GOOD_ARC)
    assert arc_names(tmp_path) == ["test-arc"]
    with pytest.raises(NotFoundError, match=r"known arcs: test-arc"):
        load_arc(tmp_path, "../etc/passwd")


def test_shipped_sequence_rules_load() -> None:
    rules = load_sequence_rules(REPO_RULES)
    assert rules.limits.total_tolerance_s == 10
    assert rules.limits.phase_tolerance_s == 60
    assert rules.limits.calm_tempo_min_bpm == 60 and rules.limits.calm_tempo_max_bpm == 80


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("energy_fit = 1.0", "energy_fit = -1.0", "weights.energy_fit"),
        ("crossfade_min_s = 2", "crossfade_min_s = 20", "limits.crossfade_min_s"),
        ("pool_size = 600", "pool_size = 60.5", "search.pool_size"),
        ("variety = 0.6", "varietty = 0.6", "weights.varietty"),
        ("beam_max_width = 128", "beam_max_width = 8", "search.beam_max_width"),
        ("beam_width = 16", "beam_width = 16.5", "search.beam_width"),
    ],
)
def test_sequence_rule_mistakes_name_file_key_and_line(tmp_path: Path, old: str, new: str, key: str) -> None:
    text = (REPO_RULES / "sequence.toml").read_text(encoding="utf-8")
    assert old in text
    changed = text.replace(old, new, 1)
    (tmp_path / "sequence.toml").write_text(changed, encoding="utf-8")
    line = next(
        n for n, row in enumerate(changed.splitlines(), 1) if row.startswith(key.split(".")[-1] + " =")
    )
    with pytest.raises(ConfigError) as caught:
        load_sequence_rules(tmp_path)
    message = str(caught.value)
    assert "sequence.toml" in message and f"`{key}`" in message
    assert f"line {line}" in message
