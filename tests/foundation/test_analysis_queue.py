"""The analyse command hands its workers the longest files first, so no long file runs on alone at the end."""

from __future__ import annotations

from playlist_builder.services.analyze import _Job, pool_queue


def _job(track_id: int, stated_s: float | None) -> _Job:
    return _Job(track_id, f"/music/{track_id}.flac", f"{track_id}.flac", 1_000, 1.0, stated_s)


def test_workers_take_the_longest_files_first_and_unknown_lengths_last() -> None:
    work = [_job(1, 60.0), _job(2, 600.0), _job(3, None), _job(4, 300.0), _job(5, 600.0), _job(6, 0.5)]
    queue = pool_queue(work)
    taken = [queue.pop().track_id for _ in range(len(work))]  # workers take from the end
    assert taken == [2, 5, 4, 1, 6, 3]  # equal lengths keep their order (2 before 5)
    assert pool_queue([]) == []
