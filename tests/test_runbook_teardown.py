"""Teardown pieces: graceful stop (SIGTERM within the grace period), staging commands, digests, checklist."""

from __future__ import annotations

import pytest

from bothost.errors import BothostError
from bothost.role import CommandResult
from bothost.runbook import teardown


class FakeDocker:
    """A container that answers docker inspect/stop/update; `exit_on_stop` is its exit code."""

    def __init__(self, status: str | None = "running", exit_on_stop: int = 143) -> None:
        self.status, self.code, self.exit_on_stop, self.argvs = status, 0, exit_on_stop, []

    def run(self, argv, **kwargs) -> CommandResult:
        self.argvs.append(list(argv))
        if argv[:2] == ["docker", "inspect"]:
            if self.status is None:
                return CommandResult(1, "", "No such object")
            return CommandResult(0, f"{self.status} {self.code}\n")
        if argv[:2] == ["docker", "stop"]:
            self.status, self.code = "exited", self.exit_on_stop
        return CommandResult(0, "")

    def check(self, argv, **kwargs) -> CommandResult:
        return self.run(argv, **kwargs)


@pytest.mark.parametrize(("code", "graceful", "mark"), [(143, True, "+"), (0, True, "+"), (137, False, "!")])
def test_stop_gives_the_grace_period_and_reports_how_the_bot_ended(code, graceful, mark) -> None:
    docker, lines = FakeDocker(exit_on_stop=code), []
    stop = teardown.stop_bot(docker, "bothost-bot", 90, lines.append)
    assert ["docker", "stop", "--time", "90", "bothost-bot"] in docker.argvs
    assert ["docker", "update", "--restart", "no", "bothost-bot"] in docker.argvs
    assert stop.graceful is graceful and stop.exit_code == code and lines[0].startswith(f"  {mark} bot:")


@pytest.mark.parametrize(("status", "text"), [("exited", "already stopped"), (None, "already removed")])
def test_stop_is_safe_to_rerun(status, text) -> None:
    docker, lines = FakeDocker(status=status), []
    stop = teardown.stop_bot(docker, "bothost-bot", 90, lines.append)
    assert stop.already_stopped and text in lines[0]
    assert not any(a[:2] == ["docker", "stop"] for a in docker.argvs)


def test_a_container_that_keeps_running_is_an_error() -> None:
    docker = FakeDocker()
    docker.run = lambda argv, **kw: CommandResult(0, "running 0\n" if argv[1] == "inspect" else "")
    with pytest.raises(BothostError, match="still running"):
        teardown.stop_bot(docker, "bothost-bot", 5, [].append)


def test_export_commands_are_argument_lists_that_hand_the_files_to_the_admin() -> None:
    argvs = teardown.export_argv("/srv/bothost/data", "bothost-bot", "bothost")
    assert ["tar", "-C", "/srv/bothost/data", "-czf", "/var/tmp/bothost-export/data.tar.gz", "."] in argvs
    assert argvs[-1] == ["chown", "bothost:bothost", "/var/tmp/bothost-export/data.tar.gz",
                         "/var/tmp/bothost-export/bot.log"]
    assert all(isinstance(part, str) for argv in argvs for part in argv)


def test_remote_digests_parses_sha256sum() -> None:
    digest = "a" * 64
    remote = FakeDocker()
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
