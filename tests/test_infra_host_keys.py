"""The host-keys dynamic provider: keys are made once, kept by diff, update and read, and go secret."""

from __future__ import annotations

import base64

import dill
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import rpc

from bothost.hostkeys import fingerprint
from bothost.infra.host_keys import ALGORITHMS, PRIVATE_OUTPUTS, HostKeysProvider


@pytest.fixture(scope="module")
def created():
    """One real create() (it generates an RSA-4096 key)."""
    return HostKeysProvider().create({"algorithms": ALGORITHMS})


def test_create_makes_matching_valid_key_pairs(created) -> None:
    outs = created.outs
    ed = serialization.load_ssh_private_key(outs["ed25519_private"].encode(), password=None)
    rsa_key = serialization.load_ssh_private_key(outs["rsa_private"].encode(), password=None)
    assert isinstance(ed, ed25519.Ed25519PrivateKey) and isinstance(rsa_key, rsa.RSAPrivateKey)
    assert rsa_key.key_size == 4096
    for private, public in ((ed, outs["ed25519_public"]), (rsa_key, outs["rsa_public"])):
        own = private.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                                serialization.PublicFormat.OpenSSH)
        assert own.decode() == public
    assert outs["ed25519_fingerprint"] == fingerprint(outs["ed25519_public"])
    assert outs["rsa_fingerprint"] == fingerprint(outs["rsa_public"])
    assert created.id == outs["ed25519_fingerprint"]
    assert "PRIVATE" not in created.id


def test_each_create_makes_new_keys(created) -> None:
    again = HostKeysProvider().create({"algorithms": ALGORITHMS})
    assert again.outs["ed25519_public"] != created.outs["ed25519_public"]


def secret_state(outs: dict) -> dict:
    """State as the engine hands it back: the private parts wrapped as secrets."""
    return {k: rpc.wrap_rpc_secret(v) if k in PRIVATE_OUTPUTS else v for k, v in outs.items()}


@pytest.mark.parametrize(("news", "changes", "replaces"), [
    ({"algorithms": ALGORITHMS}, False, []),
    ({"algorithms": ALGORITHMS, "__provider": "new code"}, False, []),
    ({"algorithms": "ed25519+rsa8192"}, True, ["algorithms"]),
])
def test_diff_replaces_only_when_the_algorithms_change(created, news, changes, replaces) -> None:
    result = HostKeysProvider().diff(created.id, secret_state(created.outs), news)
    assert (result.changes, result.replaces) == (changes, replaces)


def test_update_and_read_keep_the_keys(created) -> None:
    olds = secret_state(created.outs)
    updated = HostKeysProvider().update(created.id, olds, {"algorithms": ALGORITHMS}).outs
    assert updated == created.outs
    read = HostKeysProvider().read(created.id, olds)
    assert (read.id, read.outs) == (created.id, created.outs)


def test_provider_survives_the_engines_serialization(created) -> None:
    raw = base64.b64decode(serialize_provider(HostKeysProvider()))
    # Pickled by reference: the state holds a class name, not code, so a bothost upgrade changes nothing.
    assert b"bothost.infra.host_keys" in raw and len(raw) < 200
    provider = dill.loads(raw)
    assert isinstance(provider, HostKeysProvider)
    assert provider.diff(created.id, created.outs, {"algorithms": ALGORITHMS}).changes is False
