"""The clinician flow in a real browser: Debian's Chromium driven by Selenium through chromium-driver.

Skipped (with the reason) only when chromium or chromedriver is not installed; `.ci/run` installs both.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import PASSWORD
from web_fixtures import HELD_WINDOW, Made

from playlist_builder.config import Settings
from playlist_builder.db.library import Library
from playlist_builder.model import OverrideAction

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)",
)
WAIT_S = 30.0
TOLERANCE_S = 10.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def server(settings: Settings, library: Library, made: Made, accounts: dict[str, str]) -> Iterator[str]:
    """The app served by uvicorn on a free loopback port, as `playlist-builder serve` does."""
    import uvicorn

    from playlist_builder.web.app import create_app

    port = _free_port()
    app = create_app(settings, library, bind_host="127.0.0.1")
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + WAIT_S
    while not uv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert uv.started, "the app did not start"
    yield f"http://127.0.0.1:{port}"
    uv.should_exit = True
    thread.join(WAIT_S)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[object]:
    """Headless Chromium with a fresh profile, downloads into tmp_path/downloads."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    downloads = tmp_path / "downloads"
    downloads.mkdir()
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
        f"--user-data-dir={tmp_path / 'profile'}", "--autoplay-policy=no-user-gesture-required",
        "--mute-audio", "--window-size=1400,1000",
    ):  # fmt: skip
        options.add_argument(flag)
    options.add_experimental_option(
        "prefs", {"download.default_directory": str(downloads), "download.prompt_for_download": False}
    )
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(WAIT_S)
    driver.downloads = downloads  # type: ignore[attr-defined]
    try:
        yield driver
    finally:
        driver.quit()


def _wait(condition, what: str, timeout: float = WAIT_S):  # type: ignore[no-untyped-def]
    """Poll `condition` until it is truthy; elements replaced mid-check (htmx swaps, reloads) retry."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException

    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = condition()
        except (StaleElementReferenceException, NoSuchElementException) as exc:
            last = type(exc).__name__
        else:
            if last:
                return last
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


def test_clinician_flow_in_a_real_browser(server: str, browser, library: Library, made: Made) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    driver = browser
    # 1. sign in
    driver.get(f"{server}/review")
    assert "/login" in driver.current_url
    driver.find_element(By.ID, "name").send_keys("amira")
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.ID, "sign-in").click()
    # 2. the review queue
    _wait(lambda: driver.current_url.endswith("/review"), "the review queue after sign-in")
    item = driver.find_element(By.ID, f"item-{made.held_id}")
    # 3. play the held track: the player starts at the flagged window
    item.find_element(By.CSS_SELECTOR, "button.play").click()
    player = f"document.getElementById('player-{made.held_id}')"
    playing_at = f"const a = {player}; return !a.paused && a.currentTime > {HELD_WINDOW[0]} && a.currentTime"
    position = _wait(
        lambda: driver.execute_script(playing_at), "the player to play inside the flagged window"
    )
    assert HELD_WINDOW[0] <= position <= HELD_WINDOW[1]
    driver.execute_script(f"{player}.pause()")
    # 4. approve it
    item.find_element(By.CSS_SELECTOR, "input.note").send_keys("heard a wordless pad")
    item.find_element(By.CSS_SELECTOR, "button.approve").click()
    _wait(
        lambda: "approve by amira" in driver.find_element(By.ID, f"item-{made.held_id}").text, "the decision"
    )
    [decision] = library.overrides([made.held_id])
    assert decision.action is OverrideAction.APPROVE and decision.decided_by == "amira"
    # keyboard: `u` undoes the last decision, `a` approves the current track again
    body = driver.find_element(By.TAG_NAME, "body")
    body.send_keys("u")
    _wait(lambda: "was undone" in driver.find_element(By.ID, f"item-{made.held_id}").text, "the undo")
    assert library.overrides([made.held_id]) == []
    body.send_keys("a")
    _wait(
        lambda: "approve by amira" in driver.find_element(By.ID, f"item-{made.held_id}").text,
        "approval by key",
    )
    [decision] = library.overrides([made.held_id])
    assert decision.action is OverrideAction.APPROVE and decision.decided_by == "amira"
    # 5. build a 50-minute iv-infusion session
    driver.get(f"{server}/sessions")
    Select(driver.find_element(By.ID, "arc")).select_by_value("iv-infusion")
    minutes = driver.find_element(By.ID, "minutes")
    minutes.clear()
    minutes.send_keys("50")
    driver.find_element(By.ID, "patient").send_keys("P-0193")
    driver.find_element(By.ID, "seed").send_keys("11")
    driver.find_element(By.ID, "build").click()
    _wait(lambda: "/sessions/" in driver.current_url and driver.find_elements(By.ID, "plan"), "the plan")
    session_id = int(driver.current_url.rstrip("/").rsplit("/", 1)[1].split("#")[0])
    check = driver.find_element(By.ID, "length-check")
    assert abs(float(check.get_attribute("data-total")) - 3000) <= TOLERANCE_S
    assert driver.find_element(By.CSS_SELECTOR, "svg.arc")
    before = library.get_session(session_id)
    # 6. swap one track for the best alternative; the length still fits
    position_to_swap = 4
    row = driver.find_element(By.ID, f"row-{position_to_swap}")
    row.find_element(By.CSS_SELECTOR, "button.swap").click()
    use = _wait(
        lambda: driver.find_elements(By.CSS_SELECTOR, f"#alt-{position_to_swap} button.use"), "alternatives"
    )
    chosen = int(use[0].find_element(By.XPATH, "..").find_element(By.NAME, "track").get_attribute("value"))
    use[0].click()
    _wait(
        lambda: (
            driver.find_elements(By.ID, f"row-{position_to_swap}")
            and driver.find_element(By.ID, f"row-{position_to_swap}").get_attribute("data-track")
            == str(chosen)
        ),
        "the swapped plan",
    )
    total = float(driver.find_element(By.ID, "length-check").get_attribute("data-total"))
    assert abs(total - 3000) <= TOLERANCE_S
    after = library.get_session(session_id)
    assert after.items[position_to_swap].track_id == chosen != before.items[position_to_swap].track_id
    assert abs(after.total_s - 3000) <= TOLERANCE_S
    # 7. download the M3U8: every entry resolves to a file of the session
    driver.find_element(By.ID, "download-m3u8").click()
    playlist = _wait(lambda: [p for p in driver.downloads.glob("*.m3u8")], "the downloaded playlist")[0]
    time.sleep(0.2)  # the file is renamed from .crdownload when complete
    lines = playlist.read_text(encoding="utf-8").splitlines()
    entries = [line for line in lines if line and not line.startswith("#")]
    assert lines[0] == "#EXTM3U" and len(entries) == len(after.items)
    for entry, item_after in zip(entries, after.items, strict=True):
        assert Path(entry).is_file(), entry
        assert entry == library.get_track(item_after.track_id).path  # type: ignore[union-attr]
