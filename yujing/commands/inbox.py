"""``yujing inbox``: a local webhook that keeps the push messages it is sent (the demo's staff phones)."""
from __future__ import annotations

from pathlib import Path

import typer


def inbox(port: int = typer.Option(8599, "--port", help="HTTP port; receivers post to /<receiver>"),
          out: Path = typer.Option(Path("var/inbox.jsonl"), "--out", help="JSON Lines file of the messages"),
          ) -> None:
    """Receive push messages (apprise json://127.0.0.1:PORT/RECEIVER) and append them to --out."""
    import asyncio
    import logging

    from yujing.runtime.inbox import serve

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        asyncio.run(serve(port, out))
    except KeyboardInterrupt:
        pass
