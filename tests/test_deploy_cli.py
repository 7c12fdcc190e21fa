"""The deploy, status, logs and stop commands: help, wiring to the deploy module, secrets kept off output."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from deploy_fake import FakeDockerHost
from role_specs import default_key

from bothost.cli import cli
from bothost.keyaudit.audit import AuditResult
from bothost.keyaudit.verdict import Finding
from bothost.rehearsal.demo_image import write_demo_image

EXCHANGE_SECRET = "exchange-secret-from-env-31337"
TELEGRAM = "telegram-token-from-env-4242"
TARGET = ["--host", "127.0.0.1", "--port", "2222", "--host-key",
          "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHM8p2zW3ZlsbqQcNq2BNa0RDk8vg9k3Jw+VslVkRqDs"]


@pytest.mark.parametrize("verb", ["deploy", "status", "logs", "stop"])
def test_help(verb: str) -> None:
    result = CliRunner().invoke(cli, [verb, "--help"])
    assert result.exit_code == 0 and "--host" in result.output and "--config" in result.output


def stack_file(tmp_path: Path, bot: dict | None) -> Path:
    """A stack file with encrypted exchange keys, and optionally a bot."""
    config: dict[str, object] = {
        "bothost:adminSshKeys": [default_key()],
        "bothost:adminCidrs": ["203.0.113.7/32"],
        "bothost:exchange": "binance",
        "bothost:exchangeApiKey": {"secure": "v1:AAAA"},
        "bothost:exchangeApiSecret": {"secure": "v1:BBBB"},
    }
    if bot is not None:
        config["bothost:bot"] = bot
        config["bothost:botSecrets"] = {"telegramToken": {"secure": "v1:CCCC"}}
    path = tmp_path / "Pulumi.test.yaml"
    path.write_text(yaml.safe_dump({"config": config}))
    return path


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeDockerHost:
    """Replace the SSH connection with the fake docker host."""
    host = FakeDockerHost()
    host.audits = []

    def audit(spec, creds, remote, static_ip, **_):
        host.audits.append((spec.exchange, static_ip, creds.secret.reveal() == EXCHANGE_SECRET))
        return AuditResult(spec.exchange, tuple(host.findings), {})

    host.findings = [Finding("info", "permissions", "read, trade")]
    monkeypatch.setattr("bothost.keyaudit.preflight.audit", audit)

    @contextlib.contextmanager
    def connect(target: object):
        assert target.host == "127.0.0.1" and target.port == 2222
        yield host

    monkeypatch.setattr("bothost.cli.session.connect_host", connect)
    monkeypatch.setenv("BOTHOST_EXCHANGE_API_KEY", "exchange-key-from-env")
    monkeypatch.setenv("BOTHOST_EXCHANGE_API_SECRET", EXCHANGE_SECRET)
    monkeypatch.setenv("BOTHOST_BOT_SECRETS_TELEGRAM_TOKEN", TELEGRAM)
    monkeypatch.setattr("shutil.which", lambda name: None)  # no Pulumi CLI: secrets come from the environment
    return host


def test_deploy_then_status_then_stop(tmp_path: Path, fake: FakeDockerHost) -> None:
    archive = write_demo_image(tmp_path / "demo.tar")
    config = stack_file(tmp_path, {"image": "bothost-demo:1", "imageArchive": str(archive)})
    runner = CliRunner()
    deployed = runner.invoke(cli, ["deploy", *TARGET, "--config", str(config)])
    assert deployed.exit_code == 0, deployed.output
    assert fake.audits[0] == ("binance", "127.0.0.1", True)  # audited first, for the host's IP
    assert "Key audit (Binance)" in deployed.output
    assert "deployed: image sha256:" in deployed.output
    assert fake.running() == ["bothost-bot"]
    assert fake.files["/etc/bothost/secrets/bot/exchange_api_secret"][0] == EXCHANGE_SECRET.encode()
    assert fake.files["/etc/bothost/secrets/bot/telegramToken"][0] == TELEGRAM.encode()
    again = runner.invoke(cli, ["deploy", *TARGET, "--config", str(config)])
    assert again.exit_code == 0 and "unchanged" in again.output and "no change" in again.output
    shown = runner.invoke(cli, ["status", *TARGET, "--config", str(config)])
    assert shown.exit_code == 0 and "running" in shown.output and "healthy" in shown.output
    refused = runner.invoke(cli, ["stop", *TARGET, "--config", str(config)], input="n\n")
    assert refused.exit_code != 0 and fake.running() == ["bothost-bot"]
    stopped = runner.invoke(cli, ["stop", *TARGET, "--config", str(config), "--yes"])
    assert stopped.exit_code == 0 and fake.running() == []
    assert fake.events[-1] == "stop bothost-bot --time 90"
    down = runner.invoke(cli, ["status", *TARGET, "--config", str(config)])
    assert down.exit_code == 1 and "exited" in down.output
    for output in (deployed.output, again.output, shown.output, stopped.output, fake.wire_text()):
        assert EXCHANGE_SECRET not in output and TELEGRAM not in output


def test_refused_key_deploys_nothing(tmp_path: Path, fake: FakeDockerHost) -> None:
    fake.findings = [Finding("fail", "withdraw", "withdrawals are enabled: switch off 'Enable Withdrawals'")]
    archive = write_demo_image(tmp_path / "demo.tar")
    config = stack_file(tmp_path, {"image": "bothost-demo:1", "imageArchive": str(archive)})
    result = CliRunner().invoke(cli, ["deploy", *TARGET, "--config", str(config)])
    assert result.exit_code != 0 and "Nothing was deployed" in str(result.exception)
    assert fake.running() == [] and not any(p.startswith("/etc/bothost/secrets") for p in fake.files)


def test_deploy_without_bot_is_a_clear_error(tmp_path: Path, fake: FakeDockerHost) -> None:
    config = stack_file(tmp_path, None)
    result = CliRunner().invoke(cli, ["deploy", *TARGET, "--config", str(config)])
    assert "bothost:bot is not set" in str(result.exception)
    assert fake.commands == []
