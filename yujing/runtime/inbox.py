"""A local push inbox: the demo's stand-in for staff phones (WeCom, mail, SMS are not reachable here).

The workers deliver notifications to it as to any webhook, with apprise's ``json://`` (one URL per receiver,
``json://127.0.0.1:<port>/<receiver>``), so everything between the alert pipeline and the phone runs for real:
grouping, rate limits and digests, retries, the sent-log, the delivery records the board shows. Each message is
appended to a JSON Lines file (``ts``, ``receiver``, ``title``, ``body``) and announced on one line of the log.
Messages arrive masked (``alerts.templates``); the file is the demo's record of what staff were sent.

>>> inbox_urls(8099, ["staff", "duty_manager"])
{'staff': ['json://127.0.0.1:8099/staff'], 'duty_manager': ['json://127.0.0.1:8099/duty_manager']}
"""
from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Iterable

import orjson
from aiohttp import web

from yujing.masking import safe_text

log = logging.getLogger("yujing.inbox")


def inbox_urls(port: int, receivers: Iterable[str]) -> dict[str, list[str]]:
    """Every receiver delivering to the inbox on ``port`` (its name is the path, and the file's ``receiver``)."""
    return {name: [f"json://127.0.0.1:{port}/{name}"] for name in receivers}


def read_inbox(path: Path) -> list[dict[str, object]]:
    """The messages received so far, oldest first (a line still being written is skipped)."""
    out = []
    try:
        lines = path.read_bytes().splitlines()
    except FileNotFoundError:
        return []
    for line in lines:
        try:
            out.append(orjson.loads(line))
        except orjson.JSONDecodeError:
            continue
    return out


def make_app(path: Path) -> web.Application:
    path.parent.mkdir(parents=True, exist_ok=True)

    async def receive(request: web.Request) -> web.Response:
        try:
            msg = await request.json(loads=orjson.loads)
        except (orjson.JSONDecodeError, UnicodeDecodeError):
            return web.Response(status=400, text="expected apprise's JSON body")
        row = {"ts": time.time(), "receiver": request.match_info["receiver"],
               "title": str(msg.get("title") or ""), "body": str(msg.get("message") or "")}
        with path.open("ab") as f:   # one write per line: a reader never sees half a message as whole
            f.write(orjson.dumps(row) + b"\n")
        log.info("push to %s: %s", safe_text(row["receiver"], 60), safe_text(row["title"], 200))   # a log: masked
        return web.Response(text="ok")

    app = web.Application(client_max_size=1 << 20)
    app.router.add_post("/{receiver}", receive)
    return app


async def serve(port: int, path: Path, host: str = "127.0.0.1") -> None:
    """Serve until cancelled."""
    runner = web.AppRunner(make_app(path), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    log.info("push inbox on http://%s:%d/<receiver>, messages to %s", host, port, path)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
