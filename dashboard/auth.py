"""Board users and what each role may do.

Users live in a small TOML file outside the repository (``DashboardConfig.users_path()``); passwords are
stored as bcrypt hashes only. Permissions are one table (:data:`PERMISSIONS`) plus one rule that is about the
alert itself: staff may not silence or resolve a red alert (a red alert is the duty manager's call).

>>> can("staff", "silence", "red"), can("staff", "silence", "yellow"), can("duty_manager", "silence", "red")
(False, True, True)
>>> can("quality", "label"), can("quality", "ack")
(True, False)
"""
from __future__ import annotations

import json
import os
import secrets
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path

import bcrypt

ROLES: tuple[str, ...] = ("duty_manager", "staff", "quality", "admin")
LANGS: tuple[str, ...] = ("zh", "en")

PERMISSIONS: dict[str, frozenset[str]] = {
    "duty_manager": frozenset({"ack", "unack", "assign", "silence", "unsilence", "resolve", "label", "handover"}),
    "staff": frozenset({"ack", "unack", "assign", "silence", "unsilence", "resolve"}),
    "quality": frozenset({"label"}),
    "admin": frozenset({"ack", "unack", "assign", "silence", "unsilence", "resolve", "label", "handover", "users"}),
}
"""Actions each role may take on alerts (``handover``: write a shift's handover note; ``users``: see the audit
log)."""

RED_ONLY_MANAGERS = frozenset({"silence", "unsilence", "resolve"})
"""Actions that on a red alert need a duty manager or an admin."""


def can(role: str, action: str, tier: str | None = None) -> bool:
    """May ``role`` take ``action`` on an alert of ``tier``?"""
    if action not in PERMISSIONS.get(role, frozenset()):
        return False
    if tier == "red" and action in RED_ONLY_MANAGERS and role not in ("duty_manager", "admin"):
        return False
    return True


@dataclass(slots=True)
class User:
    """One person who may log in; ``region``/``department`` route alerts to them on the staff view."""

    name: str
    role: str
    password_hash: str
    region: str = ""
    department: str = ""
    lang: str = "zh"
    display: str = ""

    def check(self, password: str) -> bool:
        try:
            return bcrypt.checkpw(password.encode("utf-8"), self.password_hash.encode("ascii"))
        except ValueError:
            return False


def hash_password(password: str) -> str:
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds=12)).decode("ascii")


def load_users(path: Path) -> dict[str, User]:
    """All users in ``path`` (an absent file means no users yet)."""
    if not path.is_file():
        return {}
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    out: dict[str, User] = {}
    for name, row in (data.get("users") or {}).items():
        fields = {k: str(v) for k, v in row.items() if k in User.__slots__ and k != "name"}
        out[name] = User(name=name, **fields)
    return out


def save_users(path: Path, users: dict[str, User]) -> None:
    """Write ``users`` to ``path`` atomically, readable by the owner only (it holds password hashes)."""
    lines = ["# yujing board users; edit with `yujing users add`. Passwords are bcrypt hashes.", ""]
    for name in sorted(users):
        row = asdict(users[name])
        lines.append(f"[users.{json.dumps(name, ensure_ascii=False)}]")
        for key, value in row.items():
            if key != "name" and (value or key in ("role", "password_hash")):
                lines.append(f"{key} = {json.dumps(value, ensure_ascii=False)}")
        lines.append("")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text("\n".join(lines), encoding="utf-8")
    os.chmod(tmp, 0o600)
    tmp.replace(path)


def add_user(path: Path, name: str, role: str, password: str, *, region: str = "", department: str = "",
             lang: str = "zh", display: str = "") -> User:
    """Create or replace one user in the file at ``path``."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; one of {', '.join(ROLES)}")
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; one of {', '.join(LANGS)}")
    if not name or len(name) > 64:
        raise ValueError("user name must be 1..64 characters")
    if len(password) < 8:
        raise ValueError("password must be at least 8 characters")
    users = load_users(path)
    users[name] = User(name=name, role=role, password_hash=hash_password(password), region=region,
                       department=department, lang=lang, display=display)
    save_users(path, users)
    return users[name]


def authenticate(path: Path, name: str, password: str) -> User | None:
    """The user if ``password`` is right, else None (same answer for unknown name and wrong password)."""
    user = load_users(path).get(name)
    return user if user is not None and user.check(password) else None


DEMO_USERS: tuple[dict[str, str], ...] = (
    {"name": "duty", "role": "duty_manager", "display": "值班长 Duty Manager"},
    {"name": "staff", "role": "staff", "region": "north", "department": "ops-north",
     "display": "北区运检 Staff North"},
    {"name": "quality", "role": "quality", "display": "质量组 Quality"},
    {"name": "admin", "role": "admin", "lang": "en", "display": "Admin"},
)
"""One user per role for the demo; ``staff`` is routed the north region."""


def demo_init(path: Path, password: str | None = None) -> dict[str, str]:
    """Create the demo users (random passwords unless ``password``); returns name -> password (print once)."""
    out: dict[str, str] = {}
    for row in DEMO_USERS:
        password_ = password or secrets.token_urlsafe(9)
        extra = {k: v for k, v in row.items() if k not in ("name", "role")}
        add_user(path, row["name"], row["role"], password_, **extra)
        out[row["name"]] = password_
    return out
