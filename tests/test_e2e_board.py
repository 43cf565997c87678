"""End to end: the real board (streamlit server) in real headless Chromium against a seeded real Redis.

Logs in as the duty manager, looks at the wall board, acknowledges the red alert, checks the alert history
shows the acknowledgement, writes a shift handover note; screenshots go to artifacts/screenshots/.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.dash_fixtures import (PASSWORD, ROOT, _wait_port, board_env, put_snapshot, redis_server,  # noqa: F401
                                 redis_url, snapshot)

pytestmark = pytest.mark.e2e
BOARD_PORT = 19401
SHOTS = ROOT / "artifacts" / "screenshots"


def seed_alerts(redis_url: str) -> list[dict]:
    """Put a few active alerts in through the alert store (skips when the store is not there yet)."""
    seed = pytest.importorskip("tests.dash_seed")
    return seed.seed(redis_url)


@pytest.fixture()
def board_server(board_env):
    env = dict(os.environ, YUJING_REDIS__URL=board_env["redis_url"], YUJING_USERS_FILE=str(board_env["users"]),
               YUJING_DASHBOARD__REFRESH_S="2")
    log = open(board_env["users"].parent / "board.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard" / "app.py"),
                             "--server.port", str(BOARD_PORT), "--server.address", "127.0.0.1",
                             "--server.headless", "true", "--browser.gatherUsageStats", "false",
                             "--server.fileWatcherType", "none", "--client.toolbarMode", "viewer"], cwd=ROOT, env=env, stdout=log, stderr=log)
    try:
        _wait_port(BOARD_PORT, 60)
        yield f"http://127.0.0.1:{BOARD_PORT}"
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


def _logged_in(p, url: str, width: int, height: int):
    """Headless Chromium (the brief's flags) at ``width`` x ``height``, logged in as the duty manager."""
    browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                args=["--headless", "--no-sandbox", "--disable-gpu",
                                      "--disable-background-networking"])
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(url)
    page.locator(".st-key-login_name input").fill("duty")
    page.locator(".st-key-login_password input").fill(PASSWORD)
    page.keyboard.press("Enter")
    return browser, page


def test_duty_manager_acks_red_alert_in_chromium(board_env, board_server):
    from playwright.sync_api import expect, sync_playwright

    put_snapshot(board_env["redis_url"], snapshot())
    alerts = seed_alerts(board_env["redis_url"]) if os.environ.get("E2E_NO_ALERTS") != "1" else []
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser, page = _logged_in(p, board_server, 1680, 1050)
        page.get_by_text("Active alerts").first.wait_for(timeout=30_000)
        time.sleep(4)  # let the heat map and sparklines draw, and one fragment refresh happen
        page.screenshot(path=str(SHOTS / "01-live-board.png"), full_page=True)
        if alerts:
            red = next(a for a in alerts if a["tier"] == "red")
            page.locator(f".st-key-ack-{red['alert_id']} button").click()
            expect(page.get_by_text("Sent, waiting for the worker").first).to_be_visible(timeout=15_000)
            page.screenshot(path=str(SHOTS / "02-after-ack.png"), full_page=True)
            page.get_by_role("link", name="Alert history").click()
            page.get_by_text("Alert story").first.wait_for(timeout=30_000)
            # the story panel opens on the newest alert, which the seed made the red one
            expect(page.locator("[role=gridcell]", has_text="board action: acknowledge").first).to_be_attached(timeout=15_000)  # canvas grid: cells are attached, drawn not as DOM
            time.sleep(2)
            page.screenshot(path=str(SHOTS / "03-history.png"), full_page=True)
            # the shift handover: what is open and who has it, the report, a note for the next shift (masked)
            page.get_by_role("link", name="Handover").click()
            page.get_by_text("Shift handover").first.wait_for(timeout=30_000)
            page.locator(".st-key-ho_note_text textarea").fill("North crews short by 2; call back 13912345678")
            page.get_by_role("button", name="Save handover note").click()
            expect(page.get_by_text("Handover note saved").first).to_be_visible(timeout=15_000)
            page.get_by_role("link", name="Handover").click()   # as the next shift opens it
            expect(page.get_by_text("duty: North crews short by 2; call back 139****5678").first).to_be_visible(
                timeout=15_000)
            time.sleep(2)
            page.screenshot(path=str(SHOTS / "05-handover.png"), full_page=True)
        browser.close()


def test_blocked_worker_banner_is_at_the_top_of_the_wall_board(board_env, board_server):
    """A worker retrying a write for over a minute: the warning is in the first screen a duty manager sees
    (1920x1080, no scrolling), not only on the workers tile further down."""
    from playwright.sync_api import expect, sync_playwright

    snap = snapshot()
    snap["runtime"]["workers"]["worker-2"] = {"role": "orders", "wall": time.time(),
                                              "blocked": {"changelog": {"since": time.time() - 95, "tries": 23,
                                                                        "error": "KafkaTimeoutError()",
                                                                        "for_s": 95.0}}}
    put_snapshot(board_env["redis_url"], snap)
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser, page = _logged_in(p, board_server, 1920, 1080)
        banner = page.get_by_text("1 worker(s) unable to write for 95 s, retrying").first
        expect(banner).to_be_visible(timeout=30_000)
        box = banner.bounding_box()
        assert box is not None and box["y"] + box["height"] <= 1080, f"banner below the fold: {box}"
        expect(page.locator(".yj-pill.lag")).to_have_text("● Data may lag")   # not a green "Live data"
        time.sleep(3)
        page.screenshot(path=str(SHOTS / "04-write-blocked.png"))   # the first screen only, as seen
        browser.close()


def test_a_push_link_opened_on_a_phone_shows_the_alert_and_its_ack_button_on_the_first_screen(board_env,
                                                                                              board_server):
    """Staff tap the link at the end of a push message on a phone (390x844): after the login, the alert's card
    and its acknowledge button are on the first screen, and nothing is wider than the screen."""
    from playwright.sync_api import expect, sync_playwright

    put_snapshot(board_env["redis_url"], snapshot())
    red = next(a for a in seed_alerts(board_env["redis_url"]) if a["tier"] == "red")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                    args=["--headless", "--no-sandbox", "--disable-gpu",
                                          "--disable-background-networking"])
        page = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                has_touch=True)
        page.goto(f"{board_server}/?alert={red['alert_id']}")
        page.locator(".st-key-login_name input").fill("zhang")
        page.locator(".st-key-login_password input").fill(PASSWORD)
        page.keyboard.press("Enter")
        ack = page.locator(f".st-key-ack-{red['alert_id']} button")
        expect(ack).to_be_visible(timeout=30_000)
        time.sleep(2)
        box = ack.bounding_box()
        assert box is not None and box["y"] + box["height"] <= 844, f"ack button below the first screen: {box}"
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page is {width} px wide on a 390 px phone"
        page.screenshot(path=str(SHOTS / "06-phone-alert-link.png"))
        browser.close()
