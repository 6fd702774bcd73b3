"""LRCLIB and MusicBrainz clients against local fake servers: found, 404, 503, slow, malformed."""

from __future__ import annotations

import time

import pytest
import requests
from classify_fixtures import FakeService, Reply, make_track

from playlist_builder import HOMEPAGE, __version__
from playlist_builder.classify.lookup_runner import LookupRunner
from playlist_builder.classify.lookups import (
    ERROR,
    FOUND,
    NOT_FOUND,
    LrclibClient,
    MusicBrainzClient,
    new_http_session,
    normalise_isrc,
    words_in_lyrics,
)
from playlist_builder.classify.rules import Rules
from playlist_builder.errors import LookupServiceError

ISRC = "DEA621100123"
LRC_PATH = "/api/get"
LRC_FOUND = {
    "id": 4711,
    "trackName": "Ëtude für Stille",
    "artistName": "Ólöf Ensemble",
    "albumName": "Ruhe",
    "duration": 300,
    "instrumental": False,
    "plainLyrics": "Leise rieselt der Schnee\nstill und starr ruht der See",
    "syncedLyrics": "[00:01.00] Leise rieselt der Schnee",
}
RECORDING = {
    "id": "rec-1",
    "title": "Ëtude für Stille",
    "relations": [
        {
            "type": "performance",
            "target-type": "work",
            "attributes": ["instrumental"],
            "work": {
                "id": "work-1",
                "title": "Étude",
                "language": "deu",
                "languages": ["deu"],
                "relations": [],
            },
        }
    ],
}


def no_sleep(_seconds: float) -> None:
    pass


def lrclib_client(service: FakeService, **kwargs: object) -> LrclibClient:
    return LrclibClient(new_http_session(), service.url, sleep=no_sleep, **kwargs)  # type: ignore[arg-type]


def mb_client(service: FakeService, **kwargs: object) -> MusicBrainzClient:
    return MusicBrainzClient(new_http_session(), service.url, sleep=no_sleep, **kwargs)  # type: ignore[arg-type]


def test_lrclib_found_sends_names_duration_and_user_agent(fake_service: FakeService) -> None:
    fake_service.route(LRC_PATH, Reply(200, LRC_FOUND))
    answer = lrclib_client(fake_service).fetch(make_track(album="Ruhe"))
    assert answer.status == FOUND
    assert answer.payload is not None and answer.payload["lyrics_words"] >= 8
    assert "plainLyrics" not in answer.payload  # no lyrics text is kept
    request = fake_service.requests[0]
    assert request["query"]["artist_name"] == ["Ólöf Ensemble"]
    assert request["query"]["track_name"] == ["Ëtude für Stille"]
    assert request["query"]["duration"] == ["300"]
    agent = request["headers"]["User-Agent"]
    assert "playlist-builder" in agent and __version__ in agent and HOMEPAGE in agent


def test_lrclib_instrumental_flag(fake_service: FakeService) -> None:
    marked = dict(LRC_FOUND, instrumental=True, plainLyrics=None, syncedLyrics="[00:00.00] ♪ Instrumental ♪")
    fake_service.route(LRC_PATH, Reply(200, marked))
    answer = lrclib_client(fake_service).fetch(make_track())
    assert answer.status == FOUND and answer.payload is not None
    assert answer.payload["instrumental"] is True and answer.payload["lyrics_words"] == 0


def test_lrclib_404_is_not_found(fake_service: FakeService) -> None:
    fake_service.route(LRC_PATH, Reply(404, {"code": 404, "name": "TrackNotFound", "message": "Failed"}))
    assert lrclib_client(fake_service).fetch(make_track()).status == NOT_FOUND


