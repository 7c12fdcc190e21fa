"""The Pulumi program itself (__main__.py) run under mocks, as `pulumi up` runs it."""

from __future__ import annotations

import json
import runpy
from pathlib import Path

import pulumi
import pytest
from infra_mocks import IPV4, resolve, settle, start, stop
from pulumi.runtime.settings import get_root_resource
from pulumi.runtime.sync_await import _sync_await

import bothost.infra.host_keys as host_keys_module
from bothost.hostkeys import fingerprint, generate_host_keys

PROGRAM = Path(__file__).resolve().parent.parent / "__main__.py"
ADMIN_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHM8p2zW3ZlsbqQcNq2BNa0RDk8vg9k3Jw+VslVkRqDs you@laptop"
# Engine config as `pulumi config set --path` leaves it: every value a string, lists as JSON.
CONFIG = {
    "bothost:adminSshKeys": json.dumps([ADMIN_KEY]),
    "bothost:adminCidrs": json.dumps(["198.51.100.7/32"]),
    "bothost:sshPort": "22",
    "bothost:ipv6": "false",
    "hcloud:token": "tok-not-read-by-bothost",
}


@pytest.fixture(scope="module")
def keys():
    """One real host key generation for this module."""
    return generate_host_keys()


@pytest.fixture
def run(monkeypatch, keys):
    """Run __main__.py under fresh mocks with the given config; returns the recording monitor."""
    monkeypatch.setattr(host_keys_module, "generate_host_keys", lambda: keys)
    monkeypatch.setattr("bothost.hostkeys.generate_host_keys", lambda: keys)  # the size pre-check's keys

    def go(config: dict[str, str], secret_keys: tuple[str, ...] = (), preview: bool = False):
        go.monitor = start(stack="prod", config=config, secret_keys=list(secret_keys), preview=preview)
        runpy.run_path(str(PROGRAM), run_name="__main__")
        return go.monitor

    yield go
    stop()


def exports() -> dict[str, object]:
    """The stack outputs the program exported, resolved."""
    outputs = get_root_resource().outputs
    settle(*outputs.values())
    return {key: resolve(value)[0] for key, value in outputs.items()}


def test_program_declares_the_host_and_exports_its_outputs(run, keys) -> None:
    monitor = run(CONFIG)
    values = exports()
    assert sorted(values) == sorted(["whitelistIpv4", "sshCommand", "hostKeyFingerprints", "hostPublicKeys",
                                     "adminUser", "sshPort", "location", "serverId", "nextStep"])
    assert values["whitelistIpv4"] == IPV4
    assert values["sshCommand"] == f"ssh -p 22 bothost@{IPV4}"
    assert values["hostPublicKeys"] == [keys.ed25519_public, keys.rsa_public]
    assert values["hostKeyFingerprints"]["ed25519"] == fingerprint(keys.ed25519_public)
    assert {r.type for r in monitor.registrations} >= {"bothost:index:BotHost", "hcloud:index/server:Server"}
    assert all(r.name.startswith("bothost") for r in monitor.registrations)


def test_program_exports_ipv6_when_enabled(run) -> None:
    run({**CONFIG, "bothost:ipv6": "true"})
    assert "whitelistIpv6" in exports()


def test_hcloud_token_stays_out_of_everything_we_declare(run) -> None:
    monitor = run(CONFIG)
    exports()
    for registration in monitor.registrations:
        assert "tok-not-read-by-bothost" not in repr(registration.inputs), registration.name


@pytest.mark.parametrize(("change", "expected"), [
    ({"bothost:adminCidrs": json.dumps(["0.0.0.0/0"])}, "bothost:adminCidrs[0]"),
    ({"bothost:sshport": "22"}, "did you mean bothost:sshPort?"),
    ({"bothost:adminSshKeys": None}, "bothost:adminSshKeys = (not set): this key is required"),
])
def test_config_error_is_one_line_and_declares_nothing(run, change, expected) -> None:
    config = {k: v for k, v in {**CONFIG, **change}.items() if v is not None}
    with pytest.raises(pulumi.RunError) as caught:
        run(config)
    message = str(caught.value)
    assert expected in message
    assert "\n" not in message and "Traceback" not in message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    settle()
    assert get_root_resource().outputs == {}
    assert run.monitor.registrations == []  # nothing but the root stack: no server, no IP, no key


