"""Session arc templates from rules/arcs/*.toml, validated with errors naming file, key and line."""

from __future__ import annotations

import re
from pathlib import Path

from playlist_builder.errors import NotFoundError
from playlist_builder.model import Arc, Category, Phase
from playlist_builder.sequence.tolerance import EPSILON
from playlist_builder.tomlfile import TomlDoc, read_toml

ARC_KEYS = (
    "name",
    "description",
    "default_minutes",
    "min_minutes",
    "max_minutes",
    "crossfade_s",
    "max_energy_step",
    "max_loudness_step_lu",
    "phases",
)
PHASE_KEYS = (
    "name",
    "share",
    "energy_start",
    "energy_end",
    "preferred",
    "allowed",
    "max_energy",
    "description",
)
ARC_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
# A session shorter than 5 minutes is not a session; longer than 4 hours is beyond any dosing protocol
# we know of (esketamine observation is 2 hours).
MIN_SESSION_MINUTES = 5.0
MAX_SESSION_MINUTES = 240.0
# Phase shares must add up to the whole session; allow for decimal rounding in the file.
SHARE_SUM_TOLERANCE = 0.001
SESSION_CATEGORIES = tuple(c.value for c in Category if c is not Category.UNCLASSIFIED)


def arc_names(arcs_dir: Path) -> list[str]:
    """Names of the arc templates in a folder (file stems), sorted."""
    folder = Path(arcs_dir)
    if not folder.is_dir():
        return []
    return sorted(path.stem for path in folder.glob("*.toml") if ARC_NAME.match(path.stem))


def load_arc(arcs_dir: Path, name: str) -> Arc:
    """The arc template called `name` (NotFoundError listing the known arcs when there is none)."""
    known = arc_names(arcs_dir)
    if name not in known:
        listing = ", ".join(known) if known else f"none in {arcs_dir}"
        raise NotFoundError(f"no session arc called {name!r} (known arcs: {listing})")
    return load_arc_file(Path(arcs_dir) / f"{name}.toml")


def load_arcs(arcs_dir: Path) -> dict[str, Arc]:
    """Every arc template in a folder, validated, by name."""
    return {name: load_arc_file(Path(arcs_dir) / f"{name}.toml") for name in arc_names(arcs_dir)}


def load_arc_file(path: Path) -> Arc:
    """Read and validate one arc file."""
    return parse_arc(read_toml(Path(path)))


def parse_arc(doc: TomlDoc) -> Arc:
    """Validate a parsed arc file and build the Arc it describes."""
    doc.only_keys((), ARC_KEYS)
    name = doc.string(("name",))
    if name != doc.path.stem:
        raise doc.error(("name",), f"must match the file name ({doc.path.stem!r}), not {name!r}")
    minimum = doc.number(("min_minutes",), low=MIN_SESSION_MINUTES, high=MAX_SESSION_MINUTES)
    maximum = doc.number(("max_minutes",), low=minimum, high=MAX_SESSION_MINUTES)
    default = doc.number(("default_minutes",), low=minimum, high=maximum)
    max_energy_step = doc.number(("max_energy_step",), low=0.01, high=1.0)
    phases = _phases(doc)
    _check_phase_continuity(doc, phases, max_energy_step)
    return Arc(
        name=name,
        description=doc.string(("description",)).strip(),
        default_minutes=default,
        min_minutes=minimum,
        max_minutes=maximum,
        phases=phases,
        crossfade_s=doc.number(("crossfade_s",), low=0.0, high=60.0),
        max_energy_step=max_energy_step,
        max_loudness_step_lu=doc.number(("max_loudness_step_lu",), low=0.5, high=30.0),
    )


def _phases(doc: TomlDoc) -> tuple[Phase, ...]:
    tables = doc.tables(("phases",))
    if not tables:
        raise doc.error(("phases",), "must have at least one [[phases]] table")
    phases = tuple(_phase(doc, index) for index in range(len(tables)))
    names = [phase.name for phase in phases]
    for index, phase in enumerate(phases):
        if names.index(phase.name) != index:
            raise doc.error(("phases", index, "name"), f"repeats the phase name {phase.name!r}")
    total = sum(phase.share for phase in phases)
    if abs(total - 1.0) > SHARE_SUM_TOLERANCE:
        raise doc.error(
            ("phases", 0, "share"), f"phase shares must add up to 1, but they add up to {total:.3f}"
        )
    return phases


def _phase(doc: TomlDoc, index: int) -> Phase:
    doc.only_keys(("phases", index), PHASE_KEYS)
    key = ("phases", index)
    name = doc.string((*key, "name"))
    if not ARC_NAME.match(name):
        raise doc.error((*key, "name"), "must be lower-case letters, digits and dashes")
    max_energy = doc.weight((*key, "max_energy"))
    energy_start = doc.weight((*key, "energy_start"))
    energy_end = doc.weight((*key, "energy_end"))
    for which, value in (("energy_start", energy_start), ("energy_end", energy_end)):
        if value > max_energy:
            raise doc.error((*key, which), f"({value:g}) is above this phase's max_energy ({max_energy:g})")
    allowed = _categories(doc, (*key, "allowed"))
    preferred = _categories(doc, (*key, "preferred"), allow_empty=True)
    for category in preferred:
        if category not in allowed:
            raise doc.error((*key, "preferred"), f"names {category.value!r}, which is not in `allowed`")
    return Phase(
        name=name,
        share=doc.number((*key, "share"), low=0.01, high=1.0),
        energy_start=energy_start,
        energy_end=energy_end,
        preferred=preferred,
        allowed=allowed,
        max_energy=max_energy,
        description=doc.string((*key, "description")).strip(),
    )


def _categories(
    doc: TomlDoc, key: tuple[str | int, ...], *, allow_empty: bool = False
) -> tuple[Category, ...]:
    values = doc.strings(key, allow_empty=allow_empty)
    for value in values:
        if value not in SESSION_CATEGORIES:
            raise doc.error(key, f"names {value!r}; session categories are {', '.join(SESSION_CATEGORIES)}")
    return tuple(dict.fromkeys(Category(value) for value in values))


def _check_phase_continuity(doc: TomlDoc, phases: tuple[Phase, ...], max_energy_step: float) -> None:
    """The arc itself must not ask for a jump the transition limit forbids."""
    for index in range(1, len(phases)):
        jump = abs(phases[index].energy_start - phases[index - 1].energy_end)
        if jump > max_energy_step + EPSILON:
            raise doc.error(
                ("phases", index, "energy_start"),
                f"jumps {jump:.2f} from the previous phase's energy_end; "
                f"max_energy_step is {max_energy_step:g}",
            )
