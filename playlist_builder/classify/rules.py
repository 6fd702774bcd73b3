"""Classification rules from `rules/classification.toml`: loaded, validated, fingerprinted."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
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


# Numbers are declared once, as typed fields with their allowed range (`_number_field`); the loader reads
# every one of them from the file (required, finite, in range), so the file is the only place a value lives.
def _number_field(low: float, high: float) -> Any:
    """A dataclass field holding a required number within [low, high] (no default: the file gives it)."""
    return field(metadata={"range": (low, high)})


def _weight_field() -> Any:
    return _number_field(0.0, 1.0)


@dataclass(frozen=True)
class DecisionRules:
    """How gathered evidence becomes a verdict."""

    strong_vocal_weight: float = _weight_field()
    min_instrumental: float = _weight_field()
    min_category_score: float = _weight_field()
    min_secondary_score: float = _weight_field()
    review_below_confidence: float = _weight_field()


@dataclass(frozen=True)
class LyricsRules:
    """Lyrics evidence from tags and names."""

    embedded_lyrics_weight: float = _weight_field()
    lrc_sidecar_weight: float = _weight_field()
    explicit_weight: float = _weight_field()
    max_name_chars: float = _number_field(16.0, 4096.0)


@dataclass(frozen=True)
class ScoreTest:
    """One raw per-window score of an ear against a level: `scores[score] >= min`."""

    score: str
    min: float


@dataclass(frozen=True)
class ShareTest:
    """A score at or above `min` in enough of an ear's windows: at least `share` of them (an ear that hears
    samples of a track: a voice heard throughout), or at least `windows` of them within any `within_s`
    seconds (an ear that hears the whole track: a voice that comes back, however long the track)."""

    score: str
    min: float
    share: float | None = None
    windows: int = 1
    within_s: float = 0.0


@dataclass(frozen=True)
class EarRules:
    """How one voice detector's windows are read: a confident voice, a doubt, or no voice."""

    detector: str
    confident: tuple[ScoreTest, ...]  # any window passing one: a voice, confidently (`vocal`)
    doubtful: tuple[ScoreTest, ...]  # any window passing one: perhaps a voice (`unknown`)
    sustained: tuple[ShareTest, ...]  # enough windows passing one: perhaps a voice (`unknown`)


@dataclass(frozen=True)
class VoiceRules:
    """Voice detection from every ear, judged window by window."""

    vocal_weight: float = _weight_field()
    doubtful_weight: float = _weight_field()
    instrumental_weight: float = _weight_field()
    ambiguous_vocal_weight: float = _weight_field()
    birdsong_nature_score: float = _weight_field()
    birdsong_calls: float = _weight_field()
    choir_tag_threshold: float = _weight_field()
    min_judged_s: float = _number_field(0.0, 60.0)
    ears: tuple[EarRules, ...]
    choir_tags: tuple[str, ...]


@dataclass(frozen=True)
class AudioRules:
    """Category evidence from the audio (beats, nature, calm music, busyness) and the silence note."""

    binaural_min_share: float = _weight_field()
    binaural_weight: float = _weight_field()
    amplitude_beat_min_share: float = _weight_field()
    amplitude_beat_weight: float = _weight_field()
    amplitude_beat_max_onsets_per_pulse: float = _number_field(0.1, 100.0)
    beat_min_hz: float = _number_field(0.05, 100.0)
    beat_max_hz: float = _number_field(0.05, 100.0)
    nature_threshold: float = _weight_field()
    nature_weight: float = _weight_field()
    music_min: float = _weight_field()
    nature_music_max: float = _weight_field()
    synthetic_bed_min: float = _weight_field()
    soundscape_weight: float = _weight_field()
    calm_max_energy: float = _weight_field()
    drum_tags_max: float = _weight_field()
    calm_music_weight: float = _weight_field()
    sparse_onsets_per_s: float = _number_field(0.0, 50.0)
    sparse_weight: float = _weight_field()
    pattern_pulse_clarity: float = _weight_field()
    pattern_weight: float = _weight_field()
    busy_energy: float = _weight_field()
    busy_onsets_per_s: float = _number_field(0.0, 50.0)
    busy_weight: float = _weight_field()
    silent_lufs: float = _number_field(-200.0, 0.0)
    tag_rules: tuple[TagRule, ...]
    drum_tags: tuple[str, ...]


@dataclass(frozen=True)
class CuratedRules:
    """Trust in clinic-curated lists."""

    category_weight: float = _weight_field()
    instrumental_weight: float = _weight_field()