def test_exchange_secrets_reach_no_resource_and_no_output(run) -> None:
    secrets = {"bothost:exchangeApiKey": "KEY-7f3a9c-visible-if-leaked",
               "bothost:exchangeApiSecret": "SECRET-51b0e2-visible-if-leaked"}
    config = {**CONFIG, "bothost:exchange": "binance", **secrets}
    monitor = run(config, secret_keys=tuple(secrets))
    values = exports()
    assert monitor.registrations
    seen = repr([r.inputs for r in monitor.registrations]) + repr(values)
    for value in secrets.values():
        assert value not in seen


@pytest.mark.parametrize("key", ["bothost:exchangeApiKey", "bothost:exchangeApiSecret"])
def test_key_material_set_without_secret_is_refused_and_not_echoed(run, key) -> None:
    secrets = {"bothost:exchangeApiKey": "KEY-plain-7f3a9c",
               "bothost:exchangeApiSecret": "SECRET-plain-51b0e2"}
    config = {**CONFIG, "bothost:exchange": "binance", **secrets}
    with pytest.raises(pulumi.RunError) as caught:
        run(config, secret_keys=tuple(k for k in secrets if k != key))
    message = str(caught.value)
    assert key in message and "pulumi config set --secret" in message
    assert all(value not in message for value in secrets.values())
    assert run.monitor.registrations == []


def test_preview_runs_with_unknown_ids_and_ips(run, monkeypatch) -> None:
    """`pulumi preview`: no resource exists, so ids, IPs and the host keys are unknown. The program must
    declare everything anyway, and the bot deployment must wait for them instead of failing."""
    import bothost.infra.bot_deployment as bot_deployment

    monkeypatch.setattr(bot_deployment, "open_host", None)  # a preview never reaches a host
    image = "ghcr.io/me/bot@sha256:" + "a" * 64
    monitor = run({**CONFIG, "bothost:bot": json.dumps({"image": image})}, preview=True)
    outputs = get_root_resource().outputs
    settle(*outputs.values())
    known = {key: _sync_await(pulumi.Output.from_input(value).is_known()) for key, value in outputs.items()}
    assert known["whitelistIpv4"] is False and known["serverId"] is False and known["adminUser"] is True
    bot = monitor.one("pulumi-python:dynamic/bothost:BotDeployment")
    assert unknown(bot.plain("server_id")) and unknown(bot.plain("host"))
    server = monitor.one("hcloud:index/server:Server")
    assert unknown(server.plain("publicNets")[0]["ipv4"]) and unknown(server.plain("userData"))
    assert server.is_secret("userData")


def unknown(value: object) -> bool:
    """True for a value the engine does not know yet (a preview's computed output)."""
    from pulumi.output import Unknown

    return isinstance(value, Unknown)


def test_user_data_over_the_limit_with_real_keys_fails_before_anything_exists(run) -> None:
    """2,800 admin CIDRs (nftables.conf travels compressed): ~29.6 KB with placeholder host keys (under
    32 KiB), ~34 KB with real ones."""
    from bothost.config import parse_spec
    from bothost.role import RenderContext
    from bothost.userdata import MAX_USER_DATA_BYTES, render_user_data

    cidrs = [f"198.51.{i // 250}.{i % 250}/32" for i in range(1, 2801)]
    config = {**CONFIG, "bothost:adminCidrs": json.dumps(cidrs)}
    placeholder = render_user_data(parse_spec({**config, "bothost:adminCidrs": cidrs}, stack="prod"),
                                   RenderContext())
    assert len(placeholder.encode()) <= MAX_USER_DATA_BYTES  # what the old pre-check saw
    with pytest.raises(pulumi.RunError, match="over Hetzner's limit"):
        run(config)
    settle()
    assert run.monitor.registrations == []  # no IP, no firewall, no key left behind
