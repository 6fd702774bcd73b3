"""Running look-ups for a whole classify run: cache first, one warning per unreachable service."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from playlist_builder.classify.lookups import (
    FOUND,
    NOT_FOUND,
    LookupAnswer,
    LrclibClient,
    MusicBrainzClient,
    lrclib_evidence,
    musicbrainz_evidence,
)
from playlist_builder.classify.rules import Rules
from playlist_builder.errors import LookupServiceError
from playlist_builder.model import Evidence, Track

CacheGet = Callable[[str, str], "tuple[str, dict[str, Any] | None, Any] | None"]
CachePut = Callable[[str, str, str, "dict[str, Any] | None"], None]
CACHEABLE = frozenset({FOUND, NOT_FOUND})  # errors are not cached: the next run asks again


@dataclass
class LookupRunner:
    """Answers look-ups from the cache, else from the service while it is reachable.

    `clients` may be empty (offline): then only cached answers are used. When a service fails to
    answer, it is left alone for the rest of the run and one warning is recorded.
    """

    rules: Rules
    cache_get: CacheGet
    cache_put: CachePut
    clients: list[LrclibClient | MusicBrainzClient] = field(default_factory=list)
    offline: bool = False
    clock: Callable[[], float] = time.monotonic
    warnings: list[str] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    _down: set[str] = field(default_factory=set)
    _started: float | None = None

    def evidence_for(self, track: Track) -> list[Evidence]:
        """Evidence from every service that knows something about this track."""
        found: list[Evidence] = []
        for service, key_of, interpret in (
            (LrclibClient.service, LrclibClient.key, lrclib_evidence),
            (MusicBrainzClient.service, MusicBrainzClient.key, musicbrainz_evidence),
        ):
            key = key_of(track)
            if key is None:
                continue
            answer = self._answer(service, key, track)
            if answer is not None:
                found.extend(interpret(answer, self.rules))
        return found

    def _client(self, service: str) -> LrclibClient | MusicBrainzClient | None:
        for client in self.clients:
            if client.service == service:
                return client
        return None

    def _budget_spent(self) -> bool:
        """True once this run has spent its look-up time; warns once."""
        now = self.clock()
        if self._started is None:
            self._started = now
        budget = self.rules.lookups.run_budget_s
        if now - self._started < budget:
            return False
        if "budget" not in self._down:
            self._down.add("budget")
            self.warnings.append(
                f"look-ups stopped after {budget:.0f} s this run; run `classify` again to look up the rest"
            )
        self.counts["skipped (time budget)"] += 1
        return True

    def _answer(self, service: str, key: str, track: Track) -> LookupAnswer | None:
        cached = self.cache_get(service, key)
        if cached is not None and cached[0] in CACHEABLE:
            self.counts[f"{service} cached"] += 1
            return LookupAnswer(cached[0], cached[1])
        client = self._client(service)
        if self.offline or client is None or service in self._down or self._budget_spent():
            return None
        try:
            answer = client.fetch(track)
        except LookupServiceError as exc:
            self._down.add(service)
            self.counts[f"{service} unreachable"] += 1
            self.warnings.append(f"{exc}; its evidence counts as unknown for the rest of this run")
            return None
        self.counts[f"{service} {answer.status}"] += 1
        if answer.status in CACHEABLE:
            self.cache_put(service, key, answer.status, answer.payload)
        return answer
