"""The ``yujing`` command. Sub-commands delegate to the module that owns the work; imports are lazy so
that ``yujing sentiment`` does not pay for faust or streamlit.

Contract commands (``../shared/contracts/cli.md``): ``replay``, ``sentiment``, ``detect-series``.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="yujing (预警): complaint-risk early warning for power-supply customer service.")


def _fail(msg: str, code: int = 2) -> None:
    typer.echo(f"error: {msg}", err=True)
    raise typer.Exit(code)


@app.command()
def replay(events: str = typer.Argument(..., help="JSON Lines events file, or - for standard input"),
           out: Path = typer.Option(..., "--out", help="output directory"),
           config: Optional[Path] = typer.Option(None, "--config", help="TOML configuration file"),
           progress: bool = typer.Option(True, help="progress bar on a terminal")) -> None:
    """Run the full monitor on event time over EVENTS and write alerts/risk/dead-letter/summary into OUT."""
    from yujing.replay import run_replay
    try:
        run_replay(events, out, config, progress=progress and sys.stderr.isatty())
    except (FileNotFoundError, IsADirectoryError, PermissionError, UnicodeDecodeError, ValueError) as exc:
        _fail(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)


@app.command()
def sentiment(texts: str = typer.Argument(..., help='JSON Lines {"id":..., "text":...}, or - for stdin')) -> None:
    """Score customer texts: one {"id", "negativity"} JSON line per input, in input order."""
    from streams.sentiment import sentiment_cli
    try:
        sentiment_cli(texts, sys.stdout)
    except (FileNotFoundError, IsADirectoryError, PermissionError, UnicodeDecodeError, ValueError) as exc:
        _fail(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)


@app.command("detect-series")
def detect_series(series: str = typer.Argument(..., help="CSV with header timestamp,value, or - for stdin")) -> None:
    """Incremental anomaly scores: CSV timestamp,value,anomaly_score on standard output."""
    from detectors.anomaly import detect_series_cli
    try:
        detect_series_cli(series, sys.stdout)
    except (FileNotFoundError, IsADirectoryError, PermissionError, UnicodeDecodeError, ValueError) as exc:
        _fail(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)


# Sub-commands owned by other modules: yujing/commands/<name>.py defines a typer-annotated function <name>.
_EXTRA_COMMANDS = ("simulate", "worker", "board", "demo", "users", "inbox")
for _name in _EXTRA_COMMANDS:
    try:
        _mod = __import__(f"yujing.commands.{_name}", fromlist=[_name])
    except ModuleNotFoundError as _exc:  # not built yet
        if _exc.name != f"yujing.commands.{_name}":
            raise
        continue
    app.command(_name.replace("_", "-"))(getattr(_mod, _name))


def main(argv: list[str] | None = None) -> None:
    """The console entry point: ``app``, but a usage error is one line on stderr, exit status 2 (the contract:
    "non-zero with a one-line error on unusable input"), where click draws a box of five.

    >>> try:
    ...     main(["replay"])
    ... except SystemExit as exc:
    ...     exc.code
    2
    """
    command = typer.main.get_command(app)
    try:
        code = command.main(args=argv, prog_name="yujing", standalone_mode=False)
    except typer.Abort:
        typer.echo("aborted", err=True)
        raise SystemExit(1) from None
    except typer.TyperException as exc:   # click's errors (typer carries its own click)
        ctx = getattr(exc, "ctx", None)
        if type(exc).__name__ == "NoArgsIsHelpError" and ctx is not None:   # bare ``yujing``: the help
            typer.echo(ctx.get_help(), err=True)
        else:
            hint = f" (try '{ctx.command_path} --help')" if ctx is not None else ""
            typer.echo(f"error: {' '.join(exc.format_message().split())}{hint}", err=True)
        raise SystemExit(getattr(exc, "exit_code", 2)) from None
    raise SystemExit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
