"""Sessions in the app: build, plan and arc, swap, pin and rebuild, rename, delete, exports and jobs."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import csrf_of, make_client, sign_in
from web_fixtures import Made

from playlist_builder.config import Settings
from playlist_builder.db.library import Library

TOLERANCE_S = 10.0  # every exported form plays within 10 s of the length asked for


def _build(client, minutes: int = 50, patient: str = "P-0042", seed: int = 3) -> int:  # type: ignore[no-untyped-def]
    token = csrf_of(client, "/sessions")
    response = client.post(
        "/sessions/build",
        data={"csrf_token": token, "arc": "iv-infusion", "minutes": str(minutes), "patient": patient,
              "seed": str(seed), "source": "any"},
    )  # fmt: skip
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


def test_build_shows_plan_beside_the_arc(clinician, library: Library, made: Made) -> None:  # type: ignore[no-untyped-def]
    session_id = _build(clinician)
    plan = library.get_session(session_id)
    assert abs(plan.total_s - 3000) <= TOLERANCE_S and plan.patient_code == "P-0042"
    page = clinician.get(f"/sessions/{session_id}").text
    assert page.count('<tr id="row-') == len(plan.items)
    assert '<svg class="arc"' in page and page.count('class="arc-track"') == len(plan.items)
    assert "stroke-dasharray" in page  # the arc's target energy, as on the PNG
    for phase in ("settle", "descend", "deep", "return", "ground"):
        assert f">{phase}</text>" in page
    listed = clinician.get("/sessions?patient=P-0042").text
    assert f'href="/sessions/{session_id}"' in listed
    assert f'href="/sessions/{session_id}"' not in clinician.get("/sessions?patient=P-0099").text


def test_bad_input_gets_a_clear_message_not_a_trace(clinician, made: Made) -> None:  # type: ignore[no-untyped-def]
    token = csrf_of(clinician, "/sessions")
    for data, words in (
        ({"arc": "iv-infusion", "minutes": "abc"}, "minutes must be a number"),
        ({"arc": "iv-infusion", "minutes": "50", "patient": "Smith"}, "never a name"),
        ({"arc": "no-such-arc", "minutes": "50"}, "no-such-arc"),
        ({"arc": "iv-infusion", "minutes": "500"}, "minutes"),
    ):
        response = clinician.post(
            "/sessions/build", data={**data, "csrf_token": token}, headers={"accept": "text/html"}
        )
        assert response.status_code in (400, 404), data
        assert words in response.text and "Traceback" not in response.text, data
    assert clinician.get("/sessions/424242", headers={"accept": "text/html"}).status_code == 404


def test_swap_keeps_arc_and_length(clinician, library: Library, made: Made) -> None:  # type: ignore[no-untyped-def]
    session_id = _build(clinician)
    before = library.get_session(session_id)
    position = 5
    fragment = clinician.get(
        f"/sessions/{session_id}/alternatives/{position}", headers={"hx-request": "true"}
    ).text
    choices = [int(t) for t in re.findall(r'name="track" value="(\d+)"', fragment)]
    assert choices and not set(choices) & {item.track_id for item in before.items}
    plays = [m for m in re.findall(r"<td>(\d+:\d\d)</td><td>[+-]", fragment)]
    assert all(abs(int(m.split(":")[0]) * 60 + int(m.split(":")[1]) - 3000) <= TOLERANCE_S for m in plays)
    token = csrf_of(clinician, f"/sessions/{session_id}")
    swapped = clinician.post(
        f"/sessions/{session_id}/swap",
        data={"csrf_token": token, "position": str(position), "track": str(choices[0])},
    )
    assert swapped.status_code == 303 and swapped.headers["location"] == f"/sessions/{session_id}"
    after = library.get_session(session_id)
    assert after.items[position].track_id == choices[0]
    assert after.items[position].phase == before.items[position].phase
    assert abs(after.total_s - 3000) <= TOLERANCE_S and len(after.items) == len(before.items)
    assert [i.track_id for i in after.items if i.position != position] == [
        i.track_id for i in before.items if i.position != position
    ]
    used = clinician.post(
        f"/sessions/{session_id}/swap",
        data={"csrf_token": token, "position": "0", "track": str(after.items[1].track_id)},
        headers={"accept": "text/html"},
    )
    assert used.status_code == 400 and "already in this session" in used.text


def test_pin_and_rebuild_rename_delete(clinician, library: Library, made: Made) -> None:  # type: ignore[no-untyped-def]
    session_id = _build(clinician)
    kept = _build(clinician, patient="P-0077")
    plan = library.get_session(session_id)
    token = csrf_of(clinician, f"/sessions/{session_id}")
    outside = [t for t in made.ids if t not in {i.track_id for i in plan.items} and t != made.held_id]
    pinned_id = None
    for track_id in outside:  # a small library: some pins cannot fit; those say why
        response = clinician.post(
            f"/sessions/{session_id}/pin", data={"csrf_token": token, "track": str(track_id)},
            headers={"accept": "text/html"},
        )  # fmt: skip
        if response.status_code == 303:
            pinned_id = track_id
            break
        assert response.status_code == 400 and "Traceback" not in response.text
    assert pinned_id is not None
    assert response.headers["location"] == f"/sessions/{session_id}"
    rebuilt = library.get_session(session_id)
    assert pinned_id in {i.track_id for i in rebuilt.items} and abs(rebuilt.total_s - 3000) <= TOLERANCE_S
    assert rebuilt.patient_code == "P-0042" and rebuilt.seed == plan.seed
    held = clinician.post(
        f"/sessions/{session_id}/pin", data={"csrf_token": token, "track": str(made.held_id)},
        headers={"accept": "text/html"},
    )  # fmt: skip
    assert held.status_code == 400 and "not eligible" in held.text
    renamed = clinician.post(
        f"/sessions/{session_id}/rename", data={"csrf_token": token, "name": "Tuesday — Raum 2"}
    )
    assert renamed.status_code == 303 and library.get_session(session_id).name == "Tuesday — Raum 2"
    refused = clinician.post(
        f"/sessions/{session_id}/delete", data={"csrf_token": token}, headers={"accept": "text/html"}
    )
    assert refused.status_code == 400 and library.get_session(session_id)
    gone = clinician.post(f"/sessions/{session_id}/delete", data={"csrf_token": token, "confirm": "1"})
    assert gone.status_code == 303
    assert [s.id for s in library.list_sessions()] == [kept]


def test_m3u8_download_resolves_and_sheet_prints(clinician, library: Library, made: Made) -> None:  # type: ignore[no-untyped-def]
    session_id = _build(clinician)
    response = clinician.get(f"/sessions/{session_id}/playlist.m3u8")
    assert response.status_code == 200 and "attachment" in response.headers["content-disposition"]
    text = response.content.decode("utf-8")
    assert text.startswith("#EXTM3U\n") and "\r" not in text
    entries = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert entries == [library.get_track(i.track_id).path for i in library.get_session(session_id).items]  # type: ignore[union-attr]
    assert all(Path(entry).is_file() for entry in entries)
    prefixed = clinician.get(f"/sessions/{session_id}/playlist.m3u8?prefix=/media/CARD/music").text
    assert all(
        line.startswith("/media/CARD/music/") for line in prefixed.splitlines() if not line.startswith("#")
    )
    sheet = clinician.get(f"/sessions/{session_id}/sheet")
    assert sheet.status_code == 200 and "@media print" in sheet.text and "P-0042" in sheet.text


def test_device_copy_runs_in_the_background(
    settings: Settings, library: Library, made: Made, accounts: dict[str, str], tmp_path: Path
) -> None:
    media = tmp_path / "media"
    (media / "CARD").mkdir(parents=True)
    with make_client(settings, library, device_roots=(str(media),)) as client:
        sign_in(client, "desk")  # staff build and export
        session_id = _build(client)
        page = client.get(f"/sessions/{session_id}").text
        assert str(media / "CARD") in page
        token = csrf_of(client, f"/sessions/{session_id}")
        outside = client.post(
            f"/sessions/{session_id}/export/device", data={"csrf_token": token, "folder": str(tmp_path)},
            headers={"accept": "text/html"},
        )  # fmt: skip
        assert outside.status_code == 400 and "listed device folders" in outside.text
        started = client.post(
            f"/sessions/{session_id}/export/device", data={"csrf_token": token, "folder": str(media / "CARD")}
        )
        assert started.status_code == 303
        jobs = client.app.state.pb.jobs
        [job] = jobs.all(session_id)
        finished = jobs.wait(job.id, 60)
        assert finished is not None and finished.state == "done", finished
        copied = list((media / "CARD").rglob("*.flac"))
        assert len(copied) == len(library.get_session(session_id).items)
        fragment = client.get(f"/jobs/{job.id}", headers={"hx-request": "true"}).text
        assert "done" in fragment and "hx-trigger" not in fragment  # polling stops when the job ends


def test_htmx_errors_land_in_the_flash_area(clinician, made: Made) -> None:  # type: ignore[no-untyped-def]
    session_id = _build(clinician)
    response = clinician.get(f"/sessions/{session_id}/alternatives/99", headers={"hx-request": "true"})
    assert response.status_code == 200 and response.headers["hx-retarget"] == "#flash"
    assert "positions 0-" in response.text and "Traceback" not in response.text