@pytest.mark.parametrize(
    "reply",
    [
        Reply(200, raw="<html>oops</html>"),
        Reply(200, ["not", "an", "object"]),
        Reply(200, {"instrumental": "yes"}),
    ],
)
def test_lrclib_malformed_answer_is_an_error_not_evidence(fake_service: FakeService, reply: Reply) -> None:
    fake_service.route(LRC_PATH, reply)
    answer = lrclib_client(fake_service).fetch(make_track())
    assert answer.status == ERROR and "malformed" in (answer.error or "")


def test_lrclib_503_is_retried_then_answers(fake_service: FakeService) -> None:
    fake_service.route(LRC_PATH, Reply(503, {}, headers={"Retry-After": "1"}), Reply(200, LRC_FOUND))
    waits: list[float] = []
    client = LrclibClient(new_http_session(), fake_service.url, sleep=waits.append, retries=2)
    assert client.fetch(make_track()).status == FOUND
    assert waits == [1.0] and len(fake_service.requests) == 2


def test_lrclib_persistent_503_gives_up_after_the_retries(fake_service: FakeService) -> None:
    fake_service.route(LRC_PATH, Reply(503, {}))
    with pytest.raises(LookupServiceError, match="unavailable"):
        lrclib_client(fake_service, retries=2).fetch(make_track())
    assert len(fake_service.requests) == 3


def test_slow_service_times_out_quickly(fake_service: FakeService) -> None:
    fake_service.route(LRC_PATH, Reply(200, LRC_FOUND, delay_s=3.0))
    started = time.monotonic()
    with pytest.raises(LookupServiceError, match="in time"):
        lrclib_client(fake_service, timeout_s=0.3).fetch(make_track())
    assert time.monotonic() - started < 2.0


def test_unreachable_service_is_a_lookup_error() -> None:
    client = LrclibClient(new_http_session(), "http://127.0.0.1:9", sleep=no_sleep, timeout_s=0.5)
    with pytest.raises(LookupServiceError, match="cannot be reached"):
        client.fetch(make_track())


def test_musicbrainz_isrc_then_recording_with_work_relations(fake_service: FakeService) -> None:
    fake_service.route(f"/ws/2/isrc/{ISRC}", Reply(200, {"isrc": ISRC, "recordings": [{"id": "rec-1"}]}))
    fake_service.route("/ws/2/recording/rec-1", Reply(200, RECORDING))
    answer = mb_client(fake_service).fetch(make_track(isrc="de-a62-11-00123"))
    assert answer.status == FOUND and answer.payload is not None
    work = answer.payload["recordings"][0]["works"][0]
    assert work["attributes"] == ["instrumental"] and work["languages"] == ["deu"]
    assert fake_service.paths() == [f"/ws/2/isrc/{ISRC}", "/ws/2/recording/rec-1"]
    detail = fake_service.requests[1]["query"]
    assert "work-rels" in detail["inc"][0] and detail["fmt"] == ["json"]
    assert HOMEPAGE in fake_service.requests[0]["headers"]["User-Agent"]


def test_musicbrainz_unknown_isrc_is_not_found(fake_service: FakeService) -> None:
    fake_service.route(f"/ws/2/isrc/{ISRC}", Reply(404, {"error": "Not Found"}))
    assert mb_client(fake_service).fetch(make_track(isrc=ISRC)).status == NOT_FOUND


def test_musicbrainz_malformed_recording(fake_service: FakeService) -> None:
    fake_service.route(f"/ws/2/isrc/{ISRC}", Reply(200, {"isrc": ISRC, "recordings": [{"id": "rec-1"}]}))
    fake_service.route("/ws/2/recording/rec-1", Reply(200, {"id": "rec-1", "relations": "nope"}))
    assert mb_client(fake_service).fetch(make_track(isrc=ISRC)).status == ERROR