@dataclass(frozen=True)
class LookupRules:
    """Online look-ups: the weights of their answers and how long they may take."""

    lrclib_instrumental_weight: float = _weight_field()
    lrclib_empty_lyrics_weight: float = _weight_field()
    lrclib_lyrics_weight: float = _weight_field()
    musicbrainz_instrumental_weight: float = _weight_field()
    musicbrainz_no_lyrics_language_weight: float = _weight_field()
    musicbrainz_lyrics_weight: float = _weight_field()
    timeout_s: float = _number_field(0.1, 60.0)
    retries: float = _number_field(0.0, 5.0)
    run_budget_s: float = _number_field(0.0, 86_400.0)


@dataclass(frozen=True)
class EnergyRules:
    """The energy estimate of tracks without audio."""

    reference_bpm: float = _number_field(1.0, 400.0)
    bpm_slope: float = _number_field(0.0, 0.1)
    bpm_max_shift: float = _weight_field()
    min: float = _weight_field()
    max: float = _weight_field()


@dataclass(frozen=True)
class Rules:
    """Everything the engine is tuned by; passed in, never read from a global."""

    version: str
    source: str
    digest: str  # of the whole parsed file
    decision_digest: str  # of the parts the final decision reads (see engine.input_hash)
    energy_digest: str  # of the energy-estimate parts (only matter for tracks without audio)
    decision: DecisionRules
    lyrics: LyricsRules
    markers: tuple[LyricsMarker, ...]
    review_fields: tuple[str, ...]
    review_names: Matcher
    field_weights: Mapping[str, float]
    categories: tuple[CategoryKeywords, ...]
    voice: VoiceRules
    audio: AudioRules
    curated: CuratedRules
    lookups: LookupRules
    energy_by_category: Mapping[Category, float]
    energy: EnergyRules
    energy_hints: tuple[EnergyHint, ...]


def number_keys(cls: type) -> tuple[str, ...]:
    """The numeric keys a rules section must give (the fields declared with a range)."""
    return tuple(item.name for item in fields(cls) if "range" in item.metadata)


def _load_numbers(doc: TomlDoc, section: tuple[str | int, ...], cls: type, **extra: Any) -> Any:
    """A rules dataclass with every numeric field read from `section` (required, finite, in range)."""
    values: dict[str, Any] = {}
    for item in fields(cls):
        if "range" in item.metadata:
            low, high = item.metadata["range"]
            values[item.name] = doc.number((*section, item.name), low=low, high=high)
    return cls(**values, **extra)


# Shapes of regular expression that can backtrack badly: a repeated group that itself holds a repeat
# ((a+)+, (\w*\s?)*), or two unbounded wildcards (.*x.*), which is quadratic on a long name. Names are
# also cut to `lyrics.max_name_chars`, which bounds what any pattern can cost; these shapes are refused
# outright so that a rules edit cannot bring a hang back.
_NESTED_REPEAT = re.compile(r"\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)[+*{]")
_WILDCARDS = re.compile(r"(?<!\\)\.[*+]")


def safe_regex(doc: TomlDoc, path: tuple[str | int, ...]) -> re.Pattern[str]:
    """A rules regular expression, refused when its shape can backtrack catastrophically."""
    pattern = doc.regex(path)
    if _NESTED_REPEAT.search(pattern.pattern) or len(_WILDCARDS.findall(pattern.pattern)) > 1:
        raise doc.error(path, "can backtrack for a long time (a repeat inside a repeat, or two `.*`)")
    return pattern


def _matcher(doc: TomlDoc, path: tuple[str | int, ...], phrases_key: str) -> Matcher:
    doc.table(path)
    phrases = doc.strings((*path, phrases_key), default=[], allow_empty=True)
    sources = doc.strings((*path, "patterns"), default=[], allow_empty=True)
    patterns = tuple(safe_regex(doc, (*path, "patterns", i)) for i in range(len(sources)))
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
    for i, _ in enumerate(doc.tables(("audio", "tags"))):
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
    for i, _ in enumerate(doc.tables(("energy", "name_hints"))):
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


def _score_tests(doc: TomlDoc, path: tuple[str | int, ...]) -> tuple[ScoreTest, ...]:
    tests = []
    for i, _ in enumerate(doc.tables(path)):
        doc.only_keys((*path, i), ("score", "min"))
        tests.append(
            ScoreTest(doc.string((*path, i, "score")), doc.number((*path, i, "min"), low=0.0, high=60.0))
        )
    return tuple(tests)


