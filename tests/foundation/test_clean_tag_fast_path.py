"""`clean_tag`'s fast path for printable text gives exactly what the character-by-character rule gives."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from playlist_builder.text import _LINE_BREAKS, clean_tag


def _by_character(text: str) -> str:
    """The rule spelled out one character at a time (what clean_tag does for text that is not printable)."""
    out = []
    for ch in text:
        kind = unicodedata.category(ch)
        out.append(" " if kind == "Cc" or ch in _LINE_BREAKS else "\ufffd" if kind == "Cs" else ch)
    return re.sub(r"\s+", " ", "".join(out)).strip()


@given(st.text(alphabet=st.characters(codec=None), max_size=40))
def test_clean_tag_matches_the_character_rule(text: str) -> None:
    assert clean_tag(text) == _by_character(text)


def test_typical_tags() -> None:
    for text in ("  Stille  Wasser — Ruhe ", "Künstler 7", "a\tb\nc", "\u202eevil", "x\u00a0y", "\ud800"):
        assert clean_tag(text) == _by_character(text)
