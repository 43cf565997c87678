"""The demo's push inbox: what apprise's json:// posts arrives in the file, receiver by receiver; bad bodies are
refused; a log line never carries personal data."""
from __future__ import annotations

import asyncio
import logging
import socket

import apprise

from yujing.runtime.inbox import inbox_urls, read_inbox, serve


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_apprise_messages_land_in_the_inbox_file_per_receiver(tmp_path, caplog):
    import aiohttp

    port, path = _free_port(), tmp_path / "inbox.jsonl"
    server = asyncio.create_task(serve(port, path))
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                await asyncio.sleep(0.05)
        urls = inbox_urls(port, ["staff", "team_lead"])
        with caplog.at_level(logging.INFO, logger="yujing.inbox"):
            for receiver, title in (("staff", "【红色预警 I级】受理超时 13812345678"), ("team_lead", "升级 1: x")):
                ap = apprise.Apprise()
                ap.add(urls[receiver][0])
                assert await ap.async_notify(title=title, body=f"查看: http://board/?alert=ab-1 ({receiver})")
        async with aiohttp.ClientSession() as http:
            async with http.post(f"http://127.0.0.1:{port}/staff", data=b"not json") as resp:
                assert resp.status == 400
    finally:
        server.cancel()
        await asyncio.gather(server, return_exceptions=True)
    got = read_inbox(path)
    assert [(m["receiver"], m["title"]) for m in got] == [("staff", "【红色预警 I级】受理超时 13812345678"),
                                                         ("team_lead", "升级 1: x")]
    assert "?alert=ab-1 (team_lead)" in got[1]["body"]
    assert "13812345678" not in caplog.text and "138****5678" in caplog.text


def test_a_half_written_last_line_is_skipped(tmp_path):
    path = tmp_path / "inbox.jsonl"
    path.write_bytes(b'{"receiver": "staff", "title": "t", "body": "b", "ts": 1.0}\n{"receiver": "sta')
    assert [m["title"] for m in read_inbox(path)] == ["t"]
    assert read_inbox(tmp_path / "none.jsonl") == []
