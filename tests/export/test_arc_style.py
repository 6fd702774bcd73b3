"""The arc's colours and energy axis, shared by the exported PNG and the app's SVG (without matplotlib)."""

from __future__ import annotations

import json
import subprocess
import sys

from playlist_builder.export.arc_style import energy_ceiling
from playlist_builder.export.sheet import PhaseSpan, SessionSheet, SheetTrack


def _sheet(energies: tuple[float, ...], phase_energy: tuple[float, float]) -> SessionSheet:
    tracks = tuple(
        SheetTrack(i + 1, 300.0 * i, 300.0, "deep", "ambient", e, f"Track {i}", "calm")
        for i, e in enumerate(energies)
    )
    phase = PhaseSpan("deep", 0.0, 300.0 * len(energies), *phase_energy)
    return SessionSheet(1, "s", "iv", "", 50, 300.0 * len(energies), None, None, (phase,), tracks, ())


def test_energy_axis_leaves_room_above_the_highest_track_or_target_within_one() -> None:
    assert energy_ceiling(_sheet((0.2, 0.3), (0.2, 0.25))) == 0.65  # at least 0.5 + room
    assert abs(energy_ceiling(_sheet((0.2, 0.7), (0.2, 0.25))) - 0.85) < 1e-9  # the highest track
    assert abs(energy_ceiling(_sheet((0.2,), (0.2, 0.75))) - 0.9) < 1e-9  # the phase's target
    assert energy_ceiling(_sheet((0.95,), (0.2, 0.3))) == 1.0


def test_the_app_draws_its_arc_without_loading_matplotlib() -> None:
    probe = (
        "import json, sys\n"
        "from playlist_builder.export.sheet import PhaseSpan, SessionSheet, SheetTrack\n"
        "from playlist_builder.web.svg import arc_svg\n"
        "track = SheetTrack(1, 0.0, 300.0, 'deep', 'nature', 0.3, 'Rain', 'calm')\n"
        "sheet = SessionSheet(1, 's', 'iv', '', 5, 300.0, None, None,"
        " (PhaseSpan('deep', 0.0, 300.0, 0.3, 0.3),), (track,), ())\n"
        "svg = str(arc_svg(sheet))\n"
        "print(json.dumps(['matplotlib' in sys.modules, '#2f9e62' in svg]))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [False, True]  # no matplotlib; the nature track in nature's colour
