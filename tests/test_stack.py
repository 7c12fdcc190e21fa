"""Stack outputs for verify: parsed from `pulumi stack output --json` (a fake pulumi on PATH)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bothost.errors import BothostError
from bothost.stack import parse_outputs, read_outputs

ED = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHM8p2zW3ZlsbqQcNq2BNa0RDk8vg9k3Jw+VslVkRqDs"
RSA = rsa.generate_private_key(public_exponent=65537, key_size=3072).public_key().public_bytes(
    serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()  # --host-key checks it


def fake_pulumi(bin_dir: Path, stdout: str, status: int = 0) -> Path:
    """A `pulumi` that records its argv and prints a canned answer."""
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "answer").write_text(stdout)
    script = bin_dir / "pulumi"
    script.write_text(f'#!/bin/sh\necho "$@" > {bin_dir}/argv\ncat {bin_dir}/answer\nexit {status}\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return bin_dir


@pytest.mark.parametrize(("keys", "expected"), [
    ([ED + " root@host", RSA], (ED, RSA)),
    (f"{ED}\n{RSA}\n", (ED, RSA)),
    ({"ed25519": ED, "rsa": RSA}, (ED, RSA)),
    (None, ()),
])
def test_host_keys_in_any_shape(keys: object, expected: tuple[str, ...]) -> None:
    assert parse_outputs({"hostPublicKeys": keys}).host_keys == expected


def test_all_outputs() -> None:
    outputs = parse_outputs({"whitelistIpv4": "203.0.113.7", "sshPort": 2222, "adminUser": "ops",
                             "hostPublicKeys": [ED]})
    assert (outputs.host, outputs.port, outputs.user) == ("203.0.113.7", 2222, "ops")


def test_reads_the_stack_with_the_pulumi_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    answer = json.dumps({"whitelistIpv4": "203.0.113.7", "hostPublicKeys": [ED]})
    bin_dir = fake_pulumi(tmp_path / "bin", answer)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    outputs = read_outputs("prod")
    assert outputs.host == "203.0.113.7" and outputs.host_keys == (ED,)
    assert (bin_dir / "argv").read_text().split() == ["stack", "output", "--json", "--stack", "prod"]


@pytest.mark.parametrize(("stdout", "status", "message"), [
    ("", 255, "failed"),
    ("not json", 0, "did not print JSON"),
    ("[1, 2]", 0, "not an object"),
])
def test_pulumi_problems_are_user_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stdout: str,
                                         status: int, message: str) -> None:
    monkeypatch.setenv("PATH", f"{fake_pulumi(tmp_path / 'bin', stdout, status)}:{os.environ['PATH']}")
    with pytest.raises(BothostError, match=message):
        read_outputs()


def test_missing_pulumi_says_what_to_pass(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BothostError, match="--host-key"):
        read_outputs()
