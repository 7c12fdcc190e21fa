"""Stack config validation: every bad value names its key, shows the value and says how to fix it."""

from __future__ import annotations

import base64
import json
import struct

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from bothost.config import parse_spec
from bothost.errors import ConfigError


def openssh(key) -> str:
    """The OpenSSH public key line of a cryptography private key."""
    return key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                         serialization.PublicFormat.OpenSSH).decode()


def ssh_blob(*fields: bytes) -> str:
    """Base64 of an SSH wire-format blob made of the given strings."""
    return base64.b64encode(b"".join(struct.pack(">I", len(f)) + f for f in fields)).decode()


ED25519 = openssh(ed25519.Ed25519PrivateKey.generate()) + " me@laptop"
ED25519_B = openssh(ed25519.Ed25519PrivateKey.generate())
RSA_2048 = openssh(rsa.generate_private_key(public_exponent=65537, key_size=2048))
RSA_3072 = openssh(rsa.generate_private_key(public_exponent=65537, key_size=3072))
DSA = "ssh-dss " + ssh_blob(b"ssh-dss", b"\x00" + b"\xab" * 128, b"\x00" + b"\xcd" * 20, b"\x02", b"\x03")
MISLABELLED = "ssh-rsa " + ED25519.split()[1]  # an ed25519 blob under an RSA label
BASE = {"bothost:adminSshKeys": [ED25519], "bothost:adminCidrs": ["198.51.100.7/32"]}
KEYS, CIDRS = "bothost:adminSshKeys", "bothost:adminCidrs"

