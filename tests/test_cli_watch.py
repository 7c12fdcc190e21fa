"""`bothost alert test` and `bothost report`: wired to the host through the session, tokens kept off output,
the report built from real-format journal lines and audit log lines."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from fakes.watch_channels import FakeChannel
from role_specs import default_key

from bothost.cli import cli
from bothost.role import CommandResult
from bothost.watch.report import build_report, render
from roles.watch import TEST_UNIT, UNIT

TARGET = [
    "--host",
    "127.0.0.1",
    "--port",
    "2222",
    "--host-key",
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHM8p2zW3ZlsbqQcNq2BNa0RDk8vg9k3Jw+VslVkRqDs",
]
HOOK_PATH = "/hook/WEBHOOK-PATH-SENTINEL-9a7f"
GOLDEN = Path(__file__).parent / "golden"


def stack_file(tmp_path: Path) -> Path:
    config = {
        "bothost:adminSshKeys": [default_key()],
        "bothost:adminCidrs": ["203.0.113.7/32"],
        "bothost:watch": {"channels": ["webhook"]},
        "bothost:watchSecrets": {"webhookUrl": {"secure": "v1:AAAA"}},
    }
    path = tmp_path / "Pulumi.test.yaml"
    path.write_text(yaml.safe_dump({"config": config}))
    return path


class Recorder:
    """A host that answers the few commands these verbs run, and records them."""

    def __init__(self, answers: dict[str, str]) -> None:
        self.answers, self.commands = answers, []

    def run(self, argv: list[str], **_: object) -> CommandResult:
        self.commands.append(list(argv))
        joined = " ".join(argv)
        for needle, stdout in self.answers.items():
            if needle in joined:
                return CommandResult(0, stdout, "")
        return CommandResult(0, "", "")


def use(monkeypatch: pytest.MonkeyPatch, host: Recorder) -> None:
    @contextlib.contextmanager
    def connect(target: object):
        yield host

    monkeypatch.setattr("bothost.cli.session.connect_host", connect)
    monkeypatch.setattr("shutil.which", lambda name: None)


def test_alert_test_runs_the_hosts_test_unit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = json.dumps({"event": "test", "channel": "webhook", "ok": True}) + "\n"
    host = Recorder({"InvocationID": "0123abcd\n", "_SYSTEMD_INVOCATION_ID=0123abcd": lines})
    use(monkeypatch, host)
    result = CliRunner().invoke(cli, ["alert", "test", *TARGET, "--config", str(stack_file(tmp_path))])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "webhook: sent"
    assert ["systemctl", "start", TEST_UNIT] in host.commands


def test_alert_test_fails_when_a_channel_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = json.dumps(
        {"event": "test", "channel": "webhook", "ok": False, "error": "webhook: refused (HTTP 404)"}
    )
    use(monkeypatch, Recorder({"InvocationID": "x\n", "_SYSTEMD_INVOCATION_ID=x": lines}))
    result = CliRunner().invoke(cli, ["alert", "test", *TARGET, "--config", str(stack_file(tmp_path))])
    assert result.exit_code != 0 and "webhook: refused (HTTP 404)" in result.output


def test_alert_test_without_a_deployed_watcher_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use(monkeypatch, Recorder({}))
    result = CliRunner().invoke(cli, ["alert", "test", *TARGET, "--config", str(stack_file(tmp_path))])
    assert result.exit_code != 0


def test_alert_test_local_sends_from_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hook = FakeChannel()
    try:
        monkeypatch.setattr("shutil.which", lambda name: None)
        monkeypatch.setenv("BOTHOST_WATCH_SECRETS_WEBHOOK_URL", hook.base + HOOK_PATH)
        result = CliRunner().invoke(cli, ["alert", "test", "--local", "--config", str(stack_file(tmp_path))])
    finally:
        hook.close()
    assert result.exit_code == 0, result.output
    assert "webhook: sent" in result.output and HOOK_PATH not in result.output
    assert len(hook.texts()) == 1


SSHD = GOLDEN / "watch-sshd-journal.json"


def watcher_journal() -> str:
    """Watcher events as `journalctl -o json` shows a service's stdout (MESSAGE, __REALTIME_TIMESTAMP)."""
    events = [
        {"event": "start", "channels": ["webhook"], "policy": "alert"},
        {"event": "fill", "exchange": "okx", "pair": "BTC-USDT", "bot": True},
        {"event": "fill", "exchange": "okx", "pair": "BTC-USDT", "bot": True},
        {"event": "fill", "exchange": "okx", "pair": "SYS-USDT", "bot": False},
        {"event": "alarm", "text": "bothost watch: okx: fill on SYS-USDT, a pair the bot does not trade"},
        {"event": "tick", "alarms": 1},
    ]
    return "".join(
        json.dumps(
            {
                "__REALTIME_TIMESTAMP": str(1_795_000_000_000_000 + i),
                "_SYSTEMD_UNIT": UNIT,
                "MESSAGE": json.dumps(e),
            }
        )
        + "\n"
        for i, e in enumerate(events)
    )


AUDIT = (
    "2026-10-01T10:00:00Z alice@laptop bot.start container=bothost-bot image=sha256:aa\n"
    "2026-11-29T10:00:00Z alice@laptop bot.swap container=bothost-bot image=sha256:bb spec=123\n"
    "2026-11-29T10:01:00Z alice@laptop watch.install changed=watch.pyz\n"
)


def test_report_counts_logins_deploys_alarms_and_fills() -> None:
    report = build_report(SSHD.read_text(), watcher_journal(), AUDIT, "2026-11-01T00:00:00Z")
    assert report["logins"] and all(
        item["text"].startswith("SSH login: bothost") for item in report["logins"]
    )
    assert [d["action"] for d in report["deploys"]] == ["bot.swap", "watch.install"]
    assert report["fills"] == {
        "BTC-USDT": {"bot": 2, "unexplained": 0},
        "SYS-USDT": {"bot": 0, "unexplained": 1},
    }
    assert report["unexplained_fills"] == 1 and len(report["alarms"]) == 1
    text = "\n".join(render(report))
    assert "fills: 3, unexplained 1" in text and "SYS-USDT: bot 0, unexplained 1" in text


def test_report_verb_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    host = Recorder(
        {"SYSLOG_IDENTIFIER=sshd": SSHD.read_text(), f"-u {UNIT}": watcher_journal(), "cat ": AUDIT}
    )
    use(monkeypatch, host)
    result = CliRunner().invoke(
        cli, ["report", *TARGET, "--days", "7", "--json", "--config", str(stack_file(tmp_path))]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["unexplained_fills"] == 1
    assert any("--since" in c and "-7d" in c for c in host.commands)
