"""End to end: the REAL ``yujing demo`` (broker, redis, simulator, worker, board) driven in headless Chromium.

The duty manager logs in with the password the demo prints, waits for live data on the wall board, acknowledges
a red alert (or, if no red has fired in time, the most severe alert there is), and the test checks that the
worker APPLIED the acknowledgement: an ``acknowledged`` record in the alert's lifecycle in Redis, and the
history page's story of that alert showing it, by that user. Then SIGTERM must stop the demo and every child.

Screenshots (artefacts): ``artifacts/screenshots/demo-01-live-board.png`` (the wall screen, 1920×1080),
``demo-01-live-board-full.png`` (the whole page), ``demo-02-acknowledged.png`` and ``demo-03-history.png``.
Ports 19751-19754 (board, broker, redis, metrics). Measured on the 2-core machine: about 2½ minutes.
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "artifacts" / "screenshots"
BOARD_PORT, KAFKA_PORT, REDIS_PORT, METRICS_PORT = 19751, 19752, 19753, 19754
LIVE_WITHIN_S = 120
"""The board must show live data (fresh pill, non-zero alert tiles) this long after the demo starts."""
RED_WITHIN_S = 150
"""How long (from the demo's start) to wait for a red alert before acknowledging the most severe one there is."""
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
CHILD_NAMES = ("tansu", "redis-server", "streamlit", "yujing.cli")


@dataclass
class Demo:
    proc: subprocess.Popen
    url: str
    password: str
    data_dir: Path
    log: Path
    started: float

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def _descendants(pid: int) -> set[int]:
    """Every process below ``pid`` right now (from /proc: no psutil needed)."""
    children: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(d.name))
    out, todo = set(), [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.add(c)
            todo.append(c)
    return out


def _cmdline(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return ""
    return "" if state == "Z" else raw.replace(b"\0", b" ").decode(errors="replace")


def _leftovers(data_dir: Path) -> list[str]:
    """Live processes that belong to this demo run: its data dir or one of its ports on their command line."""
    marks = (str(data_dir), f"127.0.0.1:{KAFKA_PORT}", f"--port {REDIS_PORT} ", f"--port {BOARD_PORT}",
             f"--server.port {BOARD_PORT}")
    found = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit() and int(d.name) != os.getpid():
            cmd = _cmdline(int(d.name))
            if any(n in cmd for n in CHILD_NAMES) and any(m in cmd + " " for m in marks):
                found.append(f"{d.name}: {cmd[:160]}")
    return found


@pytest.fixture()
def demo(tmp_path: Path) -> Iterator[Demo]:
    """``yujing demo`` on this test's ports and data dir; yields once the board is up and logins are printed."""
    from yujing.runtime.demo import missing_parts

    if missing_parts():
        pytest.skip(f"not built yet: {missing_parts()}")
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed")
    data_dir = tmp_path / "var"
    log = tmp_path / "demo.log"
    env = dict(os.environ, COLUMNS="160", PYTHONUNBUFFERED="1")
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "yujing.cli", "demo", "--board-port", str(BOARD_PORT),
                                 "--kafka-port", str(KAFKA_PORT), "--redis-port", str(REDIS_PORT),
                                 "--metrics-port", str(METRICS_PORT), "--data-dir", str(data_dir)],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    started = time.monotonic()
    try:
        password = None
        while time.monotonic() - started < 90 and proc.poll() is None and password is None:
            m = re.search(r"login\s+duty\s+password\s+(\S+)", log.read_text(errors="replace"))
            password = m.group(1) if m else None
            time.sleep(0.3)
        assert password, f"the demo printed no login for 'duty':\n{log.read_text(errors='replace')[-3000:]}"
        yield Demo(proc, f"http://127.0.0.1:{BOARD_PORT}", password, data_dir, log, started)
    finally:
        if proc.poll() is None:  # the test failed before its own clean stop: don't leave the demo running
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _redis():
    import redis
    return redis.Redis(port=REDIS_PORT, decode_responses=True)


def _alert_store():
    from alerts.store import AlertStore
    return AlertStore(_redis(), prefix="yj:")


def _wait_live(page, demo: Demo) -> tuple[int, float]:
    """Until the freshness pill says live and the alert tiles are not all zero; returns (alerts, seconds)."""
    while True:
        fresh = page.locator(".yj-pill.ok").count() > 0
        numbers = [int(x) for x in page.locator(".yj-tile .n").all_inner_texts() if x.strip().isdigit()]
        elapsed = time.monotonic() - demo.started
        if fresh and sum(numbers) > 0:
            return sum(numbers), elapsed
        assert elapsed < LIVE_WITHIN_S, (f"no live data on the board after {elapsed:.0f}s (fresh={fresh}, "
                                         f"tiles={numbers})\n{demo.output()[-2000:]}")
        assert demo.proc.poll() is None, f"the demo died:\n{demo.output()[-3000:]}"
        time.sleep(1)


def _pick_alert(page, demo: Demo) -> tuple[str, str]:
    """The alert to acknowledge: a red one if one fires in time, else the most severe on the board."""
    store = _alert_store()
    while True:
        buttons = page.locator('div[class*="st-key-card-red"] [class*="st-key-ack-"]')
        if buttons.count():
            return _alert_id(buttons.first), "red"
        if time.monotonic() - demo.started > RED_WITHIN_S:
            break
        time.sleep(1)
    active = [a for a in store.active() if not a.get("acked_by")]
    rank = {"red": 4, "orange": 3, "yellow": 2, "blue": 1}
    assert active, "no unacknowledged alert on the board at all"
    best = max(active, key=lambda a: rank.get(a.get("tier"), 0))
    print(f"\nNO RED ALERT within {RED_WITHIN_S}s of the demo's start: acknowledging the most severe alert "
          f"there is ({best['tier']} {best['kind']} {best['alert_id']})")
    return best["alert_id"], best["tier"]


def _alert_id(locator) -> str:
    cls = locator.get_attribute("class") or ""
    return re.search(r"st-key-ack-(\S+)", cls).group(1)


def _acknowledged(alert_id: str) -> list[dict]:
    return [r for r in _alert_store().timeline(alert_id) if r.get("status") == "acknowledged"]


def _shoot_full(page, path: Path) -> None:
    """The whole board: Streamlit scrolls inside the page, so grow the viewport to the content, then shrink."""
    height = page.evaluate("() => Math.max(...[...document.querySelectorAll('section, div')]"
                           ".map(e => e.scrollHeight))")
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": min(8000, max(size["height"], int(height) + 40))})
    time.sleep(1.5)
    page.screenshot(path=str(path))
    page.set_viewport_size(size)


def test_duty_manager_acks_a_red_alert_on_the_real_demo(demo: Demo) -> None:
    from playwright.sync_api import expect, sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
            page.goto(demo.url)
            page.locator(".st-key-login_name input").fill("duty")
            page.locator(".st-key-login_password input").fill(demo.password)
            page.keyboard.press("Enter")
            page.locator(".yj-tiles").wait_for(timeout=30_000)
            alerts, live_after = _wait_live(page, demo)
            print(f"\nlive data on the board {live_after:.0f}s after the demo started ({alerts} active alerts)")

            alert_id, tier = _pick_alert(page, demo)
            print(f"acknowledging {tier} alert {alert_id} at {time.monotonic() - demo.started:.0f}s")
            time.sleep(2)  # one more refresh: heat map and sparklines drawn
            page.screenshot(path=str(SHOTS / "demo-01-live-board.png"))
            _shoot_full(page, SHOTS / "demo-01-live-board-full.png")

            page.locator(f".st-key-ack-{alert_id} button").click()
            t_click = time.monotonic()
            while not _acknowledged(alert_id):  # the worker applies the board's command to the alert
                assert time.monotonic() - t_click < 30, f"the worker did not apply the ack of {alert_id} in 30s"
                time.sleep(0.5)
            acks = _acknowledged(alert_id)
            print(f"worker applied the ack {time.monotonic() - t_click:.1f}s after the click")
            assert acks[-1].get("by") == "duty", acks
            assert _alert_store().get(alert_id)["acked_by"] == "duty"
            card = page.locator(f'div[class*="st-key-card-"][class*="{alert_id}"]')
            expect(card.get_by_text("已确认：duty").first).to_be_visible(timeout=15_000)
            card.first.scroll_into_view_if_needed()
            time.sleep(1)
            page.screenshot(path=str(SHOTS / "demo-02-acknowledged.png"))

            page.get_by_role("link", name="预警历史").click()
            page.get_by_text("预警经过").first.wait_for(timeout=30_000)
            fired = _alert_store().get(alert_id)["started"]
            label = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(fired))
            picker = page.locator(".st-key-h_pick")
            picker.click()
            page.keyboard.type(label)
            page.get_by_role("option").filter(has_text=label).first.click()
            expect(picker).to_contain_text(label, timeout=10_000)
            story = page.locator(".st-key-h_story")
            # the story grid is a canvas: its cells are in the DOM for accessibility, attached but not "visible"
            expect(story.locator("[role=gridcell]", has_text="已确认").first).to_be_attached(timeout=15_000)
            row = story.locator("[role=row]", has=page.locator("[role=gridcell]", has_text="已确认")).first
            expect(row.locator("[role=gridcell]", has_text="duty").first).to_be_attached()
            story.scroll_into_view_if_needed()
            time.sleep(2)
            page.screenshot(path=str(SHOTS / "demo-03-history.png"))
            _shoot_full(page, SHOTS / "demo-03-history-full.png")
        finally:
            browser.close()

    # a clean stop: SIGTERM, exit 0, no child of this demo left running
    children = _descendants(demo.proc.pid)
    assert children, "the demo has no child processes?"
    demo.proc.send_signal(signal.SIGTERM)
    assert demo.proc.wait(40) == 0, demo.output()[-3000:]
    assert "all children stopped" in demo.output()
    time.sleep(0.5)
    alive = [f"{pid}: {_cmdline(pid)[:120]}" for pid in children if _cmdline(pid)]
    assert not alive, f"children still running after the demo stopped: {alive}"
    assert not _leftovers(demo.data_dir), _leftovers(demo.data_dir)
