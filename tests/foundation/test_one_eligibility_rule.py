"""One eligibility rule, everywhere (issue 14), and damaged audio is never eligible (issue 13 item 2).

The library below holds tracks on which the two old definitions disagreed (the sequencer's and the
view's): an approved 0-byte file, an approved file the analysis could not decode, an approved file cut
to half its length, and a curated entry linked to a banned local file. The sequencer, the demo's
held-back list, the review queue and `library list --json` must all agree with the one rule, and the
rule's SQL clause must agree with its in-memory predicate.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from playlist_builder.cli import cli
from playlist_builder.config import Settings
from playlist_builder.db.library import Library
from playlist_builder.db.query import ELIGIBLE, is_eligible
from playlist_builder.db.schema import TrackRow
from playlist_builder.model import Category, Source, Track
from playlist_builder.services import review
from playlist_builder.services.analyze import analyze_library
from playlist_builder.services.classify import classify_library
from playlist_builder.services.scan import scan_paths
from playlist_builder.services.session import session_candidates
from playlist_builder.services.views import held_back
from tests.conftest import make_wav

RATE = 16_000


def _noise(seconds: float, seed: int) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal(int(RATE * seconds)) * 0.05).astype(np.float32)


@pytest.fixture
def mixed(library: Library, settings: Settings, tmp_path: Path) -> dict[str, int]:
    root = tmp_path / "clinic"
    make_wav(root / "Calm Pad.wav", _noise(6.0, 1), RATE)
    cut = make_wav(root / "Cut Short.wav", _noise(8.0, 2), RATE)
    cut.write_bytes(cut.read_bytes()[: cut.stat().st_size // 2])  # the header still promises 8 s
    make_wav(root / "Banned Drone.wav", _noise(6.0, 3), RATE)
    (root / "Empty.wav").write_bytes(b"")
    scan_paths(library, [str(root)])
    ids = {t.title: t.id for t in library.list_tracks() if t.id is not None}
    (ids["curated"],) = library.upsert_tracks(
        [
            Track(
                source=Source.CURATED,
                source_key="clinic/banned-drone",
                title="Banned Drone (curated)",
                duration_s=6.0,
                curated_category=Category.AMBIENT,
                curated_library="clinic",
            )
        ]
    )
    library.set_link(ids["curated"], linked_track_id=ids["Banned Drone"])
    (ids["spotify"],) = library.upsert_tracks(
        [
            Track(
                source=Source.SPOTIFY,
                source_key="spotify:track:1",
                title="Rain (Instrumental)",
                duration_s=240.0,
            )
        ]
    )
    make_wav(root / "Good Pad.wav", _noise(6.0, 4), RATE)
    scan_paths(library, [str(root)])
    ids = {**ids, **{t.title: t.id for t in library.list_tracks() if t.id is not None}}
    analyze_library(library, settings)
    # an analysis that failed (the file could not be decoded) on an otherwise fine-looking track
    library.save_features(
        ids["Calm Pad"], None, error="cannot decode", file_size=None, file_mtime=None, analyzer_version="x"
    )
    classify_library(library, settings.with_overrides(offline=True))
    for title in ("Calm Pad", "Cut Short", "Empty", "Good Pad", "spotify", "curated"):
        review.approve(library, ids[title], note="listened")  # what made the old view say "eligible"
    review.ban(library, ids["Banned Drone"], note="spoken intro")
    return ids


def test_damaged_files_are_found_and_kept_out(library: Library, mixed: dict[str, int]) -> None:
    states = library.track_states()
    cut = states[mixed["Cut Short"]]
    assert cut.damage is not None and "audio ends at 0:04.0 of 0:08.0 (50%)" in cut.damage
    assert not is_eligible(cut) and any(r.startswith("damaged:") for r in ELIGIBLE.failures(cut))
    empty = states[mixed["Empty"]]
    assert empty.scan_error and not is_eligible(empty)
    good = library.get_features(mixed["Good Pad"])
    assert good is not None and good.duration_s == pytest.approx(6.0, abs=0.05)


def test_one_rule_holds_everywhere(
    runner: CliRunner, settings: Settings, library: Library, mixed: dict[str, int]
) -> None:
    expected = {mixed["Good Pad"], mixed["spotify"]}

    # the rule itself: SQL clause == in-memory predicate
    assert set(library.eligible_track_ids()) == expected
    assert {tid for tid, state in library.track_states().items() if is_eligible(state)} == expected
    with library.transaction() as s:
        assert set(s.scalars(select(TrackRow.id).where(ELIGIBLE.clause()))) == expected

    # the sequencer
    assert {c.track_id for c in session_candidates(library)} == expected

    # the demo report: every present track not eligible is held back, with a reason
    held = {h.track_id: h.reason for h in held_back(library)}
    present = {t.id for t in library.list_tracks(missing=False)}
    assert set(held) == present - expected
    assert held[mixed["Cut Short"]].startswith("damaged: audio ends at 0:04.0")
    assert "empty file" in held[mixed["Empty"]]
    assert held[mixed["Banned Drone"]].startswith("banned by a clinician")

    # the review queue: damage is listed (approval cannot make a damaged file eligible)
    queue = {item.track.id: item for item in review.review_queue(library)}
    assert mixed["Cut Short"] in queue and not queue[mixed["Cut Short"]].eligible
    assert any("damaged" in reason for reason in queue[mixed["Cut Short"]].reasons)
    assert all(item.eligible == (tid in expected) for tid, item in queue.items())

    # library list --json
    listed = runner.invoke(cli, ["library", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    rows = {row["id"]: row for row in json.loads(listed.stdout)}
    assert {tid for tid, row in rows.items() if row["eligible"]} == expected
    assert rows[mixed["Empty"]]["eligible"] is False and rows[mixed["Empty"]]["damage"]
    assert rows[mixed["curated"]]["ineligible_reasons"] == [
        f"plays through track {mixed['Banned Drone']}, which is the one sessions use"
    ]
    assert any("could not be decoded" in r for r in rows[mixed["Calm Pad"]]["ineligible_reasons"])

    # the text views say why, too
    shown = runner.invoke(cli, ["library", "show", str(mixed["Cut Short"])])
    assert shown.exit_code == 0, shown.output
    assert "damage: audio ends at 0:04.0" in shown.stdout and "eligible: no: damaged" in shown.stdout
    listed_text = runner.invoke(cli, ["library", "list"])
    assert "damaged" in listed_text.stdout
    queue_text = runner.invoke(cli, ["review", "list"])
    assert "damaged: audio ends at 0:04.0" in queue_text.stdout
