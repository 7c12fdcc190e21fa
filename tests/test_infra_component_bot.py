"""BotHost with a bot: the deployment follows the server, keeps secrets secret, and audits the key first."""

from __future__ import annotations

import contextlib
import json

import pytest
from deploy_fake import FakeDockerHost
from infra_mocks import IPV4, settle, start, stop

import bothost.infra.bot_deployment as bot_deployment
import bothost.keyaudit.preflight as preflight_module
from bothost.config import parse_spec
from bothost.infra.component import BotHost

DYNAMIC = "pulumi-python:dynamic/bothost:BotDeployment"
ADMIN_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHM8p2zW3ZlsbqQcNq2BNa0RDk8vg9k3Jw+VslVkRqDs you@laptop"
IMAGE = "ghcr.io/me/bot@sha256:" + "a" * 64
API_SECRET = "api-secret-for-component-test-9a8b7c"
BASE = {
    "bothost:adminSshKeys": [ADMIN_KEY],
    "bothost:adminCidrs": ["198.51.100.7/32"],
    "bothost:bot": json.dumps({"image": IMAGE}),
}
EXCHANGE = {"bothost:exchange": "binance", "bothost:exchangeApiKey": "api-key-123",
            "bothost:exchangeApiSecret": API_SECRET}


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeDockerHost:
    """The provider's SSH host is a fake docker host; the audit is recorded instead of run."""
    host = FakeDockerHost()
    host.registry[IMAGE] = "sha256:" + "b" * 64
    host.audits = []

    @contextlib.contextmanager
    def open_host(props: dict, *, wait: bool):
        yield host

    def audit_preflight(exchange, static_ip, echo):
        return lambda _host, _settings, secrets: host.audits.append(
            (exchange.exchange, static_ip, secrets.exchange.secret.reveal() == API_SECRET))

    monkeypatch.setattr(bot_deployment, "open_host", open_host)
    monkeypatch.setattr(preflight_module, "key_audit_preflight", audit_preflight)
    yield host
    stop()


def declare(config: dict[str, object]):
    """Declare a BotHost for this config under recording mocks."""
    monitor = start()
    host = BotHost("bothost", parse_spec(config, stack="prod"))
    settle(*host.outputs.values())
    return monitor


def test_no_bot_config_declares_no_deployment(fake: FakeDockerHost) -> None:
    config = {k: v for k, v in BASE.items() if k != "bothost:bot"}
    assert declare(config).of_type(DYNAMIC) == []


def test_bot_follows_the_server_and_keeps_its_secrets_secret(fake: FakeDockerHost) -> None:
    monitor = declare({**BASE, **EXCHANGE})
    bot = monitor.one(DYNAMIC)
    server = monitor.one("hcloud:index/server:Server")
    assert bot.plain("host") == IPV4 and bot.plain("server_id")
    assert bot.plain("host_keys")[0].startswith("ssh-ed25519 ")
    assert bot.is_secret("secrets") and "secrets" in bot.additional_secret_outputs
    for key, value in bot.inputs.items():
        if key != "secrets":
            assert API_SECRET not in str(value), key
    assert bot.plain("preflight_args") == {"exchange": "binance", "api_base": "https://api.binance.com",
                                           "allow_unrestricted_key": False, "static_ip": IPV4}
    assert bot.parent.endswith("bothost:index:BotHost::bothost")
    assert server.name == "bothost-server"
    assert fake.running() == ["bothost-bot"]
    assert fake.audits == [("binance", IPV4, True)]  # the audit ran first, from the host, on the real key


def test_bot_without_exchange_skips_no_audit_wiring(fake: FakeDockerHost) -> None:
    bot = declare(BASE).one(DYNAMIC)
    assert bot.plain("preflight_args") == {}
    assert fake.audits == []


def test_the_watcher_rides_with_the_bot_its_tokens_secret(fake: FakeDockerHost, monkeypatch) -> None:
    installed: list[tuple] = []
    monkeypatch.setattr("bothost.deploy.watch.converge_watch",
                        lambda host, settings, secrets: installed.append((settings, secrets.reveal())))
    hook = "https://hooks.example.com/services/HOOK-SENTINEL-0b1c"
    watch = {"bothost:watch": json.dumps({"channels": ["webhook"]}),
             "bothost:watchSecrets": json.dumps({"webhookUrl": hook})}
    bot = declare({**BASE, **EXCHANGE, **watch}).one(DYNAMIC)
    assert bot.is_secret("watch_secrets") and "watch_secrets" in bot.additional_secret_outputs
    assert bot.plain("watch")["exchange"] == "binance" and bot.plain("watch")["container"] == "bothost-bot"
    assert all(hook not in str(value) and API_SECRET not in str(value)
               for key, value in bot.inputs.items() if key not in ("secrets", "watch_secrets"))
    settings, tokens = installed[0]
    assert settings.channels == ("webhook",) and json.loads(tokens)["webhookUrl"] == hook
    assert json.loads(tokens)["exchangeApiSecret"] == API_SECRET  # no read-only key: the bot's, warned
