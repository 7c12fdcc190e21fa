"""The base role: the admin account in cloud-config, and the checks' parsers on real command output."""

from __future__ import annotations

import json
import re
import sys
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
# /run/cloud-init/status.json and result.json of cloud-init 22.4 (Debian 12) after a clean first boot.
STAGE = {"errors": [], "start": 1764000000.1, "finished": 1764000009.5}
STATUS = {"v1": {"datasource": "DataSourceNoCloud [seed=/dev/sr0][dsmode=net]", "init": STAGE,
                 "init-local": STAGE, "modules-config": STAGE, "modules-final": STAGE, "stage": None}}
RESULT = {"v1": {"datasource": "DataSourceNoCloud [seed=/dev/sr0][dsmode=net]", "errors": []}}
RUNCMD_FAILED = "('scripts_user', RuntimeError('Runparts: 1 failures (runcmd) in 1 attempted commands'))"
RESULT_FAILED = {"v1": {**RESULT["v1"], "errors": [RUNCMD_FAILED]}}


def stage(name: str, **change: object) -> dict:
    """STATUS with one stage changed."""
    return {"v1": {**STATUS["v1"], name: {**STAGE, **change}}}


# `systemd-analyze cat-config systemd/journald.conf` on the rehearsal VM (Debian 12), shortened.
DEBIAN_JOURNALD = """# /etc/systemd/journald.conf
[Journal]
#Storage=auto
#Compress=yes
#SystemMaxUse=
#SystemMaxFileSize=
"""
JOURNALD = DEBIAN_JOURNALD + """
# /etc/systemd/journald.conf.d/10-bothost.conf
# Managed by bothost: changes here are overwritten on the next deploy.
[Journal]
# Keep logs across reboots: an incident is investigated after the fact.
Storage=persistent
# Cap the journal so a chatty process cannot fill the disk the bot needs.
SystemMaxUse=200M
SystemMaxFileSize=32M
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


def test_authorized_keys_check_finds_what_ssh_keygen_finds(tmp_path: Path) -> None:
    """The in-process fingerprints equal ssh-keygen's, options and comments included."""
    keys = [admin_key("a@x"), admin_key("b@y")]
    s = BaseRole().settings(make_spec(adminSshKeys=keys), RenderContext())
    stranger = 'from="10.0.0.1",command="echo ssh-rsa x" ' + admin_key("intruder@z")
    argv = list(check("base-03", s).command)
    assert argv[-1] == "/home/bothost/.ssh/authorized_keys"
    path = tmp_path / "authorized_keys"
    for lines, passed in (([*keys], True), ([keys[0]], False), ([*keys, stranger], False),
                          (["# a comment", "", *keys], True)):
        path.write_text("\n".join(lines) + "\n")
        output = run([sys.executable, *argv[1:-1], str(path)])
        assert output.returncode == 0, output.stderr
        assert check("base-03", s).evaluate(CommandResult(0, output.stdout)).passed is passed
        real = run(["ssh-keygen", "-l", "-E", "sha256", "-f", str(path)]).stdout
        assert re.findall(r"SHA256:\S+", output.stdout) == re.findall(r"SHA256:\S+", real)
    missing = run([sys.executable, *argv[1:-1], str(tmp_path / "absent")])
    assert missing.returncode == 1 and "No such file" in missing.stderr
    assert not check("base-03", s).evaluate(CommandResult(1, "", missing.stderr)).passed


@pytest.mark.parametrize(("stdout", "passed"), [
    ("#  File generated by update-locale\nLANG=C.UTF-8\n", True),
    ('LANG="C.UTF-8"\n', True),
    ("LANG=en_GB.UTF-8\n", False),
    ("# LANG=C.UTF-8\nLANGUAGE=C.UTF-8\n", False),
    ("", False),
])
def test_locale_check(stdout: str, passed: bool) -> None:
    assert check("base-04").evaluate(CommandResult(0, stdout)).passed is passed


