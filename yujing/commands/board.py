"""``yujing board``: the Streamlit board (dashboard/app.py) on one port."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def board(port: int = typer.Option(8501, "--port", help="HTTP port of the board"),
          address: str = typer.Option("127.0.0.1", "--address", help="listen address (0.0.0.0 in a container)"),
          config: Optional[Path] = typer.Option(None, "--config", help="TOML configuration (else $YUJING_CONFIG)"),
          ) -> None:
    """Serve the board: streamlit run dashboard/app.py, headless, configuration passed as $YUJING_CONFIG."""
    import importlib.util
    import os
    import sys

    spec = importlib.util.find_spec("dashboard")
    app = Path(next(iter(spec.submodule_search_locations))) / "app.py" if spec and spec.submodule_search_locations \
        else None
    if app is None or not app.is_file():
        typer.echo("error: dashboard/app.py not found", err=True)
        raise typer.Exit(2)
    if config is not None:
        if not config.is_file():
            typer.echo(f"error: config file not found: {config}", err=True)
            raise typer.Exit(2)
        os.environ["YUJING_CONFIG"] = str(config.resolve())
    argv = [sys.executable, "-m", "streamlit", "run", str(app), "--server.port", str(port),
            "--server.address", address, "--server.headless", "true", "--browser.gatherUsageStats", "false",
            "--client.toolbarMode", "viewer", "--server.fileWatcherType", "none"]
    typer.echo(f"board: http://{'127.0.0.1' if address == '0.0.0.0' else address}:{port}", err=True)
    sys.stderr.flush()
    os.execv(sys.executable, argv)  # streamlit becomes this process: signals reach it directly
