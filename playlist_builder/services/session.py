"""Session use-cases: build a plan from the library's eligible tracks and save it; show and list plans."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from playlist_builder.config import Settings
from playlist_builder.db.query import eligibility_clause, ineligible_reasons
from playlist_builder.errors import InfeasibleSessionError, InputError, NotFoundError
from playlist_builder.model import Arc, Category, SessionPlan, Source, Track
from playlist_builder.services.progress import ProgressCallback, ProgressEvent, report

# The sequencer (numpy, scipy) is imported by the functions that use it: `session list` starts fast.
if TYPE_CHECKING:
    from playlist_builder.db.library import Library
    from playlist_builder.db.reader import LibraryReader
    from playlist_builder.sequence.candidates import Candidate, Pin
    from playlist_builder.sequence.rules import SequenceRules

SOURCES = ("any", "local", "spotify")
# An opaque patient code: 1-32 letters, digits and dashes, with at least one digit. The digit rule
# keeps a bare name ("Smith", "AnnaK") out of the database; a clinic's codes look like "P-0042".
PATIENT_CODE = re.compile(r"^(?=.*[0-9])[A-Za-z0-9](?:[A-Za-z0-9-]{0,31})$")
MAX_SEED = 2**31 - 1  # seeds are stored in a 32-bit column on PostgreSQL
MAX_NAME_LENGTH = 120


@dataclass(frozen=True)
class SessionView:
    """A saved session with what a person needs to read it: its tracks, arc and build parameters."""

    plan: SessionPlan
    tracks: dict[int, Track]
    params: dict[str, Any]
    arc: Arc | None  # None when the arc file has since been removed


def check_patient_code(code: str | None) -> str | None:
    """The code if it is opaque (see PATIENT_CODE); InputError otherwise. Never echoes the value back."""
    if code is None or code == "":
        return None
    if not PATIENT_CODE.match(code):
        raise InputError(
            "the patient code must be an opaque code of 1-32 letters, digits and dashes with at least one "
            "digit (for example P-0042); never a name"
        )
    return code


def build_session(
    library: Library,
    settings: Settings,
    *,
    arc_name: str,
    minutes: float | None = None,
    seed: int | None = None,
    pinned: Sequence[Pin] = (),
    source: str = "any",
    patient_code: str | None = None,
    familiarity: bool = False,
    name: str | None = None,
    progress: ProgressCallback | None = None,
) -> SessionPlan:
    """Build a session from the eligible tracks, save it, and return it with its id.

    Nothing is saved when the request cannot be met (InfeasibleSessionError says what is short).
    """
    from playlist_builder.sequence.arcs import load_arc
    from playlist_builder.sequence.rules import load_sequence_rules

    arc, rules = whole_tracks(load_arc(settings.arcs_dir, arc_name), load_sequence_rules(settings.rules_dir))
    minutes = arc.default_minutes if minutes is None else float(minutes)
    code = check_patient_code(patient_code)
    if source not in SOURCES:
        raise InputError(f"source must be one of {', '.join(SOURCES)}, not {source!r}")
    if seed is None:
        seed = secrets.randbelow(MAX_SEED)
    elif not 0 <= seed <= MAX_SEED:
        raise InputError(f"the seed must be between 0 and {MAX_SEED}")
    if name is not None and (len(name) > MAX_NAME_LENGTH or not name.strip()):
        raise InputError(f"the session name must be 1-{MAX_NAME_LENGTH} characters")
    from playlist_builder.sequence.solver import build_plan

    report(progress, ProgressEvent(message="reading eligible tracks"))
    candidates = session_candidates(library, source)
    if not candidates:
        widened = len(session_candidates(library)) if source != "any" else 0
        if widened:
            raise InfeasibleSessionError(
                f"none of the {widened} eligible tracks plays from {source} (only {source} tracks were "
                "considered; --source any widens the choice)"
            )
        raise InfeasibleSessionError(_nothing_eligible(library))
    _check_pins(library, pinned, {c.track_id for c in candidates}, source)
    history = library.recent_patient_track_ids(code, rules.limits.history_sessions) if code else []
    report(progress, ProgressEvent(message=f"sequencing {len(candidates)} eligible tracks"))
    label = (name or "").strip() or f"{arc.name} {minutes:g} min"

    def plan_with(heard: Sequence[int]) -> SessionPlan:
        return build_plan(arc, minutes, candidates, seed=seed, rules=rules, pinned=pinned, history=heard,
                          familiarity=familiarity, patient_code=code, name=label)  # fmt: skip

    try:
        plan = plan_with(history)
    except InfeasibleSessionError as exc:
        if history and not familiarity:
            _blame_history(plan_with, arc.name, len(set(history)), rules.limits.history_sessions, exc)
        waiting = _unanalysed(library)
        if waiting:
            raise InfeasibleSessionError(
                f"{exc} ({len(waiting)} tracks have not been analysed yet; `playlist-builder analyze` "
                "and `playlist-builder classify` may add the material that is short)"
            ) from exc
        if source != "any":
            raise InfeasibleSessionError(
                f"{exc} (only {source} tracks were considered; --source any widens the choice)"
            ) from exc
        raise
    params = {
        "arc": arc.name,
        "minutes": minutes,
        "seed": seed,
        "source": source,
        "pinned": [{"track_id": pin.track_id, "phase": pin.phase} for pin in pinned],
        "familiarity": familiarity,
        "rules_version": rules.version,
        "eligible_tracks": len(candidates),
        "history_tracks": len(set(history)),
        "timing": "back-to-back",  # whole tracks, one after another (see `whole_tracks`)
    }
    session_id = library.save_session(plan, params)
    return library.get_session(session_id)


def whole_tracks(arc: Arc, rules: SequenceRules) -> tuple[Arc, SequenceRules]:
    """The arc and rules for a session whose tracks play whole, one after another.

    A playlist, a device and Spotify play every track whole and back to back, and none of them can
    cut the last track short, so the sequencer is asked for tracks whose lengths add up to the
    target: no overlaps and no early fade-out. The mix plays the same tracks with short fades at
    each change and overlaps only what they run over (export.timeline), so every exported form
    lasts the length asked for, and the plan's start times are the times a player shows.
    """
    limits = replace(rules.limits, crossfade_min_s=0.0, crossfade_max_s=0.0, max_final_trim_s=0.0)
    return replace(arc, crossfade_s=0.0), replace(rules, limits=limits)


def _blame_history(
    plan_with: Callable[[Sequence[int]], SessionPlan],
    arc_name: str,
    held: int,
    sessions: int,
    failure: InfeasibleSessionError,
) -> None:
    """When holding back what this patient heard recently is what makes the session impossible, say so.

    The solver only sees the tracks left after the hold-back, so its reason names a symptom (a phase
    it cannot fill, a transition it cannot keep gentle); one more try with those tracks allowed tells
    whether the hold-back is the cause.
    """
    try:
        plan_with(())
    except InfeasibleSessionError:
        return  # the library is short even with them: the solver's own reason stands
    raise InfeasibleSessionError(
        f"the {held} tracks this patient heard in their last {sessions} sessions are held back, and "
        f"without them the library cannot fill the {arc_name} arc; add `--familiarity` to allow (and "
        "favour) tracks the patient knows, or add and approve more tracks"
    ) from failure


def _nothing_eligible(library: Library) -> str:
    """Why no track at all may enter a session, and the step that would change that."""
    tracks = [t for t in library.list_tracks(missing=False) if t.id is not None]
    if not tracks:
        return "the library is empty: add music with `playlist-builder library scan FOLDER` first"
    unanalysed = _unanalysed(library, tracks)
    classified = set(library.classifications())
    unclassified = [t for t in tracks if t.id not in classified]
    if unanalysed:
        return (
            f"no track can enter a session yet: {len(unanalysed)} of the {len(tracks)} tracks have not been "
            "analysed; run `playlist-builder analyze`, then `playlist-builder classify`"
        )
    if unclassified:
        return (
            f"no track can enter a session yet: {len(unclassified)} of the {len(tracks)} tracks have not "
            "been classified; run `playlist-builder classify`"
        )
    return (
        f"no track can enter a session: none of the {len(tracks)} tracks is instrumental (or "
        "approved), unbanned and of known length; see `playlist-builder review list` to approve tracks"
    )


def _unanalysed(library: Library, tracks: Sequence[Track] | None = None) -> list[int]:
    """Ids of present local tracks whose audio has not been analysed yet."""
    if tracks is None:
        tracks = library.list_tracks(missing=False)
    local_ids = [int(t.id) for t in tracks if t.source is Source.LOCAL and t.id is not None]
    analysed = set(library.analysis_state()) if local_ids else set()
    return [track_id for track_id in local_ids if track_id not in analysed]


def session_candidates(library: Library, source: str = "any") -> list[Candidate]:
    """The solver's candidates: eligible tracks with their verdict, energy, loudness and tempo.

    Loaded through one query that reads only these columns (no Track rows, no JSON records).
    """
    from playlist_builder.sequence.candidates import Candidate

    rows = library.session_candidate_rows(eligibility_clause(), source=source)
    kinds: dict[str | None, Category | None] = {None: None, **{kind.value: kind for kind in Category}}
    return [
        Candidate(tid, title, artist, float(duration), kinds[kind], energy, kinds[second], lufs, tempo, where)  # type: ignore[arg-type]
        for tid, title, artist, duration, kind, energy, second, lufs, tempo, where in rows
    ]


def _plays_from(track: Track, source: str) -> bool:
    """Whether a track can play from the chosen source (a curated entry with no file or URI cannot)."""
    local = track.source is Source.LOCAL or track.linked_track_id is not None
    spotify = track.source is Source.SPOTIFY or track.spotify_uri is not None
    if source == "local":
        return local
    if source == "spotify":
        return spotify
    return local or spotify


def _check_pins(library: Library, pinned: Iterable[Pin], candidate_ids: set[int], source: str) -> None:
    """Say precisely why a pinned track cannot be used, before the solver runs."""
    for pin in pinned:
        if pin.track_id in candidate_ids:
            continue
        track = library.get_track(pin.track_id)
        if track is None:
            raise NotFoundError(f"cannot pin track {pin.track_id}: there is no such track")
        if source != "any" and not _plays_from(track, source):
            raise InfeasibleSessionError(
                f"cannot pin track {pin.track_id} ({track.title!r}): it does not play from {source}"
            )
        state = library.track_states([pin.track_id]).get(pin.track_id)
        why = "; ".join(ineligible_reasons(state)) if state is not None else "not in the library"
        raise InfeasibleSessionError(
            f"cannot pin track {pin.track_id} ({track.title!r}): it is not eligible for sessions: {why}"
        )


def show_session(library: Library, settings: Settings, session_id: int) -> SessionView:
    """A saved session with its tracks, its build parameters and its arc (if the arc still exists)."""
    from playlist_builder.sequence.arcs import arc_names, load_arc

    plan = library.get_session(session_id)
    tracks = {
        t.id: t for t in library.list_tracks(ids=[item.track_id for item in plan.items]) if t.id is not None
    }
    arc = (
        load_arc(settings.arcs_dir, plan.arc_name) if plan.arc_name in arc_names(settings.arcs_dir) else None
    )
    return SessionView(plan=plan, tracks=tracks, params=library.session_params(session_id), arc=arc)


def list_sessions(
    library: Library | LibraryReader, *, patient_code: str | None = None, limit: int | None = None
) -> list[SessionPlan]:
    """Saved sessions, newest first (optionally one patient code's)."""
    return library.list_sessions(patient_code=check_patient_code(patient_code), limit=limit)


def list_arcs(settings: Settings) -> list[Arc]:
    """The arc templates available for `session build --arc`."""
    from playlist_builder.sequence.arcs import load_arcs

    return list(load_arcs(settings.arcs_dir).values())