# (overrides of BASE (None removes a key), key named, value shown, problem, fix)
ERRORS = [
    ({CIDRS: ["198.51.100.300/32"]}, f"{CIDRS}[0]", '"198.51.100.300/32"', "not an IP network",
     "ADDRESS/PREFIX"),
    ({CIDRS: ["198.51.100.7/24"]}, f"{CIDRS}[0]", '"198.51.100.7/24"', "host bits are set",
     "use 198.51.100.0/24"),
    ({CIDRS: ["2001:db8::1/48"]}, f"{CIDRS}[0]", '"2001:db8::1/48"', "host bits are set",
     "use 2001:db8::/48"),
    ({CIDRS: ["198.51.100.7/32", "0.0.0.0/0"]}, f"{CIDRS}[1]", '"0.0.0.0/0"', "the whole internet",
     "bothost:allowSshFromAnywhere true"),
    ({CIDRS: ["::/0"]}, f"{CIDRS}[0]", '"::/0"', "the whole internet", "bothost:allowSshFromAnywhere true"),
    ({CIDRS: ["0.0.0.0/1", "128.0.0.0/1"]}, f"{CIDRS}[0]", '"0.0.0.0/1"', "a large part of the internet",
     "bothost:allowSshFromAnywhere true"),
    ({CIDRS: ["0.0.0.0/0"], "bothost:allowSshFromAnywhere": "maybe"}, "bothost:allowSshFromAnywhere",
     '"maybe"', "expected true or false", "pulumi config set bothost:allowSshFromAnywhere true|false"),
    ({CIDRS: ["198.51.100.7/32", "198.51.100.7/32"]}, f"{CIDRS}[1]", '"198.51.100.7/32"', "listed twice",
     f"remove {CIDRS}[1]"),
    ({CIDRS: []}, CIDRS, "[]", "at least one CIDR", f"pulumi config set --path '{CIDRS}[0]'"),
    ({CIDRS: None}, CIDRS, "(not set)", "this key is required", f"pulumi config set --path '{CIDRS}[0]'"),
    ({CIDRS: {"a": "b"}}, CIDRS, "{'a': 'b'}", "expected a list of non-empty strings", "--path"),
    ({KEYS: ["ssh-ed25519"]}, f"{KEYS}[0]", '"ssh-ed25519"', "not an OpenSSH public key line", "ssh-keygen"),
    ({KEYS: ["ssh-ed25519 AAAA!!notbase64"]}, f"{KEYS}[0]", "AAAA!!notbase64", "base64 part is damaged",
     "ssh-keygen"),
    ({KEYS: [RSA_2048]}, f"{KEYS}[0]", '"ssh-rsa AAAA', "RSA key of 2048 bits is too weak (at least 3072)",
     "ssh-keygen -t ed25519"),
    ({KEYS: [DSA]}, f"{KEYS}[0]", '"ssh-dss AAAA', "DSA keys are broken", "ssh-keygen -t ed25519"),
    ({KEYS: [MISLABELLED]}, f"{KEYS}[0]", '"ssh-rsa AAAAC3', "does not match its label", "ssh-keygen"),
    ({KEYS: ["ecdsa-sha2-nistp999 AAAA"]}, f"{KEYS}[0]", "nistp999", "unsupported key type", "ssh-keygen"),
    ({KEYS: [ED25519, ED25519_B, ED25519]}, f"{KEYS}[2]", '"ssh-ed25519 AAAA', "listed twice",
     f"remove {KEYS}[2]"),
    ({KEYS: []}, KEYS, "[]", "at least one admin key", "id_ed25519.pub"),
    ({KEYS: None}, KEYS, "(not set)", "this key is required", "id_ed25519.pub"),
    ({"bothost:location": "fra1"}, "bothost:location", '"fra1"', "expected one of fsn1, nbg1, hel1",
     "pulumi config set bothost:location fsn1"),
    ({"bothost:image": "debian-11"}, "bothost:image", '"debian-11"', "expected one of debian-12",
     "pulumi config set bothost:image debian-12"),
    ({"bothost:serverType": "CX 23"}, "bothost:serverType", '"CX 23"', "not a Hetzner server type",
     "pulumi config set bothost:serverType cx23"),
    ({"bothost:rebootWindow": "24:00"}, "bothost:rebootWindow", '"24:00"', "not a 24-hour time HH:MM",
     "pulumi config set bothost:rebootWindow 04:30"),
    ({"bothost:rebootWindow": "4:30"}, "bothost:rebootWindow", '"4:30"', "HH:MM", "04:30"),
    ({"bothost:timezone": "Mars/Olympus_Mons"}, "bothost:timezone", '"Mars/Olympus_Mons"', "unknown timezone",
     "Europe/Berlin"),
    ({"bothost:adminUser": "root"}, "bothost:adminUser", '"root"', "reserved system account",
     "pulumi config set bothost:adminUser bothost"),
    ({"bothost:adminUser": "docker"}, "bothost:adminUser", '"docker"', "reserved",
     "bothost:adminUser bothost"),
    ({"bothost:adminUser": "Trader"}, "bothost:adminUser", '"Trader"', "not a valid Linux user name",
     "lower-case letters"),
    ({"bothost:sshPort": "0"}, "bothost:sshPort", '"0"', "whole number from 1 to 65535",
     "pulumi config set bothost:sshPort 22"),
    ({"bothost:sshPort": 65536}, "bothost:sshPort", "65536", "from 1 to 65535", "bothost:sshPort 22"),
    ({"bothost:sshPort": "ssh"}, "bothost:sshPort", '"ssh"', "whole number", "bothost:sshPort 22"),
    ({"bothost:sshPort": 22.5}, "bothost:sshPort", "22.5", "whole number", "bothost:sshPort 22"),
    ({"bothost:sshPort": True}, "bothost:sshPort", "True", "whole number", "bothost:sshPort 22"),
    ({"bothost:ipv6": "yes"}, "bothost:ipv6", '"yes"', "expected true or false", "bothost:ipv6 true|false"),
    ({"bothost:ntpServers": ["ntp.example", "bad host"]}, "bothost:ntpServers[1]", '"bad host"',
     "not a host name or IP address", "ntp1.hetzner.de"),
    ({"bothost:sshport": "22"}, "bothost:sshport", "(set)", "unknown config key",
     "did you mean bothost:sshPort?"),
    ({"bothost:adminCidr": "x"}, "bothost:adminCidr", "(set)", "unknown config key",
     "did you mean bothost:adminCidrs?"),
    ({"bothost:zzzzzz": "x"}, "bothost:zzzzzz", "(set)", "unknown config key", "Pulumi.example.yaml"),
]


