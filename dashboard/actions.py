"""Every change a person makes from the board: check the role, send the command, audit it.

Commands go to the worker through ``AlertStore.send_command`` (the ``yj:commands`` stream); the worker owns
alert state, the board never edits an alert itself. Each command is audited (who, what, when) whether or
not the worker has applied it yet, so the quality team can see every click.
"""
from __future__ import annotations

import time
from typing import Any

from dashboard.auth import User, can


class NotAllowed(PermissionError):
    """The user's role may not take this action on this alert."""


def build_command(user: User, action: str, alert: dict[str, Any] | None, **fields: Any) -> dict[str, Any]:
    """The command dict for ``action`` on ``alert`` by ``user`` (validated, not yet sent).

    >>> from dashboard.auth import User
    >>> u = User("li", "staff", "")
    >>> build_command(u, "ack", {"alert_id": "a1", "fingerprint": "f1", "tier": "orange"})["by"]
    'li'
    >>> build_command(u, "silence", {"alert_id": "a1", "fingerprint": "f1", "tier": "red"}, until=9, reason="x")
    Traceback (most recent call last):
    ...
    dashboard.actions.NotAllowed: staff may not silence a red alert
    >>> build_command(u, "silence", {"alert_id": "a1", "fingerprint": "f1", "tier": "yellow"}, until=9,
    ...               reason="x")["max_tier"]
    'orange'
    """
    tier = (alert or {}).get("tier")
    if not can(user.role, action, tier):
        raise NotAllowed(f"{user.role} may not {action}" + (f" a {tier} alert" if tier else ""))
    cmd: dict[str, Any] = {"action": action, "by": user.name, "ts": time.time()}
    if alert is not None:
        cmd["alert_id"] = alert.get("alert_id")
        cmd["fingerprint"] = alert.get("fingerprint")
    if action == "silence":
        until = fields.get("until")
        if not isinstance(until, (int, float)) or until <= 0:
            raise ValueError("a silence needs an expiry (until, epoch seconds)")
        if not str(fields.get("reason") or "").strip():
            raise ValueError("a silence needs a reason")
        if "matchers" not in fields and alert is not None:
            fields["matchers"] = {"kind": alert.get("kind"), **(alert.get("scope") or {})}
        if not can(user.role, "silence", "red"):
            cmd["max_tier"] = "orange"   # theirs may not hide a red alert: one that turns red is pushed again
    if action == "assign" and not str(fields.get("assignee") or "").strip():
        raise ValueError("assign needs an assignee")
    if action == "label" and fields.get("label") not in ("useful", "false_alarm", "missed_incident"):
        raise ValueError("label must be useful, false_alarm or missed_incident")
    if action == "resolve" and not str(fields.get("reason") or "").strip():
        raise ValueError("a manual resolve needs a reason")
    cmd.update({k: v for k, v in fields.items() if v is not None and v != ""})
    return cmd


def perform(store: Any, user: User, action: str, alert: dict[str, Any] | None, **fields: Any) -> str:
    """Validate, send and audit one command; returns the stream id of the command."""
    cmd = build_command(user, action, alert, **fields)
    msg_id = store.send_command(cmd)
    detail = {k: v for k, v in cmd.items() if k not in ("by", "action")}
    store.audit(user.name, action, detail)
    return msg_id
