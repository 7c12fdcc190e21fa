"""Exchange-key rotation on the rehearsal VM: the new key is audited from the guest against a fake exchange
on this machine, pushed, and the bot restarts healthy; a refused key leaves the old one running."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fakes.exchanges import HOST_IP, FakeExchange, KeyState
from keyaudit_harness import assert_secret_free
from keyaudit_keys import key_for, secret_for

from bothost.cli.rotate import _healthy
from bothost.config.exchange import ExchangeSpec
from bothost.deploy.deployer import deploy
from bothost.deploy.image import inspect_archive
from bothost.deploy.ops import remove, settings_for
from bothost.deploy.secretfiles import BotSecrets
from bothost.keyaudit.audit import audit
from bothost.rehearsal.demo_bot import demo_archive, demo_bot, demo_secrets
from bothost.runbook.exchange_key import (
    ExchangeRotation,
    RotationRefused,
    rotate_exchange_key,
    running_key_hint,
)
from bothost.secret import Credentials, Secret

pytestmark = pytest.mark.vm
EXCHANGE = "bybit"  # returns its IP list, so the audit needs no second vantage point
OLD_KEY = "OLDK-previous-key-1a2b"


def _rotate(vm: object, tmp_path: Path, state: KeyState) -> tuple[str, str, list[str]]:
    """Deploy the demo bot with the old key, rotate to the fake exchange's key; (result, key on host, log)."""
    fake = FakeExchange(EXCHANGE, key_for(EXCHANGE), secret_for(EXCHANGE), "", state=state)
    guest_base = f"http://{vm.host_gateway}:{fake.port(fake.door(HOST_IP, 0))}"
    exchange = ExchangeSpec(EXCHANGE, guest_base, False, Secret(key_for(EXCHANGE)),
                            Secret(secret_for(EXCHANGE)), None)
    spec, _ = demo_bot(dataclasses.replace(vm.spec, exchange=exchange))
    settings = settings_for(spec)
    demo = demo_secrets(spec)
    old = dataclasses.replace(demo, exchange=dataclasses.replace(demo.exchange, key=Secret(OLD_KEY)))
    new = Credentials(Secret(key_for(EXCHANGE)), Secret(secret_for(EXCHANGE)))
    archive = inspect_archive(demo_archive(tmp_path))
    log: list[str] = []
    try:
        with vm.remote() as host:
            remote = host
            deploy(host, settings, old, archive=archive)
            rotation = ExchangeRotation(
                "Bybit", "https://www.bybit.com/app/user/api-management",
                audit=lambda: audit(exchange, new, remote, HOST_IP),
                push=lambda: deploy(host, settings, BotSecrets(new, old.bot),
                                    archive=archive),
                healthy=lambda: _healthy(spec, remote),
                old_key_hint=lambda: running_key_hint(remote, settings.secrets_dir),
            )
            try:
                result = rotate_exchange_key(rotation, log.append)
            except RotationRefused as refused:
                result = f"refused: {refused}"
            on_host = remote.run(["cat", f"{settings.secrets_dir}/exchange_api_key"]).stdout
            remove(host, settings)
    finally:
        fake.close()
    assert_secret_free([result, *log], [secret_for(EXCHANGE)])
    return result, on_host, log


def test_rotation_pushes_the_audited_key_and_names_the_old_one(vm, tmp_path: Path) -> None:
    result, on_host, log = _rotate(vm, tmp_path, KeyState())
    assert on_host == key_for(EXCHANGE)
    assert "+ the bot runs with the new key and is healthy" in [line.strip() for line in log]
    assert "OLDK" in result and "bybit.com" in result


def test_refused_new_key_leaves_the_old_key_running(vm, tmp_path: Path) -> None:
    result, on_host, _ = _rotate(vm, tmp_path, KeyState(withdraw=True))
    assert result.startswith("refused:") and "nothing was pushed" in result
    assert on_host == OLD_KEY
