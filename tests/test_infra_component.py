"""BotHost under Pulumi mocks: every resource, input and option the Hetzner side depends on."""

from __future__ import annotations

import ipaddress

import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from infra_mocks import IPV4, IPV6_ADDRESS, resolve, settle, start, stop

import bothost.infra.host_keys as host_keys_module
from bothost.config import parse_spec
from bothost.hostkeys import fingerprint, generate_host_keys
from bothost.infra.component import TYPE, BotHost
from bothost.role import Changes, FileChange, Role

SERVER = "hcloud:index/server:Server"
PRIMARY_IP = "hcloud:index/primaryIp:PrimaryIp"
FIREWALL = "hcloud:index/firewall:Firewall"
SSH_KEY = "hcloud:index/sshKey:SshKey"
HOST_KEYS = "pulumi-python:dynamic/bothost:HostKeys"
LOCATION_LOCK = "pulumi-python:dynamic/bothost:LocationLock"
WORLD = {"0.0.0.0/0", "::/0"}


def admin_key() -> str:
    """A fresh OpenSSH ed25519 public key line."""
    public = ed25519.Ed25519PrivateKey.generate().public_key()
    return public.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()


KEYS = [admin_key(), admin_key(), admin_key()]


def spec(**overrides: object):
    """A valid spec; overrides use config key names without the namespace."""
    values: dict[str, object] = {"adminSshKeys": KEYS[:1], "adminCidrs": ["198.51.100.7/32"], "sshPort": 2222,
                                 "adminUser": "trader", "location": "hel1"}
    values.update(overrides)
    return parse_spec({f"bothost:{k}": v for k, v in values.items()}, stack="prod")


@pytest.fixture(scope="session")
def generated_keys():
    """One real key generation for the whole session (RSA-4096 takes about half a second)."""
    return generate_host_keys()


@pytest.fixture
def monitor(monkeypatch, generated_keys):
    """Fresh mocks per test; the dynamic provider's create() runs for real with the session's keys."""
    monkeypatch.setattr(host_keys_module, "generate_host_keys", lambda: generated_keys)
    recorder = start()
    yield recorder
    stop()


def deploy(host_spec, roles=None) -> BotHost:
    """Declare a BotHost and wait until every registration is answered."""
    host = BotHost("bothost", host_spec, roles=roles)
    settle(host.server.id, *[v for v in host.outputs.values() if not isinstance(v, dict | list)])
    return host


class PublicKeysProbe(Role):
    """A role that writes the public host keys it is given, to prove the component passes them on."""

    name = "probe"

    def settings(self, spec, context):
        return context.host_keys

    def changes(self, settings) -> Changes:
        return Changes(files=(FileChange("/probe", f"{settings.ed25519_public}\n{settings.rsa_public}\n"),))

    def checks(self, settings) -> list:
        return []


def test_resource_layout_and_parents(monitor) -> None:
    deploy(spec(adminSshKeys=KEYS[:2]))
    component = monitor.one(TYPE)
    assert component.custom is False
    children = [r for r in monitor.registrations if r is not component]
    expected = [LOCATION_LOCK, SSH_KEY, SSH_KEY, PRIMARY_IP, FIREWALL, HOST_KEYS, SERVER]
    assert sorted(r.type for r in children) == sorted(expected)
    assert all(r.name.startswith("bothost-") for r in children)
    assert all(r.parent.endswith(f"{TYPE}::bothost") for r in children), children


def test_primary_ipv4_is_static_and_protected(monitor) -> None:
    deploy(spec())
    ip = monitor.one(PRIMARY_IP)
    assert ip.plain("type") == "ipv4"
    assert ip.plain("location") == "hel1"
    assert ip.plain("assigneeType") is None  # the server assigns it; pulumi-hcloud >= 1.34 warns otherwise
    assert ip.plain("autoDelete") is False
    assert ip.plain("deleteProtection") is True
    assert ip.protect is True
    assert monitor.one(SERVER).protect is False


def test_server_options_and_wiring(monitor) -> None:
    deploy(spec(adminSshKeys=KEYS[:2]))
    server, ip, firewall = monitor.one(SERVER), monitor.one(PRIMARY_IP), monitor.one(FIREWALL)
    ids = {r.name: r for r in monitor.registrations}
    assert server.delete_before_replace is True
    assert server.ignore_changes == ["sshKeys"]
    assert (server.plain("image"), server.plain("location"), server.plain("serverType")) == (
        "debian-12", "hel1", "cx23")
    assert server.plain("firewallIds") == [int(resolve_id(monitor, firewall))]
    assert server.plain("publicNets") == [{"ipv4Enabled": True, "ipv4": int(resolve_id(monitor, ip)),
                                           "ipv6Enabled": False}]
    key_ids = [resolve_id(monitor, r) for r in monitor.of_type(SSH_KEY)]
    assert sorted(server.plain("sshKeys")) == sorted(key_ids) and len(key_ids) == 2
    assert server.plain("labels") == {"managed-by": "bothost", "stack": "prod"}
    assert server.plain("backups") is False
    sent = {r.plain("publicKey") for r in monitor.of_type(SSH_KEY)}
    assert sent == {" ".join(k.split()[:2]) for k in KEYS[:2]}  # no comment: editing it changes nothing
    assert all(r.delete_before_replace for r in monitor.of_type(SSH_KEY))
    assert ids  # every registration has a name


def resolve_id(monitor, registration) -> str:
    """The id the fake cloud gave a registration."""
    for urn, resource in monitor.resources.items():
        if urn.endswith("::" + registration.name):
            return resource.id
    raise AssertionError(registration.name)


