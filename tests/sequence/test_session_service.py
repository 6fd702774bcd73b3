"""Session use-cases over a real (SQLite) library: eligibility, saving, history, patient codes, sources."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sequence_fixtures import add_eligible_tracks, generate_candidates

from playlist_builder.config import Settings
from playlist_builder.db.library import Library
from playlist_builder.errors import InfeasibleSessionError, InputError, NotFoundError
from playlist_builder.model import LyricsStatus, Override, OverrideAction, Source
from playlist_builder.sequence.candidates import Pin
from playlist_builder.services.session import build_session, check_patient_code, list_sessions, show_session


@pytest.fixture
def stocked(library: Library) -> list[int]:
    """A library of 300 eligible local tracks; returns their ids."""
    return add_eligible_tracks(library, generate_candidates(300, seed=21))


def test_build_saves_the_plan_with_its_parameters(
    library: Library, settings: Settings, stocked: list[int]
) -> None:
    plan = build_session(library, settings, arc_name="iv-infusion", minutes=45, seed=5, patient_code="P-0042")
    assert plan.id is not None and plan.created_at is not None
    assert abs(plan.total_s - 45 * 60) <= 10
    assert plan.patient_code == "P-0042" and plan.seed == 5
    assert plan.name == "iv-infusion 45 min"
    assert {item.track_id for item in plan.items} <= set(stocked)
    view = show_session(library, settings, plan.id)
    assert view.params["seed"] == 5 and view.params["arc"] == "iv-infusion"
    assert view.arc is not None and set(view.tracks) == {item.track_id for item in plan.items}
    again = build_session(library, settings, arc_name="iv-infusion", minutes=45, seed=5)
    assert [i.track_id for i in again.items] == [i.track_id for i in plan.items]


def test_default_length_and_random_seed(library: Library, settings: Settings, stocked: list[int]) -> None:
    plan = build_session(library, settings, arc_name="intranasal")
    assert plan.target_minutes == 60
    assert 0 <= plan.seed < 2**31


def test_only_eligible_tracks_enter(library: Library, settings: Settings, stocked: list[int]) -> None:
    vocal = add_eligible_tracks(
        library, generate_candidates(200, seed=22, first_id=5000), lyrics=LyricsStatus.VOCAL
    )
    unknown = add_eligible_tracks(
        library, generate_candidates(200, seed=23, first_id=6000), lyrics=LyricsStatus.UNKNOWN
    )
    banned = stocked[:150]
    now = datetime.now(UTC)
    for track_id in banned:
        library.add_override(Override(track_id=track_id, action=OverrideAction.BAN, created_at=now))
    library.set_missing(stocked[150:200], True)
    plan = build_session(library, settings, arc_name="iv-infusion", minutes=40, seed=1)
    used = {item.track_id for item in plan.items}
    assert not used & (set(vocal) | set(unknown) | set(banned) | set(stocked[150:200]))


def test_patient_history_is_avoided(library: Library, settings: Settings, stocked: list[int]) -> None:
    first = build_session(library, settings, arc_name="iv-infusion", seed=3, patient_code="P-7")
    second = build_session(library, settings, arc_name="iv-infusion", seed=3, patient_code="P-7")
    assert not {i.track_id for i in first.items} & {i.track_id for i in second.items}
    other_patient = build_session(library, settings, arc_name="iv-infusion", seed=3, patient_code="P-8")
    assert [i.track_id for i in other_patient.items] == [i.track_id for i in first.items]
    familiar = build_session(
        library, settings, arc_name="iv-infusion", seed=3, patient_code="P-7", familiarity=True
    )
    assert {i.track_id for i in familiar.items} & (
        {i.track_id for i in first.items} | {i.track_id for i in second.items}
    )
    assert [p.id for p in list_sessions(library, patient_code="P-7")] == [familiar.id, second.id, first.id]


@pytest.mark.parametrize("code", ["Anna Smith", "Smith", "anna.smith@example.org", "x" * 33 + "1", "-12"])
def test_patient_codes_that_could_be_names_are_refused(code: str) -> None:
    with pytest.raises(InputError, match="opaque code") as caught:
        check_patient_code(code)
    assert code not in str(caught.value)


@pytest.mark.parametrize("code", ["P-0042", "7F3K9", "a1"])
def test_opaque_patient_codes_pass(code: str) -> None:
    assert check_patient_code(code) == code


def test_nothing_is_saved_when_the_library_falls_short(library: Library, settings: Settings) -> None:
    add_eligible_tracks(library, generate_candidates(6, seed=2))
    with pytest.raises(InfeasibleSessionError, match="approve or add tracks"):
        build_session(library, settings, arc_name="iv-infusion", minutes=50, seed=1)
    assert list_sessions(library) == []


def test_source_filter(library: Library, settings: Settings, stocked: list[int]) -> None:
    spotify = add_eligible_tracks(
        library, generate_candidates(300, seed=30, first_id=9000), source=Source.SPOTIFY
    )
    plan = build_session(library, settings, arc_name="iv-infusion", seed=2, source="spotify")
    assert {i.track_id for i in plan.items} <= set(spotify)
    plan = build_session(library, settings, arc_name="iv-infusion", seed=2, source="local")
    assert {i.track_id for i in plan.items} <= set(stocked)
    with pytest.raises(InputError, match="source must be one of"):
        build_session(library, settings, arc_name="iv-infusion", source="cd")


def test_source_filter_that_leaves_too_little_says_so(
    library: Library, settings: Settings, stocked: list[int]
) -> None:
    with pytest.raises(InfeasibleSessionError, match="only spotify tracks were considered"):
        build_session(library, settings, arc_name="iv-infusion", seed=2, source="spotify")


def test_pins_through_the_library(library: Library, settings: Settings, stocked: list[int]) -> None:
    plan = build_session(library, settings, arc_name="iv-infusion", seed=4, pinned=[Pin(stocked[0])])
    assert stocked[0] in {i.track_id for i in plan.items}
    vocal = add_eligible_tracks(
        library, generate_candidates(1, seed=5, first_id=7000), lyrics=LyricsStatus.VOCAL
    )
    with pytest.raises(InfeasibleSessionError, match="not eligible for sessions"):
        build_session(library, settings, arc_name="iv-infusion", pinned=[Pin(vocal[0])])
    with pytest.raises(NotFoundError, match="no such track"):
        build_session(library, settings, arc_name="iv-infusion", pinned=[Pin(123456)])


def test_unknown_arc_and_bad_length(library: Library, settings: Settings, stocked: list[int]) -> None:
    with pytest.raises(NotFoundError, match="known arcs: im-injection, intranasal, iv-infusion"):
        build_session(library, settings, arc_name="oral")
    with pytest.raises(InputError, match="made for 40-60 minutes"):
        build_session(library, settings, arc_name="iv-infusion", minutes=20)
