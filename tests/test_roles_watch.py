"""The watch role: settings from the stack, units systemd accepts, nothing in user_data (no size, no secret),
and its checks' parsers against outputs of `id`, `stat`, `systemctl show` and `ps` in Debian 12's formats."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from role_specs import make_spec
from tools import require

from bothost.role import CommandResult, RenderContext
from bothost.userdata import render_user_data
from roles import all_roles
from roles.watch import STATUS_UNIT, STOP_PATH, UNIT, UNIT_DIR, WatchRole, WatchSettings, unit_files

TOKEN = "123456:TG-TOKEN-SENTINEL-77aa"
HOOK = "https://hooks.example.com/services/HOOK-SENTINEL-0b1c"
WATCH = {"channels": ["telegram", "webhook"], "telegramChatId": "42", "policy": "stop", "pollSeconds": 30}
SECRETS = {"telegramToken": TOKEN, "webhookUrl": HOOK}


def freqtrade_spec():
    return make_spec(
        bot={"preset": "freqtrade"}, botSecrets={"apiPassword": "pw"}, watch=WATCH, watchSecrets=SECRETS
    )


def settings(spec=None) -> WatchSettings:
    return WatchRole().settings(spec or freqtrade_spec(), RenderContext())


def ok(stdout: str, status: int = 0) -> CommandResult:
    return CommandResult(status, stdout, "")


def check(s: WatchSettings, check_id: str):
    return next(c for c in WatchRole().checks(s) if c.id == check_id)


def test_without_bothost_watch_the_role_does_nothing() -> None:
    spec = make_spec()
    role = WatchRole()
    s = role.settings(spec, RenderContext())
    assert s is None and role.changes(s).files == () and role.checks(s) == []
    assert isinstance(all_roles()[-1], WatchRole)


def test_settings_follow_the_stack_and_the_bot() -> None:
    s = settings()
    assert (s.policy, s.poll_seconds, s.channels) == ("stop", 30, ("telegram", "webhook"))
    assert (s.container, s.stop_grace, s.bot_api_url) == ("bothost-bot", 90, "http://127.0.0.1:8080")
    assert s.config()["bot"] == {
        "kind": "freqtrade", "api_url": "http://127.0.0.1:8080", "api_user": "freqtrader"
    }
    generic = settings(make_spec(bot={"image": "busybox"}, watch=WATCH, watchSecrets=SECRETS))
    assert generic.bot_api_url is None and generic.config()["bot"] == {}
    assert generic.container == "bothost-bot"
    hb = settings(
        make_spec(
            bot={"preset": "hummingbot", "env": {"SCRIPT_CONFIG": "pmm.yml"}},
            botSecrets={"configPassword": "pw"},
            watch=WATCH,
            watchSecrets=SECRETS,
        )
    )
    assert (hb.bot_api_kind, hb.bot_api_url) == ("hummingbot", "http://127.0.0.1:8091")  # the start script's
    assert settings(make_spec(watch=WATCH, watchSecrets=SECRETS)).container is None
    assert s.config()["stop_request"] == f"{s.state_dir}/stop-request"
    assert s.verify_seconds == 900  # watch.verifyMinutes' default
    hourly = settings(make_spec(watch={**WATCH, "verifyMinutes": 60}, watchSecrets=SECRETS))
    timer = next(f.content for f in unit_files(hourly) if f.path.endswith("bothost-watch-verify.timer"))
    assert "OnUnitActiveSec=3600s" in timer and hourly.config()["verify_stale_s"] == 2 * 3600 + 600


def test_nothing_reaches_user_data_so_its_size_and_secrets_are_untouched() -> None:
    with_watch = render_user_data(freqtrade_spec(), RenderContext())
    without = render_user_data(
        make_spec(bot={"preset": "freqtrade"}, botSecrets={"apiPassword": "pw"}), RenderContext()
    )
    assert with_watch == without
    assert TOKEN not in with_watch and HOOK not in with_watch
    assert WatchRole().changes(settings()).files == ()


def test_a_stop_request_starts_the_root_helper_at_once() -> None:
    """The path unit watches the file the watcher writes (its config) and the helper reads (its argv)."""
    s = settings()
    files = {f.path.rsplit("/", 1)[1]: f.content for f in unit_files(s)}
    watched = set(files[STOP_PATH].splitlines())
    assert {f"PathExists={s.config()['stop_request']}", f"Unit={STATUS_UNIT}"} <= watched
    assert f" {s.stop_request_path} " in files[STATUS_UNIT]
    assert STOP_PATH in next(c for c in WatchRole().checks(s) if c.id == "wat-02").command


def test_units_name_their_own_user_limits_and_sandbox() -> None:
    s = settings()
    unit = next(f.content for f in unit_files(s) if f.path == f"{UNIT_DIR}/{UNIT}")
    lines = set(unit.splitlines())
    for line in (
        "User=bothost-watch",
        "SupplementaryGroups=systemd-journal",
        "MemoryMax=128M",
        "CPUQuota=20%",
        "TasksMax=16",
        "ProtectSystem=strict",
        "ReadWritePaths=/var/lib/bothost-watch",
        "NoNewPrivileges=yes",
        "PrivateTmp=yes",
        "CapabilityBoundingSet=",
        "StateDirectoryMode=0700",
        f"LoadCredential=secrets:{s.secrets_path}",
        "Restart=always",
        "WantedBy=multi-user.target",
    ):
        assert line in lines, line
    assert TOKEN not in unit and HOOK not in unit  # tokens travel as a root-only credential file only


def test_systemd_accepts_every_unit(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    require("systemd-analyze", analyze)
    names = []
    for f in unit_files(settings()):
        if f.path.startswith(UNIT_DIR + "/"):
            (tmp_path / Path(f.path).name).write_text(f.content)
            names.append(f"./{Path(f.path).name}")
    done = subprocess.run(
        [analyze, "verify", "--man=no", *names], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0 and done.stderr.strip() == "", done.stderr


def test_systemd_analyze_catches_a_misspelt_directive(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    require("systemd-analyze", analyze)
    unit = next(f.content for f in unit_files(settings()) if f.path.endswith(UNIT))
    (tmp_path / UNIT).write_text(unit.replace("ProtectSystem=", "ProtectSystm="))
    done = subprocess.run(
        [analyze, "verify", "--man=no", f"./{UNIT}"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert "Unknown key" in done.stderr


def test_the_root_helper_is_python_the_host_runs() -> None:
    helper = next(f for f in unit_files(settings()) if f.path == settings().status_script)
    compile(helper.content, helper.path, "exec")
    assert helper.mode == "0755"


# `id bothost-watch` as Debian 12's coreutils prints it for a sysusers account (uid from 999 down).
ID_REAL = "uid=998(bothost-watch) gid=998(bothost-watch) groups=998(bothost-watch),101(systemd-journal)\n"


@pytest.mark.parametrize(
    ("stdout", "passed"),
    [
        (ID_REAL, True),
        (ID_REAL.replace(",101(systemd-journal)", ",101(systemd-journal),998(docker)"), False),
        (ID_REAL.replace(",101(systemd-journal)", ",27(sudo),101(systemd-journal)"), False),
        (ID_REAL.replace("998", "1000"), False),  # the admin's range
        (ID_REAL.replace("998", "10000"), False),  # the bot's range
        ("uid=0(root) gid=0(root) groups=0(root)\n", False),
    ],
)
def test_own_account_parser(stdout: str, passed: bool) -> None:
    assert check(settings(), "wat-01").evaluate(ok(stdout)).passed is passed


def test_own_account_missing_user() -> None:
    outcome = check(settings(), "wat-01").evaluate(
        CommandResult(1, "", "id: 'bothost-watch': no such user\n")
    )
    assert not outcome.passed and "no such user" in outcome.actual


def test_private_files_parser() -> None:
    s = settings()
    real = (f"{s.state_dir} 700 bothost-watch\n{s.config_dir} 700 root\n{s.secrets_path} 400 root\n"
            f"{s.verify_spec_path} 600 root\n")
    assert check(s, "wat-04").evaluate(ok(real)).passed
    loose = real.replace(f"{s.secrets_path} 400 root", f"{s.secrets_path} 644 root")
    outcome = check(s, "wat-04").evaluate(ok(loose))
    assert not outcome.passed and s.secrets_path in outcome.actual
    missing = CommandResult(1, real.splitlines()[0] + "\n", "stat: cannot statx: No such file or directory\n")
    assert not check(s, "wat-04").evaluate(missing).passed


def test_process_user_parser() -> None:
    s = settings()
    assert check(s, "wat-05").evaluate(ok("bothost-watch\n")).passed
    assert not check(s, "wat-05").evaluate(ok("root\n")).passed
    assert not check(s, "wat-05").evaluate(CommandResult(1, "", "")).passed  # MainPID=0: not running


def test_sandbox_parser_against_systemctl_show() -> None:
    """wat-03's real output, captured on the rehearsal VM (Debian 12, systemd 252) by test_vm_watch.py
    on 2026-11-29: bytes for MemoryMax, CPUQuota as CPUQuotaPerSecUSec, an empty capability set."""
    s = settings()
    real = (Path(__file__).parent / "golden" / "watch-systemctl-show.txt").read_text()
    assert check(s, "wat-03").evaluate(ok(real)).passed
    weakened = real.replace("NoNewPrivileges=yes", "NoNewPrivileges=no")
    outcome = check(s, "wat-03").evaluate(ok(weakened))
    assert not outcome.passed and "NoNewPrivileges=no" in outcome.actual
