"""The base role: the admin account in cloud-config, and the checks' parsers on real command output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from role_specs import admin_key, make_spec, run

from bothost.role import CommandResult, RenderContext
from roles.base import BaseRole, BaseSettings

SUDO_OK = """Matching Defaults entries for bothost on bothost-prod:
    env_reset, mail_badpass, secure_path=/usr/local/sbin\\:/usr/local/bin\\:/usr/sbin\\:/usr/bin, use_pty

User bothost may run the following commands on bothost-prod:
    (ALL : ALL) ALL
    (ALL) NOPASSWD: ALL
"""
SUDO_PASSWORD = SUDO_OK.replace("    (ALL) NOPASSWD: ALL\n", "")
SUDO_NONE = "User bothost is not allowed to run sudo on bothost-prod.\n"
# `cloud-init status --format json` of cloud-init 22.4 (Debian 12), and the extra fields of 23.4 and later.
CLOUD_INIT_DONE = {"_schema_version": "1", "boot_status_code": "enabled-by-generator",
                   "datasource": "nocloud",
                   "detail": "DataSourceNoCloud [seed=/dev/sr0][dsmode=net]", "errors": [],
                   "last_update": "Mon, 24 Nov 2025 10:02:11 +0000", "status": "done"}
JOURNALD = """Journal started
Runtime Journal (/run/log/journal/5f1c...) is 4.8M, max 38.4M, 33.6M free.
Time spent on flushing to /var/log/journal/5f1c... is 35.312ms for 712 entries.
System Journal (/var/log/journal/5f1c4be1e5e84d8bbd0bd1f55ae2b4c6) is 8.0M, max 4.0G, 3.9G free.
Journal stopped
Journal started
System Journal (/var/log/journal/5f1c4be1e5e84d8bbd0bd1f55ae2b4c6) is 8.0M, max 200.0M, 192.0M free.
"""


def check(check_id: str, s: BaseSettings | None = None):
    s = s or BaseRole().settings(make_spec(), RenderContext())
    return next(c for c in BaseRole().checks(s) if c.id == check_id)


def test_cloud_config_user() -> None:
    keys = [admin_key("a@x"), admin_key("b@y")]
    spec = make_spec(adminUser="ops", adminSshKeys=keys, timezone="Europe/Berlin")
    config = BaseRole().changes(BaseRole().settings(spec, RenderContext())).cloud_config
    (user,) = config["users"]
    assert user["name"] == "ops" and user["lock_passwd"] is True and user["groups"] == ["sudo"]
    assert user["sudo"] == "ALL=(ALL) NOPASSWD:ALL" and user["ssh_authorized_keys"] == keys
    assert config["disable_root"] is True and config["timezone"] == "Europe/Berlin"
    assert config["locale"] in ("C.UTF-8", "en_US.UTF-8")


@pytest.mark.parametrize(("result", "passed"), [
    (CommandResult(0, SUDO_OK), True),
    (CommandResult(0, SUDO_PASSWORD), False),
    (CommandResult(0, SUDO_NONE), False),
    (CommandResult(1, "", "sudo: unknown user bothost"), False),
])
def test_sudo_check(result: CommandResult, passed: bool) -> None:
    assert check("base-01").evaluate(result).passed is passed


@pytest.mark.parametrize(("stdout", "passed"), [
    ("bothost L 2025-11-24 0 99999 7 -1\n", True),
    ("bothost P 2025-11-24 0 99999 7 -1\n", False),
    ("bothost NP 2025-11-24 0 99999 7 -1\n", False),
])
def test_password_locked_check(stdout: str, passed: bool) -> None:
    assert check("base-02").evaluate(CommandResult(0, stdout)).passed is passed


def test_authorized_keys_check_on_real_ssh_keygen_output(tmp_path: Path) -> None:
    keys = [admin_key("a@x"), admin_key("b@y")]
    s = BaseRole().settings(make_spec(adminSshKeys=keys), RenderContext())
    stranger = admin_key("intruder@z")
    for lines, passed in (([*keys], True), ([keys[0]], False), ([*keys, stranger], False)):
        path = tmp_path / "authorized_keys"
        path.write_text("\n".join(lines) + "\n")
        argv = list(check("base-03", s).command)
        assert argv[-1] == "/home/bothost/.ssh/authorized_keys"
        output = run([*argv[:-1], str(path)])
        assert output.returncode == 0, output.stderr
        assert check("base-03", s).evaluate(CommandResult(0, output.stdout)).passed is passed
    missing = CommandResult(255, "", "/home/bothost/.ssh/authorized_keys: No such file or directory")
    assert not check("base-03", s).evaluate(missing).passed


@pytest.mark.parametrize(("stdout", "passed"), [
    ("   System Locale: LANG=C.UTF-8\n       VC Keymap: (unset)\n      X11 Layout: (unset)\n", True),
    ("   System Locale: LANG=en_GB.UTF-8\n", False),
    ("   System Locale: n/a\n", False),
])
def test_locale_check(stdout: str, passed: bool) -> None:
    assert check("base-04").evaluate(CommandResult(0, stdout)).passed is passed


def test_timezone_check() -> None:
    s = BaseRole().settings(make_spec(timezone="Europe/Berlin"), RenderContext())
    assert check("base-05", s).evaluate(CommandResult(0, "Europe/Berlin\n")).passed
    assert not check("base-05", s).evaluate(CommandResult(0, "Etc/UTC\n")).passed


@pytest.mark.parametrize(("stdout", "passed"), [
    (JOURNALD, True),  # the last message (after our restart) counts
    (JOURNALD.rsplit("Journal started", 1)[0], False),  # still the 4.0G default
    ("Journal started\nRuntime Journal (/run/log/journal/5f1c) is 4.8M, max 38.4M, 33.6M free.\n", False),
    ("System Journal (/var/log/journal/5f1c) is 8.0M, max 150.5M, 100.0M free.\n", True),  # capped by disk
])
def test_journal_check(stdout: str, passed: bool) -> None:
    assert check("base-06").evaluate(CommandResult(0, stdout)).passed is passed


@pytest.mark.parametrize(("status", "exit_status", "passed"), [
    (CLOUD_INIT_DONE, 0, True),
    ({**CLOUD_INIT_DONE, "status": "running"}, 0, False),
    ({**CLOUD_INIT_DONE, "status": "error",
      "errors": ["('scripts_user', RuntimeError('Runparts: 1 failures (runcmd) in 1 attempted commands'))"]},
     1, False),
    ({**CLOUD_INIT_DONE, "extended_status": "degraded done",
      "recoverable_errors": {"WARNING": ["Failed to run module locale"]}}, 2, False),
    ({**CLOUD_INIT_DONE, "extended_status": "done", "recoverable_errors": {}}, 0, True),
])
def test_cloud_init_check(status: dict, exit_status: int, passed: bool) -> None:
    outcome = check("base-07").evaluate(CommandResult(exit_status, json.dumps(status, indent=2)))
    assert outcome.passed is passed, outcome.actual


def test_cloud_init_check_on_this_machine() -> None:
    """The parser reads the real command's output (here cloud-init has not run: not done)."""
    if not Path("/usr/bin/cloud-init").exists():
        pytest.skip("cloud-init is not installed")
    output = run(["cloud-init", "status", "--format", "json"])
    outcome = check("base-07").evaluate(CommandResult(output.returncode, output.stdout, output.stderr))
    assert not outcome.passed and outcome.actual.startswith("not run")
