"""Resolving `secure:` values: Pulumi CLI first, then the environment, then a hidden prompt."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from bothost.config.raw import Encrypted
from bothost.config.secrets import SecretSource, env_name
from bothost.errors import BothostError
from bothost.secret import Secret

KEY = "bothost:exchangeApiSecret"


@pytest.mark.parametrize(
    ("key", "variable"),
    [
        ("bothost:exchangeApiSecret", "BOTHOST_EXCHANGE_API_SECRET"),
        ("bothost:exchangeApiKey", "BOTHOST_EXCHANGE_API_KEY"),
        ("bothost:exchangePassphrase", "BOTHOST_EXCHANGE_PASSPHRASE"),
    ],
)
def test_env_names(key: str, variable: str) -> None:
    assert env_name(key) == variable


def _fake_pulumi(tmp_path: Path, document: dict, status: int = 0) -> Path:
    script = tmp_path / "pulumi"
    log = tmp_path / "pulumi.log"
    script.write_text(
        f"#!/bin/sh\necho \"$PWD|$*\" >> {log}\ncat <<'EOF'\n{json.dumps(document)}\nEOF\nexit {status}\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def test_pulumi_cli_decrypts_once_from_the_stack_directory(tmp_path: Path) -> None:
    stack = tmp_path / "Pulumi.prod.yaml"
    pulumi = _fake_pulumi(
        tmp_path,
        {
            KEY: {"value": "from-pulumi-SENTINEL", "secret": True},
            "bothost:exchangeApiKey": {"value": "key-SENTINEL", "secret": True},
        },
    )
    source = SecretSource(stack, environ={}, pulumi=str(pulumi), prompt=None)
    assert source.resolve(Encrypted("v1:x"), KEY).reveal() == "from-pulumi-SENTINEL"
    assert source.resolve(Encrypted("v1:y"), "bothost:exchangeApiKey").reveal() == "key-SENTINEL"
    calls = (tmp_path / "pulumi.log").read_text().splitlines()
    assert calls == [f"{tmp_path}|config --show-secrets --json --stack prod"]


def test_plain_values_need_no_lookup(tmp_path: Path) -> None:
    source = SecretSource(tmp_path / "Pulumi.x.yaml", environ={}, pulumi="", prompt=None)
    assert source.resolve(Secret("plain"), KEY).reveal() == "plain"


def test_environment_then_prompt(tmp_path: Path) -> None:
    stack = tmp_path / "Pulumi.x.yaml"
    from_env = SecretSource(
        stack, environ={"BOTHOST_EXCHANGE_API_SECRET": "env-SENTINEL"}, pulumi="", prompt=None
    )
    assert from_env.resolve(Encrypted("v1:x"), KEY).reveal() == "env-SENTINEL"
    asked: list[str] = []
    from_prompt = SecretSource(
        stack, environ={}, pulumi="", prompt=lambda text: asked.append(text) or "typed"
    )
    assert from_prompt.resolve(Encrypted("v1:x"), KEY).reveal() == "typed"
    assert asked == [f"{KEY} (input hidden): "]


def test_missing_secret_explains_every_way(tmp_path: Path) -> None:
    source = SecretSource(tmp_path / "Pulumi.x.yaml", environ={}, pulumi="", prompt=None)
    with pytest.raises(BothostError, match="BOTHOST_EXCHANGE_API_SECRET") as caught:
        source.resolve(Encrypted("v1:CIPHERTEXT"), KEY)
    assert "CIPHERTEXT" not in str(caught.value)


def test_pulumi_failure_is_reported_without_its_stdout(tmp_path: Path) -> None:
    pulumi = _fake_pulumi(tmp_path, {KEY: {"value": "leaky-SENTINEL"}}, status=255)
    source = SecretSource(tmp_path / "Pulumi.x.yaml", environ={}, pulumi=str(pulumi), prompt=None)
    with pytest.raises(BothostError, match="exit 255") as caught:
        source.resolve(Encrypted("v1:x"), KEY)
    assert "leaky-SENTINEL" not in str(caught.value)


def test_bot_secrets_resolve_from_the_cli_object_value(tmp_path: Path) -> None:
    """`pulumi config set --secret --path 'bothost:botSecrets.telegramToken'` shows up under ONE key,
    bothost:botSecrets, whose objectValue holds the members (pulumi/pulumi configValueJSON)."""
    from bothost.deploy.ops import bot_secret_key

    members = {"telegramToken": "tg-SENTINEL", "apiPassword": "pw-SENTINEL"}
    pulumi = _fake_pulumi(tmp_path, {
        "bothost:botSecrets": {"value": json.dumps(members), "objectValue": members, "secret": True},
    })
    source = SecretSource(tmp_path / "Pulumi.prod.yaml", environ={}, pulumi=str(pulumi), prompt=None)
    key = bot_secret_key("telegramToken")
    assert source.resolve(Encrypted("v1:x"), key).reveal() == "tg-SENTINEL"
    assert source.resolve(Encrypted("v1:y"), bot_secret_key("apiPassword")).reveal() == "pw-SENTINEL"
    assert env_name(key) == "BOTHOST_BOT_SECRETS_TELEGRAM_TOKEN"
