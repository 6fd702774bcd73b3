"""Fixtures for sequencing tests: the shipped arcs and sequence rules."""

from __future__ import annotations

import pytest
from sequence_fixtures import REPO_ARCS, REPO_RULES

from playlist_builder.model import Arc
from playlist_builder.sequence.arcs import load_arcs
from playlist_builder.sequence.rules import SequenceRules, load_sequence_rules


@pytest.fixture(scope="session")
def seq_rules() -> SequenceRules:
    """The sequence rules the tool ships with."""
    return load_sequence_rules(REPO_RULES)


@pytest.fixture(scope="session")
def arcs() -> dict[str, Arc]:
    """The arc templates the tool ships with, by name."""
    return load_arcs(REPO_ARCS)


@pytest.fixture(scope="session")
def iv_arc(arcs: dict[str, Arc]) -> Arc:
    """The IV-infusion arc."""
    return arcs["iv-infusion"]
