"""Reading config from the Pulumi engine: strings as the engine gives them, unknown keys refused."""

from __future__ import annotations

import json

import pulumi.runtime
import pytest

from bothost.config.spec import known_keys
from bothost.errors import ConfigError
from bothost.infra.engine_config import MUST_BE_SECRET, engine_keys, read_raw_config, read_spec

ADMIN_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHM8p2zW3ZlsbqQcNq2BNa0RDk8vg9k3Jw+VslVkRqDs you@laptop"
BASE = {
    "bothost:adminSshKeys": json.dumps([ADMIN_KEY]),
    "bothost:adminCidrs": json.dumps(["198.51.100.7/32", "2001:db8::/48"]),
}


@pytest.fixture
def engine(monkeypatch):
    """Set the engine's config for one test, the way the Python exec wrapper does."""
    monkeypatch.delenv("PULUMI_CONFIG", raising=False)

    def set_config(values: dict[str, str], secret_keys: tuple[str, ...] = MUST_BE_SECRET) -> None:
        pulumi.runtime.set_all_config(dict(values), [k for k in secret_keys if k in values])

    yield set_config
    pulumi.runtime.set_all_config({}, [])


def test_engine_strings_become_a_valid_spec(engine) -> None:
    engine({**BASE, "bothost:sshPort": "2222", "bothost:ipv6": "true", "bothost:timezone": "Europe/Berlin",
            "bothost:ntpServers": '["ntp.example"]', "hcloud:token": "not-ours"})
    spec = read_spec()
    assert spec.stack == pulumi.get_stack()
    assert spec.host.admin_cidrs == ("198.51.100.7/32", "2001:db8::/48")
    assert (spec.host.ssh_port, spec.host.ipv6, spec.host.ntp_servers) == (2222, True, ("ntp.example",))


def test_only_bothost_keys_are_read(engine) -> None:
    engine({**BASE, "hcloud:token": "not-ours", "aws:region": "eu-central-1"})
    raw = read_raw_config()
    assert sorted(raw.keys()) == sorted(BASE)
    assert set(raw.keys()) <= set(known_keys())


def test_every_known_key_is_passed_on(engine) -> None:
    engine({key: f"value-of-{key}" for key in known_keys()})
    raw = read_raw_config()
    assert {key: raw.raw(key) for key in known_keys()} == {key: f"value-of-{key}" for key in known_keys()}


def test_unknown_bothost_key_fails_with_a_suggestion(engine) -> None:
    engine({**BASE, "bothost:adminCidr": json.dumps(["198.51.100.7/32"])})
    with pytest.raises(ConfigError) as caught:
        read_spec()
    assert caught.value.key == "bothost:adminCidr"
    assert "did you mean bothost:adminCidrs?" in str(caught.value)


def test_config_from_the_environment_bag(monkeypatch) -> None:
    """The exec wrapper gets config in PULUMI_CONFIG; keys found only there are seen too."""
    pulumi.runtime.set_all_config({}, [])
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({**BASE, "bothost:sshPrt": "22"}))
    assert "bothost:sshPrt" in engine_keys()
    with pytest.raises(ConfigError, match="did you mean bothost:sshPort"):
        read_spec()


@pytest.mark.parametrize("secrets", [
    "SENTINEL-bot-secret",  # not JSON at all
    '{"telegramToken": "SENTINEL-bot-secret"',  # truncated JSON
    '["SENTINEL-bot-secret"]',  # a list
    '{"bad name": "SENTINEL-bot-secret"}',
    '{"1": "SENTINEL-bot-secret", "telegram_token": "x", "telegramToken": "y"}',
], ids=["text", "truncated", "list", "bad-name", "same-variable"])
def test_malformed_bot_secrets_never_reach_the_engine_output(engine, secrets: str) -> None:
    """`pulumi up` prints the error in the engine's output (and a CI preview comment): never the value."""
    engine({**BASE, "bothost:bot": json.dumps({"image": "busybox"}), "bothost:botSecrets": secrets})
    with pytest.raises(ConfigError) as caught:
        read_spec()
    assert caught.value.key.startswith("bothost:botSecrets")
    assert "SENTINEL" not in str(caught.value) and "\n" not in str(caught.value)


def test_plain_key_material_is_refused_on_the_engine_path(engine) -> None:
    engine({**BASE, "bothost:bot": json.dumps({"image": "busybox"}),
            "bothost:botSecrets": json.dumps({"telegramToken": "SENTINEL-bot-secret"})}, secret_keys=())
    with pytest.raises(ConfigError, match="plain text") as caught:
        read_spec()
    assert "SENTINEL" not in str(caught.value)
