"""`bothost audit-key`: reads the stack file, resolves secrets, audits from the host, refuses bad keys."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from fakes.exchanges import HOST_IP, FakeExchange, KeyState
from fakes.local_remote import LocalRemote
from keyaudit_harness import assert_secret_free
from keyaudit_keys import key_for, passphrase_for, secret_for

from bothost.cli import cli
from bothost.keyaudit.audit import KeyAuditRefused

ROOT = Path(__file__).resolve().parent.parent
HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHM8p2zW3ZlsbqQcNq2BNa0RDk8vg9k3Jw+VslVkRqDs"


def _stack_file(tmp_path: Path, base: str) -> Path:
    document = yaml.safe_load((ROOT / "Pulumi.example.yaml").read_text())
    document["config"].update(
        {
            "bothost:exchange": "kucoin",
            "bothost:exchangeApiBase": base,
            "bothost:allowLocalApiBase": True,  # the fake exchange listens on loopback, over http
            "bothost:exchangeApiKey": {"secure": "v1:AAAA"},
            "bothost:exchangeApiSecret": {"secure": "v1:BBBB"},
            "bothost:exchangePassphrase": {"secure": "v1:CCCC"},
        }
    )
    path = tmp_path / "Pulumi.audit.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


@pytest.mark.parametrize("withdraw", [False, True], ids=["good-key", "withdrawal-enabled"])
def test_audit_key_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, withdraw: bool) -> None:
    fake = FakeExchange(
        "kucoin",
        key_for("kucoin"),
        secret_for("kucoin"),
        passphrase_for("kucoin"),
        state=KeyState(withdraw=withdraw),
    )
    stack = _stack_file(tmp_path, fake.door(HOST_IP))
    monkeypatch.setattr("bothost.cli.session.connect_host", lambda target: LocalRemote(target.host))
    monkeypatch.setattr("shutil.which", lambda name, *a, **k: None)  # no Pulumi CLI: secrets from the env
    env = {
        "BOTHOST_EXCHANGE_API_KEY": key_for("kucoin"),
        "BOTHOST_EXCHANGE_API_SECRET": secret_for("kucoin"),
        "BOTHOST_EXCHANGE_PASSPHRASE": passphrase_for("kucoin"),
    }
    try:
        result = CliRunner().invoke(
            cli,
            [
                "audit-key",
                "--config",
                str(stack),
                "--host",
                "127.0.0.1",
                "--host-key",
                HOST_KEY,
                "--static-ip",
                HOST_IP,
            ],
            env=env,
        )
    finally:
        fake.close()
    assert "Key audit (KuCoin)" in result.output
    if withdraw:
        assert isinstance(result.exception, KeyAuditRefused)
        assert "REFUSED" in result.output and "Transfer / Withdrawal" in result.output
    else:
        assert result.exit_code == 0, result.output
    assert_secret_free([result.output, str(result.exception)], list(env.values()))


def test_audit_key_help() -> None:
    result = CliRunner().invoke(cli, ["audit-key", "--help"])
    assert result.exit_code == 0 and "--static-ip" in result.output
