"""What a first `pulumi up` in a real Hetzner project meets: keys already there, types a location does not
sell, a location change, protected IPs. The fake (infra_mocks.FakeHetzner) refuses what Hetzner refuses."""

from __future__ import annotations

import pytest
from infra_mocks import FakeHetzner, HetznerRefused, md5_fingerprint, settle, start, stop
from test_infra_component import KEYS, LOCATION_LOCK, SERVER, SSH_KEY, spec

import bothost.infra.host_keys as host_keys_module
from bothost.config import parse_spec
from bothost.config.placement import SERVER_TYPES, types_in
from bothost.errors import ConfigError
from bothost.infra.component import BotHost
from bothost.infra.location_lock import LocationLockProvider
from bothost.infra.policy import hetzner_fingerprint


@pytest.fixture(autouse=True)
def fast_keys(monkeypatch, generated_keys):
    monkeypatch.setattr(host_keys_module, "generate_host_keys", lambda: generated_keys)
    yield
    stop()


@pytest.fixture(scope="module")
def generated_keys():
    from bothost.hostkeys import generate_host_keys

    return generate_host_keys()


def up(host_spec, **start_args):
    """One run of the program against the fake project; returns the monitor."""
    monitor = start(stack=host_spec.stack, **start_args)
    host = BotHost("bothost", host_spec)
    settle(host.server.id)
    return monitor


def console_key(line: str, ident: int = 77) -> dict:
    """A key the user added in the Hetzner console (no labels), as GET /v1/ssh_keys lists it."""
    return {"id": ident, "name": "laptop", "fingerprint": md5_fingerprint(line), "public_key": line,
            "labels": {}}


def test_our_fingerprint_is_hetzners() -> None:
    # The API docs' ssh_key example pairs this fingerprint format (MD5, hex pairs) with the key.
    assert hetzner_fingerprint(KEYS[0]) == md5_fingerprint(KEYS[0])
    assert len(hetzner_fingerprint(KEYS[0]).split(":")) == 16


def mock_args(typ: str, **inputs: object):
    from pulumi.runtime import MockResourceArgs

    return MockResourceArgs(typ=typ, name="x", inputs=inputs)


def test_the_fake_refuses_a_duplicate_fingerprint_like_hetzner() -> None:
    fake = FakeHetzner(project_keys=[console_key(KEYS[0])])
    with pytest.raises(HetznerRefused, match="uniqueness_error"):
        fake.new_resource(mock_args(SSH_KEY, name="other-name", publicKey=KEYS[0]))
    ident, _ = fake.new_resource(mock_args(SSH_KEY, name="new", publicKey=KEYS[1]))
    assert fake.project_keys[-1]["id"] == int(ident)


def test_a_key_already_in_the_project_is_reused_not_created() -> None:
    monitor = up(spec(adminSshKeys=KEYS[:2]), project_keys=[console_key(KEYS[0], 77)])
    created = monitor.of_type(SSH_KEY)
    assert [r.plain("publicKey") for r in created] == [" ".join(KEYS[1].split()[:2])]
    assert "77" in monitor.one(SERVER).plain("sshKeys")


def test_a_second_stack_in_the_same_project_reuses_the_first_stacks_key() -> None:
    first = up(spec(adminSshKeys=KEYS[:1]))
    keys = first.mocks.project_keys
    stop()
    second = up(parse_spec({"bothost:adminSshKeys": KEYS[:1], "bothost:adminCidrs": ["198.51.100.7/32"]},
                           stack="staging"), project_keys=keys)
    assert second.of_type(SSH_KEY) == []
    assert second.one(SERVER).plain("sshKeys") == [str(keys[0]["id"])]


def test_the_stacks_own_key_stays_its_resource_on_the_next_up() -> None:
    first = up(spec(adminSshKeys=KEYS[:1]))
    keys = first.mocks.project_keys
    stop()
    again = up(spec(adminSshKeys=KEYS[:1]), project_keys=keys)
    assert len(again.of_type(SSH_KEY)) == 1  # still declared, so it stays managed (and is not deleted)


def test_a_comment_only_edit_changes_no_hetzner_key() -> None:
    blob = " ".join(KEYS[0].split()[:2])
    before = up(spec(adminSshKeys=[f"{blob} me@laptop"])).one(SSH_KEY)
    stop()
    after = up(spec(adminSshKeys=[f"{blob} me@new-laptop"])).one(SSH_KEY)
    assert (before.name, before.plain("publicKey")) == (after.name, after.plain("publicKey")) == (
        before.name, blob)


@pytest.mark.parametrize("location", ["fsn1", "nbg1", "hel1", "ash", "hil", "sin"])
def test_the_default_type_exists_in_every_location(location: str) -> None:
    host_spec = spec(location=location)
    assert host_spec.host.server_type in types_in(location)
    monitor = up(host_spec)  # the fake refuses a type its location does not sell
    assert monitor.one(SERVER).plain("serverType") == host_spec.host.server_type


@pytest.mark.parametrize(("location", "server_type"), [("ash", "cx23"), ("sin", "cax11"), ("hil", "cpx22"),
                                                       ("fsn1", "cpx11")])
def test_a_type_the_location_does_not_sell_fails_validation(location: str, server_type: str) -> None:
    with pytest.raises(ConfigError) as caught:
        spec(location=location, serverType=server_type)
    assert caught.value.key == "bothost:serverType"
    assert f"not offered in {location}" in caught.value.problem
    assert "pulumi config set bothost:serverType" in caught.value.fix


def test_the_fake_models_availability() -> None:
    """Without the validation Hetzner refuses the server, after the static IP exists (issue 12, #3)."""
    fake = FakeHetzner()
    with pytest.raises(HetznerRefused, match="not available in location ash"):
        fake.new_resource(mock_args(SERVER, serverType="cx23", location="ash"))
    assert fake.new_resource(mock_args(SERVER, serverType="ccx13", location="ash", publicNets=[{}]))[0]


def test_an_unknown_type_fails_validation_with_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="cx23"):
        spec(serverType="cx99", location="fsn1")
    assert all(name[:3] in ("cx2", "cx3", "cx4", "cx5", "cax", "cpx", "ccx") for name in SERVER_TYPES)


def test_a_location_change_is_refused_by_check_with_what_to_do() -> None:
    provider = LocationLockProvider()
    same = provider.check({"location": "fsn1"}, {"location": "fsn1"})
    assert same.failures == []
    first = provider.check({}, {"location": "fsn1"})
    assert first.failures == []
    moved = provider.check({"location": "fsn1"}, {"location": "nbg1"})
    assert [f.property for f in moved.failures] == ["location"]
    reason = moved.failures[0].reason
    assert "cannot move" in reason and "pulumi config set bothost:location fsn1" in reason
    assert "new stack" in reason and "whitelist" in reason


def test_every_resource_waits_for_the_location_check() -> None:
    monitor = up(spec(ipv6=True))
    lock = monitor.one(LOCATION_LOCK)
    others = [r for r in monitor.registrations if r.custom and r is not lock]
    assert others and all(any(d.endswith("::" + lock.name) for d in r.dependencies) for r in others), [
        (r.name, r.dependencies) for r in others]
