"""Teardown pieces: graceful stop (SIGTERM within the grace period), staging commands, digests, checklist."""

from __future__ import annotations

import pytest
from deploy_fake import FakeDockerHost
from role_specs import make_spec

from bothost.errors import BothostError
from bothost.role import CommandResult
from bothost.runbook import teardown
from roles.bot.presets import stack_bot_settings
from roles.bot.settings import BotSettings


def bot_host(status: str | None = "running", exit_on_stop: int = 143) -> tuple[FakeDockerHost, BotSettings]:
    """The shared fake host with the generic bot's container in `status` (None: no container)."""
    host = FakeDockerHost(stop_exit_code=exit_on_stop)
    host.images["sha256:1"] = {"tags": {"me/bot:1"}, "labels": {}}
    if status is not None:
        host.run(["docker", "create", "--name", "bothost-bot", "me/bot:1"])
        host.run(["docker", "start", "bothost-bot"])
        if status != "running":
            host.run(["docker", "stop", "--time", "1", "bothost-bot"])
    return host, stack_bot_settings(make_spec(bot={"image": "me/bot:1"}))


@pytest.mark.parametrize(("code", "graceful", "mark"), [(143, True, "+"), (0, True, "+"), (137, False, "!")])
def test_stop_gives_the_grace_period_and_reports_how_the_bot_ended(code, graceful, mark) -> None:
    host, settings = bot_host(exit_on_stop=code)
    lines: list[str] = []
    stop = teardown.stop_bot(host, settings, lines.append)
    assert host.events[-2:] == ["stop bothost-bot --time 90", "update --restart no bothost-bot"]
    assert stop.graceful is graceful and stop.exit_code == code and lines[0].startswith(f"  {mark} bot:")


def test_stop_takes_the_deploy_lock_and_writes_the_audit_log_like_bothost_stop() -> None:
    host, settings = bot_host()
    teardown.stop_bot(host, settings, [].append)
    assert [line.split()[2:] for line in host.audit_lines] == [["bot.stop", "container=bothost-bot"]]


@pytest.mark.parametrize(("status", "text"), [("exited", "already stopped"), (None, "already removed")])
def test_stop_is_safe_to_rerun(status, text) -> None:
    host, settings = bot_host(status=status)
    events = len(host.events)
    lines: list[str] = []
    stop = teardown.stop_bot(host, settings, lines.append)
    assert stop.already_stopped and text in lines[0]
    assert host.events[events:] == []


def test_a_container_that_keeps_running_is_an_error() -> None:
    host, settings = bot_host()
    host._docker_stop = lambda args, stdin: CommandResult(0, "")
    with pytest.raises(BothostError, match="still running"):
        teardown.stop_bot(host, settings, [].append)


def test_export_commands_are_argument_lists_that_hand_the_files_to_the_admin() -> None:
    argvs = teardown.export_argv("/srv/bothost/data", "bothost-bot", "bothost")
    assert ["tar", "-C", "/srv/bothost/data", "-czf", "/var/tmp/bothost-export/data.tar.gz", "."] in argvs
    assert argvs[-1] == ["chown", "bothost:bothost", "/var/tmp/bothost-export/data.tar.gz",
                         "/var/tmp/bothost-export/bot.log"]
    assert all(isinstance(part, str) for argv in argvs for part in argv)


def test_remote_digests_parses_sha256sum() -> None:
    digest = "a" * 64
    remote = FakeDockerHost()
    remote.check = lambda argv, **kw: CommandResult(0, f"{digest}  /var/tmp/bothost-export/data.tar.gz\n"
                                                       f"{'b' * 64}  /var/tmp/bothost-export/bot.log\n")
    assert teardown.remote_digests(remote, ["data.tar.gz", "bot.log"]) == {"data.tar.gz": digest,
                                                                           "bot.log": "b" * 64}


def test_checklist_names_the_key_the_page_and_the_ip() -> None:
    text = teardown.exchange_checklist("Binance", "https://www.binance.com/en/my/settings/api-management",
                                       "AbCd", "198.51.100.4", released=True)
    assert "Delete the API key starting AbCd... at Binance (https://www.binance.com/" in text
    assert "Remove 198.51.100.4" in text and "someone else may get it" in text


@pytest.mark.parametrize("preset", ["freqtrade", "hummingbot", "generic"])
def test_every_preset_says_whether_it_cancels_open_orders(preset) -> None:
    assert teardown.CANCELS_ORDERS[preset]