def test_timezone_check() -> None:
    s = BaseRole().settings(make_spec(timezone="Europe/Berlin"), RenderContext())
    shown = "Timezone={}\nLocalRTC=no\nCanNTP=yes\nNTP=yes\nNTPSynchronized=yes\n"
    assert check("base-05", s).evaluate(CommandResult(0, shown.format("Europe/Berlin"))).passed
    assert not check("base-05", s).evaluate(CommandResult(0, shown.format("Etc/UTC"))).passed
    assert not check("base-05", s).evaluate(CommandResult(0, "NTP=yes\n")).passed
    assert not check("base-05", s).evaluate(CommandResult(1, "", "Failed to connect to bus")).passed


@pytest.mark.parametrize(("stdout", "passed"), [
    (JOURNALD, True),
    (DEBIAN_JOURNALD, False),  # Debian's defaults: auto storage, no cap of ours
    # a later drop-in wins
    (JOURNALD + "\n# /etc/systemd/journald.conf.d/20-other.conf\n[Journal]\nSystemMaxUse=4G\n", False),
    (JOURNALD + "\n# /run/systemd/journald.conf.d/x.conf\n[Journal]\nStorage=volatile\n", False),
    (JOURNALD.replace("SystemMaxUse=200M", "SystemMaxUse=150M"), True),  # smaller than the cap
    (JOURNALD.replace("SystemMaxUse=200M", "SystemMaxUse=lots"), False),
])
def test_journal_check(stdout: str, passed: bool) -> None:
    assert check("base-06").evaluate(CommandResult(0, stdout)).passed is passed


@pytest.mark.parametrize(("status", "result", "passed"), [
    (STATUS, RESULT, True),
    (stage("modules-final", errors=[RUNCMD_FAILED]), RESULT_FAILED, False),
    (stage("modules-final", errors=[RUNCMD_FAILED]), RESULT, False),
    (STATUS, RESULT_FAILED, False),
    (stage("modules-config", recoverable_errors={"WARNING": ["Failed to run module locale"]}), RESULT, False),
    (stage("modules-final", recoverable_errors={}), {"v1": {**RESULT["v1"], "recoverable_errors": {}}}, True),
    ({"v1": {**STATUS["v1"], "stage": "modules-final"}}, RESULT, False),
    (stage("modules-final", finished=None), RESULT, False),
    ({"v1": {"datasource": None, "stage": None}}, RESULT, False),  # no stage ever ran
])
def test_cloud_init_check(status: dict, result: dict, passed: bool) -> None:
    stdout = json.dumps(status, indent=1) + "\n" + json.dumps(result, indent=1) + "\n"
    outcome = check("base-07").evaluate(CommandResult(0, stdout))
    assert outcome.passed is passed, outcome.actual


def test_cloud_init_check_on_real_files(tmp_path: Path) -> None:
    """The check's own argv (cat) on files as cloud-init writes them; no result.json yet: still running."""
    argv = list(check("base-07").command)
    assert argv[0] == "cat" and [Path(a).name for a in argv[1:]] == ["status.json", "result.json"]
    status, result = tmp_path / "status.json", tmp_path / "result.json"
    status.write_text(json.dumps(STATUS, indent=1))
    output = run(["cat", str(status), str(result)])
    outcome = check("base-07").evaluate(CommandResult(output.returncode, output.stdout, output.stderr))
    assert not outcome.passed and outcome.actual.startswith("not done")
    result.write_text(json.dumps(RESULT, indent=1))
    output = run(["cat", str(status), str(result)])
    outcome = check("base-07").evaluate(CommandResult(output.returncode, output.stdout, output.stderr))
    assert outcome.passed and outcome.actual == "done, no errors"
    assert not check("base-07").evaluate(CommandResult(0, "{}\n")).passed


# The lines of Debian 12's /etc/login.defs (login 1:4.13) around the keys the role sets.
LOGIN_DEFS = """\
#	UMASK		Default "umask" value.
# UMASK is the default umask value for pam_umask and is used by
# useradd and newusers to set the mode of the new home directories.
UMASK		022
HOME_MODE	0700
# Only works if ENCRYPT_METHOD is set to SHA256 or SHA512.
#SHA_CRYPT_MIN_ROUNDS 5000
#SHA_CRYPT_MAX_ROUNDS 5000
ENCRYPT_METHOD SHA512
"""