def _share_tests(doc: TomlDoc, path: tuple[str | int, ...]) -> tuple[ShareTest, ...]:
    tests = []
    for i, entry in enumerate(doc.tables(path)):
        doc.only_keys((*path, i), ("score", "min", "share", "windows", "within_s"))
        score = doc.string((*path, i, "score"))
        level = doc.number((*path, i, "min"), low=0.0, high=60.0)
        if "share" in entry:
            if "windows" in entry or "within_s" in entry:
                raise doc.error((*path, i), "takes either `share` or `windows` with `within_s`, not both")
            tests.append(ShareTest(score, level, share=doc.weight((*path, i, "share"))))
            continue
        count = doc.number((*path, i, "windows"), low=1, high=1000)
        if count != int(count):
            raise doc.error((*path, i, "windows"), f"must be a whole number, not {count:g}")
        within = doc.number((*path, i, "within_s"), low=0.0, high=86_400.0)
        tests.append(ShareTest(score, level, windows=int(count), within_s=within))
    return tuple(tests)


def _ears(doc: TomlDoc) -> tuple[EarRules, ...]:
    ears = []
    for i, _ in enumerate(doc.tables(("voice", "ears"))):
        path = ("voice", "ears", i)
        doc.only_keys(path, ("detector", "confident", "doubtful", "sustained"))
        ears.append(
            EarRules(
                detector=doc.string((*path, "detector")),
                confident=_score_tests(doc, (*path, "confident")),
                doubtful=_score_tests(doc, (*path, "doubtful")),
                sustained=_share_tests(doc, (*path, "sustained")),
            )
        )
    if not ears:
        raise doc.error(("voice", "ears"), "must name at least one ear")
    return tuple(ears)


def _only(doc: TomlDoc, path: tuple[str, ...], cls: type, *others: str) -> None:
    doc.only_keys(path, (*number_keys(cls), *others))


def parse_rules(doc: TomlDoc) -> Rules:
    """Validate a parsed rules file and build the Rules the engine reads."""
    top = ("version", "decision", "lyrics", "names", "voice", "audio", "curated", "lookups", "energy")
    doc.only_keys((), top)
    version = doc.string(("version",))
    _only(doc, ("decision",), DecisionRules)
    _only(doc, ("lyrics",), LyricsRules, "markers", "review_names")
    doc.only_keys(("lyrics", "review_names"), ("fields", "phrases", "patterns"))
    _only(doc, ("voice",), VoiceRules, "ears", "choir_tags")
    _only(doc, ("audio",), AudioRules, "tags", "drum_tags")
    _only(doc, ("curated",), CuratedRules)
    _only(doc, ("lookups",), LookupRules)
    category_names = [c.value for c in Category]
    _only(doc, ("energy",), EnergyRules, *category_names, "name_hints")
    audio = _load_numbers(
        doc, ("audio",), AudioRules, tag_rules=_tag_rules(doc), drum_tags=doc.strings(("audio", "drum_tags"))
    )
    energy = _load_numbers(doc, ("energy",), EnergyRules)
    if audio.beat_min_hz > audio.beat_max_hz:
        raise doc.error(("audio", "beat_min_hz"), "must not be above `audio.beat_max_hz`")
    if energy.min > energy.max:
        raise doc.error(("energy", "min"), "must not be above `energy.max`")
    data = doc.data
    return Rules(
        version=version,
        source=str(doc.path),
        digest=_digest(data),
        decision_digest=_digest(data.get("decision")),
        energy_digest=_digest({k: v for k, v in data.get("energy", {}).items()}),
        decision=_load_numbers(doc, ("decision",), DecisionRules),
        lyrics=_load_numbers(doc, ("lyrics",), LyricsRules),
        markers=_markers(doc),
        review_fields=_fields(doc, ("lyrics", "review_names", "fields")),
        review_names=_matcher(doc, ("lyrics", "review_names"), "phrases"),
        field_weights=_field_weights(doc),
        categories=_categories(doc),
        voice=_load_numbers(
            doc, ("voice",), VoiceRules, ears=_ears(doc), choir_tags=doc.strings(("voice", "choir_tags"))
        ),
        audio=audio,
        curated=_load_numbers(doc, ("curated",), CuratedRules),
        lookups=_load_numbers(doc, ("lookups",), LookupRules),
        energy_by_category={c: doc.weight(("energy", c.value)) for c in Category},
        energy=energy,
        energy_hints=_energy_hints(doc),
    )


def load_rules_file(path: Path) -> Rules:
    """Load and validate one classification rules file."""
    return parse_rules(read_toml(path))


def load_rules(rules_dir: Path) -> Rules:
    """Load and validate `classification.toml` from the rules folder."""
    return load_rules_file(Path(rules_dir) / RULES_FILE)
