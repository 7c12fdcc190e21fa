"""The bot's uid is no host account and its data lives under bothost's root: the host-side programs run
for real here (a process under another uid, real directories and symlinks), and the parsers judge them."""

from __future__ import annotations

import json
import os
import pwd
import subprocess
import sys
from pathlib import Path

import pytest
from fake_engine import fake_engine
from role_specs import make_spec, require_root

from bothost.role import CommandResult, RenderContext
from roles.bot import BotRole
from roles.bot.identity import BOT_IDENTITY_SCRIPT, DATA_DIR_SCRIPT, data_dir_owned, uid_is_no_account
from roles.bot.settings import BOT_UID, DATA_ROOT


def check(preset: str, check_id: str):
    bot = {"preset": preset} if preset != "generic" else {"image": "me/bot@sha256:" + "c" * 64}
    if preset == "hummingbot":
        bot["env"] = {"SCRIPT_CONFIG": "pmm.yml"}
    spec = make_spec(bot=bot, botSecrets={"apiPassword": "p", "configPassword": "c"})
    s = BotRole().settings(spec, RenderContext())
    return s, next(c for c in BotRole().checks(s) if c.id == check_id)


def identity_of(pid: int, tmp_path: Path) -> CommandResult:
    """BOT_IDENTITY_SCRIPT against a fake Engine API that reports `pid` as the container's process."""
    engine = tmp_path / "docker.sock"
    with fake_engine(engine, {"/containers/bothost-bot/json": {"State": {"Pid": pid}}}):
        done = subprocess.run([sys.executable, "-S", "-c", BOT_IDENTITY_SCRIPT, str(engine), "bothost-bot"],
                              capture_output=True, text=True)
    return CommandResult(done.returncode, done.stdout, done.stderr)


def test_every_preset_runs_as_the_bot_uid() -> None:
    for preset in ("generic", "freqtrade", "hummingbot"):
        s, bot18 = check(preset, "bot-18")
        assert s.user == f"{BOT_UID}:{BOT_UID}" and bot18.expected == f"{BOT_UID}:{BOT_UID}, no account"
    with pytest.raises(KeyError):
        pwd.getpwuid(BOT_UID)  # this machine, like a fresh Debian host, has no account with the bot uid


def test_a_process_under_the_bot_uid_belongs_to_no_account(tmp_path: Path) -> None:
    require_root("running a process as another uid")
    sleeper = subprocess.Popen(["sleep", "30"], user=BOT_UID, group=BOT_UID, extra_groups=[])
    try:
        result = identity_of(sleeper.pid, tmp_path)
    finally:
        sleeper.kill()
    assert json.loads(result.stdout)["uids"] == [BOT_UID] * 4
    _, bot17 = check("generic", "bot-18")
    outcome = bot17.evaluate(result)
    assert outcome.passed and "accounts: none" in outcome.actual, outcome.actual


def test_a_process_under_a_host_account_fails(tmp_path: Path) -> None:
    result = identity_of(os.getpid(), tmp_path)  # this test's own process: a real account (root here)
    ours = pwd.getpwuid(os.getuid()).pw_name
    seen = uid_is_no_account(f"{os.getuid()}:{os.getgid()}")(result)
    assert not seen.passed and f"accounts: {ours}" in seen.actual
    _, bot17 = check("generic", "bot-18")
    assert not bot17.evaluate(result).passed  # and it is not the configured uid either


def test_the_core_limit_is_the_kernels_view_of_the_bots_process(tmp_path: Path) -> None:
    """bot-21 reads /proc/PID/limits of the container's process: 0/0 passes, anything else fails."""
    import resource
    import subprocess as sp

    no_core = sp.Popen(["sleep", "30"], preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_CORE, (0, 0)))
    loose = sp.Popen(["sleep", "30"], preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_CORE, (0, 4096)))
    try:
        results = [identity_of(p.pid, tmp_path) for p in (no_core, loose)]
    finally:
        no_core.kill()
        loose.kill()
    _, bot21 = check("generic", "bot-21")
    passed, failed = (bot21.evaluate(r) for r in results)
    assert passed.passed and passed.actual == "core file size 0/0", passed
    assert not failed.passed and failed.actual == "core file size 0/4096", failed
    assert json.loads(results[1].stdout)["core"] == ["0", "4096"]


def test_a_stopped_container_fails(tmp_path: Path) -> None:
    result = identity_of(0, tmp_path)
    assert result.exit_status != 0 and "not running" in result.stderr
    assert not check("generic", "bot-18")[1].evaluate(result).passed


def data_dir_result(root: Path, data: Path) -> CommandResult:
    done = subprocess.run([sys.executable, "-S", "-c", DATA_DIR_SCRIPT, str(root), str(data)],
                          capture_output=True, text=True)
    return CommandResult(done.returncode, done.stdout, done.stderr)


def test_data_dir_check_on_real_directories(tmp_path: Path) -> None:
    require_root("chown to the bot uid")
    root = tmp_path / "srv-bothost"
    data = root / "data"
    data.mkdir(parents=True)
    root.chmod(0o755)
    os.chown(data, BOT_UID, BOT_UID)
    owner = f"{BOT_UID}:{BOT_UID}"
    judge = data_dir_owned(str(root), str(data), owner)
    assert judge(data_dir_result(root, data)).passed
    root.chmod(0o775)
    assert not judge(data_dir_result(root, data)).passed  # a group may replace the bot's directory
    root.chmod(0o755)
    os.chown(data, 0, 0)
    assert not judge(data_dir_result(root, data)).passed  # not the bot's
    etc = tmp_path / "etc"
    etc.mkdir()
    os.chown(etc, BOT_UID, BOT_UID)
    data.rmdir()
    data.symlink_to(etc)
    failed = judge(data_dir_result(root, data))
    assert not failed.passed and f"resolves to {etc}" in failed.actual  # a symlink out of the root
    outside = data_dir_owned(str(root), str(etc), owner)(data_dir_result(root, etc))
    assert not outside.passed  # owned by the bot, but not under the root


def test_the_real_data_root_is_checked() -> None:
    s, bot18 = check("generic", "bot-19")
    assert bot18.command[-2:] == (DATA_ROOT, s.data_dir) and s.data_dir.startswith(DATA_ROOT + "/")
    assert (DATA_ROOT, "0755", "0:0") in s.directories()  # first boot and every deploy make it root's