def config(overrides: dict[str, object], engine: bool = False) -> dict[str, object]:
    """BASE with overrides; engine=True turns lists into JSON strings as `pulumi config` hands them over."""
    values = {k: v for k, v in {**BASE, **overrides}.items() if v is not None}
    if engine:
        values = {k: json.dumps(v) if isinstance(v, list) else v for k, v in values.items()}
    return values


@pytest.mark.parametrize("engine", [False, True], ids=["yaml", "engine"])
@pytest.mark.parametrize(("overrides", "key", "shown", "problem", "fix"), ERRORS,
                         ids=[f"{i}-{case[1]}" for i, case in enumerate(ERRORS)])
def test_config_error_names_key_value_and_fix(overrides, key, shown, problem, fix, engine) -> None:
    values = config(overrides, engine)
    with pytest.raises(ConfigError) as caught:
        parse_spec(values)
    error = caught.value
    message = str(error)
    assert error.key == key
    assert message.startswith(f"{key} = ")
    assert shown in message.split(f": {error.problem}")[0]  # the value comes before the problem
    assert problem in error.problem
    assert f"Fix: {error.fix}" in message and fix in error.fix
    assert "\n" not in message


def test_defaults() -> None:
    host = parse_spec(config({})).host
    assert (host.location, host.image, host.server_type, host.ssh_port, host.admin_user) == (
        "fsn1", "debian-12", "cx23", 22, "bothost")
    assert (host.ipv6, host.restrict_egress, host.allow_ssh_from_anywhere) == (False, False, False)
    assert (host.reboot_window, host.timezone) == ("04:30", "UTC")
    assert host.ntp_servers == ("ntp1.hetzner.de", "ntp2.hetzner.com", "ntp3.hetzner.net")


ENGINE_STRINGS = [
    # (key, the string the engine hands over, the parsed field, expected)
    (CIDRS, '["198.51.100.7/32", "2001:db8::/48"]', "admin_cidrs", ("198.51.100.7/32", "2001:db8::/48")),
    (CIDRS, "198.51.100.7/32", "admin_cidrs", ("198.51.100.7/32",)),  # set without --path: one plain string
    (KEYS, json.dumps([ED25519, RSA_3072]), "admin_ssh_keys", (ED25519, RSA_3072)),
    (KEYS, ED25519, "admin_ssh_keys", (ED25519,)),
    ("bothost:sshPort", "2222", "ssh_port", 2222),
    ("bothost:ipv6", "true", "ipv6", True),
    ("bothost:restrictEgress", "False", "restrict_egress", False),
    ("bothost:ntpServers", '["ntp.example", "192.0.2.1"]', "ntp_servers", ("ntp.example", "192.0.2.1")),
    ("bothost:rebootWindow", "23:59", "reboot_window", "23:59"),
    ("bothost:timezone", "Europe/Berlin", "timezone", "Europe/Berlin"),
]


@pytest.mark.parametrize(("key", "text", "field", "expected"), ENGINE_STRINGS)
def test_engine_strings_parse(key, text, field, expected) -> None:
    assert getattr(parse_spec({**config({}, engine=True), key: text}).host, field) == expected


def test_world_open_ssh_is_accepted_only_when_allowed() -> None:
    host = parse_spec(config({CIDRS: ["0.0.0.0/0", "::/0"], "bothost:allowSshFromAnywhere": "true"})).host
    assert host.admin_cidrs == ("0.0.0.0/0", "::/0") and host.allow_ssh_from_anywhere


def test_key_comment_is_kept_and_options_trimmed() -> None:
    line = ED25519 + " extra words"
    assert parse_spec(config({KEYS: [line]})).host.admin_ssh_keys == (ED25519,)