def base_check(check_id: str, s: BaseSettings | None = None):
    s = s or BaseRole().settings(make_spec(), RenderContext())
    return next(c for c in BaseRole().checks(s) if c.id == check_id)


def test_login_defs_edit_on_debian_file_is_idempotent_and_checked(tmp_path: Path) -> None:
    s = BaseRole().settings(make_spec(), RenderContext())
    sed = next(c for c in BaseRole().changes(s).commands if c[0] == "sed")
    path = tmp_path / "login.defs"
    path.write_text(LOGIN_DEFS)
    check = base_check("base-10", s)
    assert not check.evaluate(CommandResult(0, LOGIN_DEFS)).passed
    for _ in range(2):
        assert run([*sed[:-1], str(path)]).returncode == 0
        text = path.read_text()
        assert check.evaluate(CommandResult(0, text)).passed, text
    assert "UMASK\t\t022" not in text and text.count("UMASK 027") == 1
    assert "#SHA_CRYPT_MIN_ROUNDS 5000" in text and "HOME_MODE\t0700" in text  # the rest untouched


def test_banner_and_core_dump_checks() -> None:
    s = BaseRole().settings(make_spec(), RenderContext())
    files = {f.path: f.content for f in BaseRole().changes(s).files}
    banner = base_check("base-08", s)
    assert banner.evaluate(CommandResult(0, files["/etc/issue"] + files["/etc/issue.net"])).passed
    debian = "Debian GNU/Linux 12 \\n \\l\n\n"
    assert not banner.evaluate(CommandResult(0, debian + files["/etc/issue.net"])).passed
    legal = ("authori", "monitor", "log", "audit", "prohibited", "law", "private", "access")
    assert sum(word in s.issue.lower() for word in legal) >= 5  # Lynis BANN-7126 wants five of its words
    limits = files["/etc/security/limits.d/10-bothost.conf"]
    assert "* hard core 0\n" in limits and "* soft core 0\n" in limits
    cores = base_check("base-09", s)
    assert cores.evaluate(CommandResult(0, "0\n")).passed
    assert not cores.evaluate(CommandResult(0, "unlimited\n")).passed


# /etc/pam.d/common-session and common-password on Debian 12 after pam-auth-update enabled the two packages.
PAM_SESSION = """# here are the per-package modules (the "Primary" block)
session\t[default=1]\t\t\tpam_permit.so
session\trequisite\t\t\tpam_deny.so
session\trequired\t\t\tpam_permit.so
session optional\t\t\tpam_umask.so
session\trequired\tpam_unix.so
session\toptional\t\t\tpam_tmpdir.so
session\toptional\tpam_systemd.so
"""
PAM_PASSWORD = """password\trequisite\t\t\tpam_passwdqc.so
password\t[success=1 default=ignore]\tpam_unix.so obscure use_authtok try_first_pass yescrypt
password\trequisite\t\t\tpam_deny.so
password\trequired\t\t\tpam_permit.so
"""


def test_pam_modules_check() -> None:
    s = BaseRole().settings(make_spec(), RenderContext())
    pam = base_check("base-12", s)
    assert {"libpam-tmpdir", "libpam-passwdqc"} <= set(BaseRole().changes(s).packages)
    assert pam.evaluate(CommandResult(0, PAM_SESSION + PAM_PASSWORD)).passed
    commented = PAM_SESSION.replace("session\toptional\t\t\tpam_tmpdir.so", "# session pam_tmpdir.so")
    result = pam.evaluate(CommandResult(0, commented + PAM_PASSWORD))
    assert not result.passed and result.actual == "missing: session pam_tmpdir.so"
    # a module on the wrong kind of line does not count
    swapped = PAM_PASSWORD.replace("password\trequisite", "session\trequisite")
    assert not pam.evaluate(CommandResult(0, PAM_SESSION + swapped)).passed
    assert not pam.evaluate(CommandResult(1, "", "cat: /etc/pam.d/common-password: No such file")).passed