@pytest.mark.parametrize("ipv6", [False, True])
def test_ipv6_on_and_off(monitor, ipv6: bool) -> None:
    host = deploy(spec(ipv6=ipv6))
    families = sorted(r.plain("type") for r in monitor.of_type(PRIMARY_IP))
    assert families == (["ipv4", "ipv6"] if ipv6 else ["ipv4"])
    # Only the whitelisted IPv4 is protected: turning ipv6 off must be able to delete the IPv6.
    ips = monitor.of_type(PRIMARY_IP)
    protection = {r.plain("type"): (r.protect, r.plain("deleteProtection")) for r in ips}
    assert protection == ({"ipv4": (True, True), "ipv6": (False, False)} if ipv6 else {"ipv4": (True, True)})
    nets = monitor.one(SERVER).plain("publicNets")[0]
    assert nets["ipv6Enabled"] is ipv6
    assert ("ipv6" in nets) is ipv6
    assert ("whitelistIpv6" in host.outputs) is ipv6
    if ipv6:
        assert resolve(host.outputs["whitelistIpv6"])[0] == IPV6_ADDRESS


FIREWALL_CASES = [
    # (adminCidrs, allowSshFromAnywhere, restrictEgress)
    (["198.51.100.7/32"], False, False),
    (["198.51.100.0/24", "2001:db8::/48"], False, True),
    (["0.0.0.0/0"], True, False),
    (["0.0.0.0/0", "::/0"], True, True),
]


@pytest.mark.parametrize(("cidrs", "anywhere", "restrict"), FIREWALL_CASES)
def test_firewall_policy(monitor, cidrs, anywhere, restrict) -> None:
    deploy(spec(adminCidrs=cidrs, allowSshFromAnywhere=anywhere, restrictEgress=restrict))
    rules = monitor.one(FIREWALL).plain("rules")
    inbound = [r for r in rules if r["direction"] == "in"]
    outbound = [r for r in rules if r["direction"] == "out"]
    assert sorted((r["protocol"], r.get("port")) for r in inbound) == [("icmp", None), ("tcp", "2222")]
    for rule in inbound:
        assert rule["sourceIps"] == cidrs
        assert "destinationIps" not in rule
        assert bool(WORLD & set(rule["sourceIps"])) is anywhere
    if restrict:
        assert sorted((r["protocol"], r["port"]) for r in outbound) == [
            ("tcp", "443"), ("tcp", "53"), ("tcp", "80"), ("udp", "123"), ("udp", "53")]
        assert all(set(r["destinationIps"]) == WORLD and "sourceIps" not in r for r in outbound)
    else:
        assert outbound == []


def test_user_data_is_secret_valid_cloud_config_with_the_generated_keys(monitor, generated_keys) -> None:
    host = deploy(spec(), roles=[PublicKeysProbe()])
    server = monitor.one(SERVER)
    assert server.is_secret("userData")
    text, secret = resolve(host.user_data)
    assert secret
    assert text == server.plain("userData")
    assert text.startswith("#cloud-config\n")
    document = yaml.safe_load(text)
    probe = next(f for f in document["write_files"] if f["path"] == "/probe")
    assert probe["content"] == f"{generated_keys.ed25519_public}\n{generated_keys.rsa_public}\n"


def test_user_data_with_the_default_roles_carries_the_generated_host_keys(monitor, generated_keys) -> None:
    deploy(spec())
    server = monitor.one(SERVER)
    assert server.is_secret("userData")
    text = server.plain("userData")
    assert text.startswith("#cloud-config\n")
    assert isinstance(yaml.safe_load(text), dict)
    for part in (generated_keys.ed25519_public, generated_keys.rsa_public):
        assert part.split()[1] in text


def test_host_key_private_parts_are_secret_outputs(monitor, generated_keys) -> None:
    host = deploy(spec())
    registration = monitor.one(HOST_KEYS)
    assert sorted(registration.additional_secret_outputs) == ["ed25519_private", "rsa_private"]
    # The engine marks additional_secret_outputs secret (the mock monitor does not); the combined value the
    # component renders user_data from is secret on its own.
    keys, secret = resolve(host.host_keys.host_keys())
    assert secret and keys == generated_keys


def test_outputs(monitor, generated_keys) -> None:
    host = deploy(spec())
    values = {key: resolve(value)[0] for key, value in host.outputs.items()}
    assert values["whitelistIpv4"] == IPV4
    assert ipaddress.ip_address(values["whitelistIpv4"]).version == 4
    assert values["sshCommand"] == f"ssh -p 2222 trader@{IPV4}"
    assert values["hostPublicKeys"] == [generated_keys.ed25519_public, generated_keys.rsa_public]
    assert values["hostKeyFingerprints"] == {"ed25519": fingerprint(generated_keys.ed25519_public),
                                             "rsa": fingerprint(generated_keys.rsa_public)}
    assert (values["adminUser"], values["sshPort"]) == ("trader", 2222)
    assert IPV4 in values["nextStep"] and "\n" not in values["nextStep"]
    assert values["serverId"] == resolve_id(monitor, monitor.one(SERVER))
    for key, value in values.items():  # no private key material in any output
        assert "PRIVATE KEY" not in str(value), key


def test_adding_an_admin_key_renames_no_existing_key(monitor) -> None:
    deploy(spec(adminSshKeys=KEYS[:2]))
    before = {r.plain("publicKey"): (r.name, r.plain("name")) for r in monitor.of_type(SSH_KEY)}
    stop()
    after_monitor = start()
    deploy(spec(adminSshKeys=[*KEYS[:2], KEYS[2]]))
    after = {r.plain("publicKey"): (r.name, r.plain("name")) for r in after_monitor.of_type(SSH_KEY)}
    assert len(after) == 3
    assert {key: after[key] for key in before} == before
