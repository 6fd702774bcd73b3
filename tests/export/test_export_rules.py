"""rules/export.toml: every key required, finite and within the design's clinical band; no code defaults."""

from __future__ import annotations

import dataclasses
import re
import shutil
from pathlib import Path

import pytest

from playlist_builder.errors import ConfigError
from playlist_builder.export.mix import MixOptions
from playlist_builder.export.rules import ExportRules, LoudnessRules, MixRules, load_export_rules

REPO_RULES = Path(__file__).resolve().parents[2] / "rules"
NUMERIC_KEYS = [
    ("loudness", "target_lufs"),
    ("loudness", "true_peak_ceiling_dbtp"),
    ("loudness", "max_gain_db"),
    ("mix", "boundary_fade_s"),
    ("mix", "trim_fade_s"),
]


def _rules_with(tmp_path: Path, table: str, key: str, value: str | None) -> Path:
    """A copy of the shipped export.toml with one key set to `value` (None: removed)."""
    text = (REPO_RULES / "export.toml").read_text(encoding="utf-8")
    line = re.compile(rf"^{key} = .*$", re.MULTILINE)
    assert len(line.findall(text)) == 1, key
    text = line.sub("" if value is None else f"{key} = {value}", text)
    (tmp_path / "export.toml").write_text(text, encoding="utf-8")
    return tmp_path


def test_shipped_rules_load() -> None:
    rules = load_export_rules(REPO_RULES)
    assert rules.loudness.target_lufs == -20.0 and rules.loudness.true_peak_ceiling_dbtp == -1.0
    assert -23.0 <= rules.loudness.target_lufs <= -18.0 and rules.mix.boundary_fade_s > 0


@pytest.mark.parametrize(("table", "key"), NUMERIC_KEYS)
@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_non_finite_numbers_are_refused(tmp_path: Path, table: str, key: str, value: str) -> None:
    with pytest.raises(ConfigError, match=rf"export\.toml, line \d+: `{table}\.{key}` must be"):
        load_export_rules(_rules_with(tmp_path, table, key, value))


@pytest.mark.parametrize(("table", "key"), NUMERIC_KEYS)
def test_every_key_is_required(tmp_path: Path, table: str, key: str) -> None:
    with pytest.raises(ConfigError, match=rf"`{table}\.{key}` is missing"):
        load_export_rules(_rules_with(tmp_path, table, key, None))


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("target_lufs", "-16.0", "between -23 and -18"),  # louder than the design's band
        ("target_lufs", "-30.0", "between -23 and -18"),
        ("true_peak_ceiling_dbtp", "-0.5", "between -6 and -1"),  # the ceiling must be at most -1 dBTP
        ("max_gain_db", "-3", "between 0 and 40"),
        ("boundary_fade_s", "45", "between 0 and 30"),
        ("trim_fade_s", '"3"', "must be a number"),
    ],
)
def test_values_outside_their_range_are_refused(tmp_path: Path, key: str, value: str, message: str) -> None:
    table = "mix" if key.endswith("_fade_s") else "loudness"
    with pytest.raises(ConfigError, match=message):
        load_export_rules(_rules_with(tmp_path, table, key, value))


def test_unknown_keys_are_refused(tmp_path: Path) -> None:
    shutil.copy(REPO_RULES / "export.toml", tmp_path / "export.toml")
    with (tmp_path / "export.toml").open("a", encoding="utf-8") as handle:
        handle.write("fade_out_s = 45\n")
    with pytest.raises(ConfigError, match=r"`mix\.fade_out_s` is not a known setting"):
        load_export_rules(tmp_path)


def test_no_code_default_shadows_a_rules_value() -> None:
    """The rules' dataclasses and the mix options take every tunable number from the caller."""
    for kind in (ExportRules, LoudnessRules, MixRules):
        assert all(f.default is dataclasses.MISSING for f in dataclasses.fields(kind)), kind
    tunable = {f.name for f in dataclasses.fields(MixOptions)} - {"rate"}
    assert all(f.default is dataclasses.MISSING for f in dataclasses.fields(MixOptions) if f.name in tunable)
    code = "".join(
        p.read_text(encoding="utf-8") for p in (REPO_RULES.parent / "playlist_builder").rglob("*.py")
    )
    for old_default in ("DEFAULT_TARGET_LUFS", "FADE_OUT_S", "FADE_IN_S", "TRIM_FADE_S", "MAX_GAIN_DB",
                        "TRUE_PEAK_CEILING_DBTP"):  # fmt: skip
        assert old_default not in code, old_default