@pytest.mark.parametrize("shell", ["bash", "sh"])
def test_profile_sets_a_read_only_session_timeout_in_real_shells(tmp_path: Path, shell: str) -> None:
    """The profile file, sourced by a real shell: TMOUT set, exported, read-only; no core dumps."""
    s = BaseRole().settings(make_spec(), RenderContext())
    files = {f.path: f.content for f in BaseRole().changes(s).files}
    profile = tmp_path / "10-bothost.sh"
    profile.write_text(files["/etc/profile.d/10-bothost.sh"])
    script = f'. {profile}; env | grep ^TMOUT=; ulimit -c; (TMOUT=0) 2>/dev/null || echo "refused: $TMOUT"'
    result = run([shell, "-c", script])
    assert result.stdout.split("\n")[:3] == ["TMOUT=900", "0", "refused: 900"], result
    timeout = base_check("base-11", s)
    assert timeout.evaluate(CommandResult(0, profile.read_text())).passed


@pytest.mark.parametrize(("text", "actual"), [
    ("TMOUT=900\nexport TMOUT\n", "TMOUT=900, not read-only, exported"),
    ("TMOUT=3600\nreadonly TMOUT\nexport TMOUT\n", "TMOUT=3600, read-only, exported"),
    ("# TMOUT=900\nreadonly TMOUT\nexport TMOUT\n", "TMOUT=unset, read-only, exported"),
    ("TMOUT=0\nreadonly TMOUT\nexport TMOUT\n", "TMOUT=0, read-only, exported"),
])
def test_session_timeout_check_refuses_weak_profiles(text: str, actual: str) -> None:
    result = base_check("base-11").evaluate(CommandResult(0, text))
    assert not result.passed and result.actual == actual


def test_private_paths_command_and_check_on_real_files(tmp_path: Path) -> None:
    """The cron tables lose group and other access (missing ones are skipped); the check reads the result."""
    s = BaseRole().settings(make_spec(), RenderContext())
    command = next(c for c in BaseRole().changes(s).commands if "private-paths" in c)
    crontab, cron_d = tmp_path / "crontab", tmp_path / "cron.d"
    crontab.write_text("# m h dom mon dow user command\n")
    crontab.chmod(0o644)
    cron_d.mkdir(mode=0o755)
    result = run([*command[:4], str(crontab), str(cron_d), str(tmp_path / "cron.hourly")])
    assert result.returncode == 0, result.stderr
    assert (crontab.stat().st_mode & 0o777, cron_d.stat().st_mode & 0o777) == (0o600, 0o700)
    assert command[4:] == CRON
    assert ("chmod", "0750", "/home/bothost") in BaseRole().changes(s).commands


CRON = ("/etc/crontab", "/etc/cron.d", "/etc/cron.hourly", "/etc/cron.daily", "/etc/cron.weekly",
        "/etc/cron.monthly")


def paths_seen(home: str = "0750", cron: str = "0700 root:root", **changed: str) -> str:
    """mode_owner output for the home and cron paths, with some lines changed (keyword: base name)."""
    lines = {"/home/bothost": f"{home} bothost:bothost", **{path: cron for path in CRON}}
    lines.update({f"/etc/{name.replace('_', '.')}": value for name, value in changed.items()})
    return "".join(f"{path} {value}\n" for path, value in lines.items())


@pytest.mark.parametrize(("stdout", "passed"), [
    (paths_seen(), True),
    (paths_seen(home="0700", cron="absent"), True),  # a host without cron
    (paths_seen(home="0755"), False),  # Debian's default home
    (paths_seen(crontab="0644 root:root"), False),  # Debian's crontab
    (paths_seen(cron_d="0700 bothost:root"), False),
    (paths_seen(home="absent"), False),
    (paths_seen().replace("/etc/cron.daily 0700 root:root\n", ""), False),  # a path not reported
])
def test_private_paths_check(stdout: str, passed: bool) -> None:
    assert base_check("base-13").evaluate(CommandResult(0, stdout)).passed is passed
