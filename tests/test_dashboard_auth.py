"""Users file, bcrypt, roles and the command rules (pure parts of the board; no server needed)."""
from __future__ import annotations

import doctest
import stat

import pytest
from typer.testing import CliRunner

import dashboard.actions
import dashboard.auth
import dashboard.components
import dashboard.config
import dashboard.playbooks
import dashboard.sound
import dashboard.views.history
import dashboard.views.staff
import yujing.i18n
from dashboard.actions import NotAllowed, build_command
from dashboard.auth import User, add_user, authenticate, can, load_users


@pytest.mark.parametrize("mod", [dashboard.actions, dashboard.auth, dashboard.components, dashboard.config,
                                 yujing.i18n, dashboard.playbooks, dashboard.sound, dashboard.views.history,
                                 dashboard.views.staff])
def test_doctests(mod):
    result = doctest.testmod(mod)
    assert result.failed == 0 and result.attempted > 0


def test_users_file_holds_only_bcrypt_hashes(tmp_path):
    path = tmp_path / "var" / "users.toml"
    add_user(path, "li", "staff", "s3cret-pass", region="north", department="ops", lang="en")
    text = path.read_text()
    assert "s3cret-pass" not in text and "$2b$" in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert authenticate(path, "li", "s3cret-pass").region == "north"
    assert authenticate(path, "li", "wrong") is None and authenticate(path, "nobody", "s3cret-pass") is None
    with pytest.raises(ValueError):
        add_user(path, "x", "boss", "long-enough")


def test_users_cli_add_and_demo_init(tmp_path):
    from yujing.cli import app
    path = tmp_path / "u.toml"
    r = CliRunner().invoke(app, ["users", "add", "wang", "--role", "duty_manager", "--password", "pw-123456",
                                 "--lang", "en", "--file", str(path)])
    assert r.exit_code == 0, r.output
    assert load_users(path)["wang"].role == "duty_manager"
    r = CliRunner().invoke(app, ["users", "demo-init", "--file", str(path)])
    assert r.exit_code == 0, r.output
    users = load_users(path)
    assert {u.role for u in users.values()} == {"duty_manager", "staff", "quality", "admin"}
    pw = {line.split()[0]: line.split()[-1] for line in r.output.splitlines()[1:]}
    assert authenticate(path, "staff", pw["staff"]) is not None


def test_staff_cannot_silence_or_resolve_red():
    staff, duty = User("li", "staff", ""), User("wang", "duty_manager", "")
    red = {"alert_id": "a1", "fingerprint": "f1", "tier": "red", "kind": "receive_lag", "scope": {"region": "n"}}
    for action in ("silence", "resolve"):
        with pytest.raises(NotAllowed):
            build_command(staff, action, red, until=2e9, reason="storm")
    assert build_command(staff, "ack", red)["action"] == "ack"
    cmd = build_command(duty, "silence", red, until=2e9, reason="planned outage")
    assert cmd["matchers"] == {"kind": "receive_lag", "region": "n"} and cmd["by"] == "wang"
    assert not can("quality", "ack") and can("quality", "label")


def test_silence_needs_expiry_and_reason():
    duty = User("wang", "duty_manager", "")
    alert = {"alert_id": "a1", "fingerprint": "f1", "tier": "orange"}
    with pytest.raises(ValueError):
        build_command(duty, "silence", alert, reason="x")
    with pytest.raises(ValueError):
        build_command(duty, "silence", alert, until=2e9, reason="  ")
