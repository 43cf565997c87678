"""``yujing users``: manage who may log in to the board (TOML file with bcrypt hashes)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def _users_path(config: Optional[Path], file: Optional[Path]) -> Path:
    if file is not None:
        return file
    from yujing.config import load_config
    return load_config(config).dashboard.users_path()


def users(action: str = typer.Argument(..., help="add | demo-init | list"),
          name: Optional[str] = typer.Argument(None, help="user name (for add)"),
          role: Optional[str] = typer.Option(None, "--role", help="duty_manager | staff | quality | admin"),
          region: str = typer.Option("", "--region", help="region whose alerts are routed to this user"),
          department: str = typer.Option("", "--department", help="department whose alerts are routed here"),
          lang: str = typer.Option("zh", "--lang", help="UI language: zh | en"),
          password: Optional[str] = typer.Option(None, "--password", help="password (prompted when omitted)"),
          file: Optional[Path] = typer.Option(None, "--file", help="users file (default: from config)"),
          config: Optional[Path] = typer.Option(None, "--config", help="TOML configuration file")) -> None:
    """Board users: `add NAME --role R [--region X --department Y --lang zh|en]`, `demo-init`, `list`."""
    from dashboard.auth import add_user, demo_init, load_users

    path = _users_path(config, file)
    if action == "add":
        if not name or not role:
            typer.echo("error: add needs NAME and --role", err=True)
            raise typer.Exit(2)
        if password is None:
            password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
        from yujing.config import load_config
        from yujing.names import id_of
        load_config(config)   # its [names]: a region or department may be given by name; the profile keeps ids
        try:
            add_user(path, name, role, password, region=id_of("region", region),
                     department=id_of("department", department), lang=lang)
        except ValueError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        typer.echo(f"user {name} ({role}) saved to {path}")
    elif action == "demo-init":
        created = demo_init(path, password)
        typer.echo(f"demo users written to {path}:")
        for user, pw in created.items():
            typer.echo(f"  {user:<8} password: {pw}")
    elif action == "list":
        for u in load_users(path).values():
            typer.echo(f"{u.name}\t{u.role}\t{u.region or '-'}\t{u.department or '-'}\t{u.lang}")
    else:
        typer.echo(f"error: unknown action {action!r} (add | demo-init | list)", err=True)
        raise typer.Exit(2)