def test_musicbrainz_keeps_to_one_request_per_second(fake_service: FakeService) -> None:
    fake_service.route(f"/ws/2/isrc/{ISRC}", Reply(200, {"isrc": ISRC, "recordings": [{"id": "rec-1"}]}))
    fake_service.route("/ws/2/recording/rec-1", Reply(200, RECORDING))
    now = [100.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    client = MusicBrainzClient(new_http_session(), fake_service.url, sleep=sleep, clock=lambda: now[0])
    client.fetch(make_track(isrc=ISRC))
    client.fetch(make_track(isrc=ISRC))
    assert len(fake_service.requests) == 4
    assert len(waits) == 3 and all(w == pytest.approx(1.0) for w in waits)


def test_musicbrainz_503_is_retried(fake_service: FakeService) -> None:
    fake_service.route(f"/ws/2/isrc/{ISRC}", Reply(503, {}), Reply(200, {"isrc": ISRC, "recordings": []}))
    assert mb_client(fake_service).fetch(make_track(isrc=ISRC)).status == NOT_FOUND
    assert len(fake_service.requests) == 2


def test_isrc_and_lyrics_helpers() -> None:
    assert normalise_isrc(" us-rc1-76-07839 ") == "USRC17607839"
    assert normalise_isrc("not an isrc") is None
    assert words_in_lyrics("[00:12.00] ♪\n[00:20.00] (instrumental)") == 0
    assert words_in_lyrics("Über den Wolken") == 3


class MemoryCache:
    """The library's look-up cache, in memory."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], tuple[str, dict | None, None]] = {}

    def get(self, service: str, key: str) -> tuple[str, dict | None, None] | None:
        return self.rows.get((service, key))

    def put(self, service: str, key: str, status: str, payload: dict | None) -> None:
        self.rows[(service, key)] = (status, payload, None)


def test_runner_caches_answers_and_warns_once_per_unreachable_service(
    fake_service: FakeService, rules: Rules
) -> None:
    fake_service.route(LRC_PATH, Reply(200, LRC_FOUND))
    cache = MemoryCache()
    session = new_http_session()
    clients = [
        LrclibClient(session, fake_service.url, sleep=no_sleep),
        MusicBrainzClient(session, "http://127.0.0.1:9", sleep=no_sleep, timeout_s=0.5),
    ]
    runner = LookupRunner(rules, cache.get, cache.put, clients)
    tracks = [make_track(isrc=ISRC, title=f"Stück {n}") for n in range(3)]
    evidence = [runner.evidence_for(track) for track in tracks]
    assert all(any(e.source == "lrclib" and e.claim == "vocal" for e in found) for found in evidence)
    assert len(runner.warnings) == 1 and "MusicBrainz" in runner.warnings[0]
    assert len(fake_service.requests) == 3
    # A second run answers LRCLIB from the cache: no new requests.
    again = LookupRunner(rules, cache.get, cache.put, clients)
    again.evidence_for(tracks[0])
    assert len(fake_service.requests) == 3 and again.counts["lrclib cached"] == 1


def test_runner_offline_uses_only_the_cache(fake_service: FakeService, rules: Rules) -> None:
    cache = MemoryCache()
    client = LrclibClient(requests.Session(), fake_service.url, sleep=no_sleep)
    runner = LookupRunner(rules, cache.get, cache.put, [client], offline=True)
    assert runner.evidence_for(make_track()) == []
    assert fake_service.requests == [] and runner.warnings == []


def test_runner_stops_at_its_time_budget_with_one_warning(fake_service: FakeService, rules: Rules) -> None:
    fake_service.route(LRC_PATH, Reply(404, {"code": 404}))
    now = [0.0]
    cache = MemoryCache()
    client = LrclibClient(new_http_session(), fake_service.url, sleep=no_sleep)
    runner = LookupRunner(rules, cache.get, cache.put, [client], clock=lambda: now[0])
    for n in range(5):
        runner.evidence_for(make_track(title=f"Stück {n}"))
        now[0] += rules.lookups.run_budget_s / 2
    assert len(fake_service.requests) == 2
    assert len(runner.warnings) == 1 and "run `classify` again" in runner.warnings[0]
