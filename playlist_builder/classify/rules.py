"""Classification rules from `rules/classification.toml`: loaded, validated, fingerprinted."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playlist_builder.model import Category, LyricsStatus
from playlist_builder.text import normalise_text
from playlist_builder.tomlfile import TomlDoc, read_toml

RULES_FILE = "classification.toml"
NAME_FIELDS = ("title", "artist", "album_artist", "album", "genre", "composer", "comment")
LYRICS_CLAIMS = (LyricsStatus.INSTRUMENTAL.value, LyricsStatus.VOCAL.value)
CATEGORIES = tuple(c.value for c in Category)


def phrase_pattern(phrase: str) -> re.Pattern[str]:
    """A whole-word, case- and accent-insensitive pattern for a phrase."""
    core = re.escape(normalise_text(phrase)).replace(r"\ ", r"\s+")
    return re.compile(rf"(?<![0-9a-z]){core}(?![0-9a-z])")


@dataclass(frozen=True)
class Matcher:
    """Phrases and regular expressions searched in normalised names."""

    phrases: tuple[str, ...] = ()
    patterns: tuple[re.Pattern[str], ...] = ()
    compiled: tuple[re.Pattern[str], ...] = field(default=(), repr=False, compare=False)

    @classmethod
    def build(cls, phrases: tuple[str, ...], patterns: tuple[re.Pattern[str], ...]) -> Matcher:
        """A matcher with its phrase patterns compiled once."""
        return cls(phrases, patterns, tuple(phrase_pattern(p) for p in phrases))

    def first_match(self, normalised: str) -> str | None:
        """The first phrase or pattern found in an already normalised text."""
        for phrase, pattern in zip(self.phrases, self.compiled, strict=True):
            if pattern.search(normalised):
                return phrase
        for pattern in self.patterns:
            found = pattern.search(normalised)
            if found:
                return found.group(0)
        return None


@dataclass(frozen=True)
class LyricsMarker:
    """Phrases in given tags that claim `instrumental` or `vocal`."""

    claim: LyricsStatus
    fields: tuple[str, ...]
    matcher: Matcher
    weight: float


@dataclass(frozen=True)
class CategoryKeywords:
    """Keywords in names that point at one category."""

    category: Category
    matcher: Matcher
    weight: float


@dataclass(frozen=True)
class TagRule:
    """A musicnn tag probability that counts as category evidence."""

    tag: str
    category: Category
    min: float
    weight: float


@dataclass(frozen=True)
class EnergyHint:
    """Words in names that move an estimated energy up or down."""

    matcher: Matcher
    shift: float


@dataclass(frozen=True)
class Rules:
    """Everything the engine is tuned by; passed in, never read from a global."""

    version: str
    source: str
    digest: str  # of the whole parsed file
    decision_digest: str  # of the parts the final decision reads (see engine.input_hash)
    energy_digest: str  # of the energy-estimate parts (only matter for tracks without audio)
    decision: Mapping[str, float]
    lyrics: Mapping[str, float]
    markers: tuple[LyricsMarker, ...]
    review_fields: tuple[str, ...]
    review_names: Matcher
    field_weights: Mapping[str, float]
    categories: tuple[CategoryKeywords, ...]
    audio: Mapping[str, float]
    choir_tags: tuple[str, ...]
    tag_rules: tuple[TagRule, ...]
    curated: Mapping[str, float]
    lookups: Mapping[str, float]
    energy_by_category: Mapping[Category, float]
    energy: Mapping[str, float]
    energy_hints: tuple[EnergyHint, ...]


# Required numeric settings per section: name -> (low, high). Weights are 0..1.
_W = (0.0, 1.0)
DECISION_KEYS = {
    "strong_vocal_weight": _W,
    "min_instrumental": _W,
    "min_category_score": _W,
    "min_secondary_score": _W,
    "review_below_confidence": _W,
}
LYRICS_KEYS = {"embedded_lyrics_weight": _W, "lrc_sidecar_weight": _W, "explicit_weight": _W}
AUDIO_KEYS = {
    "vocal_threshold": _W,
    "instrumental_below": _W,
    "vocal_weight": _W,
    "uncertain_vocal_weight": _W,
    "instrumental_weight": _W,
    "window_vocal_threshold": _W,
    "window_min_share": _W,
    "window_weight": _W,
    "birdsong_nature_score": _W,
    "birdsong_calls": _W,
    "choir_tag_threshold": _W,
    "ambiguous_vocal_weight": _W,
    "binaural_min_share": _W,
    "binaural_weight": _W,
    "amplitude_beat_min_share": _W,
    "amplitude_beat_weight": _W,
    "beat_min_hz": (0.0, 100.0),
    "beat_max_hz": (0.0, 100.0),
    "nature_threshold": _W,
    "nature_weight": _W,
    "busy_energy": _W,
    "busy_weight": _W,
    "silent_lufs": (-200.0, 0.0),
}
CURATED_KEYS = {"category_weight": _W, "instrumental_weight": _W}
LOOKUP_KEYS = {
    "lrclib_instrumental_weight": _W,
    "lrclib_empty_lyrics_weight": _W,
    "lrclib_lyrics_weight": _W,
    "musicbrainz_instrumental_weight": _W,
    "musicbrainz_no_lyrics_language_weight": _W,
    "musicbrainz_lyrics_weight": _W,
    "timeout_s": (0.1, 60.0),
    "retries": (0.0, 5.0),
    "run_budget_s": (0.0, 86_400.0),
}
ENERGY_KEYS = {
    "reference_bpm": (1.0, 400.0),
    "bpm_slope": (0.0, 0.1),
    "bpm_max_shift": _W,
    "min": _W,
    "max": _W,
}


def _numbers(doc: TomlDoc, section: str, spec: Mapping[str, tuple[float, float]]) -> dict[str, float]:
    return {key: doc.number((section, key), low=lo, high=hi) for key, (lo, hi) in spec.items()}


def _matcher(doc: TomlDoc, path: tuple[str | int, ...], phrases_key: str) -> Matcher:
    doc.table(path)
    phrases = doc.strings((*path, phrases_key), default=[], allow_empty=True)
    sources = doc.strings((*path, "patterns"), default=[], allow_empty=True)
    patterns = tuple(doc.regex((*path, "patterns", i)) for i in range(len(sources)))
    if not phrases and not patterns:
        raise doc.error((*path, phrases_key), "is missing (give phrases or patterns)")
    return Matcher.build(phrases, patterns)


def _fields(doc: TomlDoc, path: tuple[str | int, ...]) -> tuple[str, ...]:
    names = doc.strings(path)
    for index, name in enumerate(names):
        if name not in NAME_FIELDS:
            raise doc.error(
                (*path, index), f"names an unknown tag {name!r} (known: {', '.join(NAME_FIELDS)})"
            )
    return names


def _markers(doc: TomlDoc) -> tuple[LyricsMarker, ...]:
    markers = []
    for i, _ in enumerate(doc.tables(("lyrics", "markers"))):
        path = ("lyrics", "markers", i)
        doc.only_keys(path, ("claim", "fields", "phrases", "patterns", "weight"))
        markers.append(
            LyricsMarker(
                claim=LyricsStatus(doc.string((*path, "claim"), choices=LYRICS_CLAIMS)),
                fields=_fields(doc, (*path, "fields")),
                matcher=_matcher(doc, path, "phrases"),
                weight=doc.weight((*path, "weight")),
            )
        )
    return tuple(markers)


def _categories(doc: TomlDoc) -> tuple[CategoryKeywords, ...]:
    found = []
    for i, _ in enumerate(doc.tables(("names", "categories"))):
        path = ("names", "categories", i)
        doc.only_keys(path, ("category", "keywords", "patterns", "weight"))
        found.append(
            CategoryKeywords(
                category=Category(doc.string((*path, "category"), choices=CATEGORIES[:-1])),
                matcher=_matcher(doc, path, "keywords"),
                weight=doc.weight((*path, "weight")),
            )
        )
    return tuple(found)


def _tag_rules(doc: TomlDoc) -> tuple[TagRule, ...]:
    rules = []
    for i, _ in enumerate(doc.tables(("audio", "tags"), default=[])):
        path = ("audio", "tags", i)
        doc.only_keys(path, ("tag", "category", "min", "weight"))
        rules.append(
            TagRule(
                tag=doc.string((*path, "tag")),
                category=Category(doc.string((*path, "category"), choices=CATEGORIES)),
                min=doc.weight((*path, "min")),
                weight=doc.weight((*path, "weight")),
            )
        )
    return tuple(rules)


def _energy_hints(doc: TomlDoc) -> tuple[EnergyHint, ...]:
    hints = []
    for i, _ in enumerate(doc.tables(("energy", "name_hints"), default=[])):
        path = ("energy", "name_hints", i)
        doc.only_keys(path, ("phrases", "patterns", "shift"))
        hints.append(
            EnergyHint(_matcher(doc, path, "phrases"), doc.number((*path, "shift"), low=-0.5, high=0.5))
        )
    return tuple(hints)


def _field_weights(doc: TomlDoc) -> dict[str, float]:
    table = doc.table(("names", "field_weights"))
    for name in table:
        if name not in NAME_FIELDS:
            raise doc.error(
                ("names", "field_weights", name), f"is not a tag (known: {', '.join(NAME_FIELDS)})"
            )
    return {name: doc.weight(("names", "field_weights", name)) for name in table}


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _check_consistency(doc: TomlDoc, audio: Mapping[str, float], energy: Mapping[str, float]) -> None:
    if audio["instrumental_below"] > audio["vocal_threshold"]:
        raise doc.error(("audio", "instrumental_below"), "must not be above `audio.vocal_threshold`")
    if energy["min"] > energy["max"]:
        raise doc.error(("energy", "min"), "must not be above `energy.max`")


def parse_rules(doc: TomlDoc) -> Rules:
    """Validate a parsed rules file and build the Rules the engine reads."""
    top = ("version", "decision", "lyrics", "names", "audio", "curated", "lookups", "energy")
    doc.only_keys((), top)
    version = doc.string(("version",))
    doc.only_keys(("decision",), tuple(DECISION_KEYS))
    decision = _numbers(doc, "decision", DECISION_KEYS)
    doc.only_keys(("lyrics",), (*LYRICS_KEYS, "markers", "review_names"))
    lyrics = _numbers(doc, "lyrics", LYRICS_KEYS)
    doc.only_keys(("lyrics", "review_names"), ("fields", "phrases", "patterns"))
    doc.only_keys(("audio",), (*AUDIO_KEYS, "choir_tags", "tags"))
    audio = _numbers(doc, "audio", AUDIO_KEYS)
    doc.only_keys(("curated",), tuple(CURATED_KEYS))
    doc.only_keys(("lookups",), tuple(LOOKUP_KEYS))
    category_names = [c.value for c in Category]
    doc.only_keys(("energy",), (*ENERGY_KEYS, *category_names, "name_hints"))
    energy = _numbers(doc, "energy", ENERGY_KEYS)
    _check_consistency(doc, audio, energy)
    energy_by_category = {c: doc.weight(("energy", c.value)) for c in Category}
    data = doc.data
    return Rules(
        version=version,
        source=str(doc.path),
        digest=_digest(data),
        decision_digest=_digest(data.get("decision")),
        energy_digest=_digest({k: v for k, v in data.get("energy", {}).items()}),
        decision=decision,
        lyrics=lyrics,
        markers=_markers(doc),
        review_fields=_fields(doc, ("lyrics", "review_names", "fields")),
        review_names=_matcher(doc, ("lyrics", "review_names"), "phrases"),
        field_weights=_field_weights(doc),
        categories=_categories(doc),
        audio=audio,
        choir_tags=doc.strings(("audio", "choir_tags")),
        tag_rules=_tag_rules(doc),
        curated=_numbers(doc, "curated", CURATED_KEYS),
        lookups=_numbers(doc, "lookups", LOOKUP_KEYS),
        energy_by_category=energy_by_category,
        energy=energy,
        energy_hints=_energy_hints(doc),
    )


def load_rules_file(path: Path) -> Rules:
    """Load and validate one classification rules file."""
    return parse_rules(read_toml(path))


def load_rules(rules_dir: Path) -> Rules:
    """Load and validate `classification.toml` from the rules folder."""
    return load_rules_file(Path(rules_dir) / RULES_FILE)
