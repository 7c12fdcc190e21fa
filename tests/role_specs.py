"""Specs and keys for the role and user_data tests."""

from __future__ import annotations

import os
import subprocess
from functools import cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from bothost.config import StackSpec, parse_spec

ROOT = Path(__file__).resolve().parent.parent


def admin_key(comment: str = "admin@test") -> str:
    """A fresh, valid ed25519 public key line."""
    key = ed25519.Ed25519PrivateKey.generate().public_key()
    text = key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    return f"{text} {comment}"


@cache
def default_key() -> str:
    """One admin key shared by tests that do not care which key it is."""
    return admin_key()


def make_spec(**overrides: object) -> StackSpec:
    """A valid spec; keyword names are config keys without the `bothost:` prefix."""
    values: dict[str, object] = {"bothost:adminSshKeys": [default_key()],
                                 "bothost:adminCidrs": ["203.0.113.7/32"]}
    values.update({f"bothost:{key}": value for key, value in overrides.items()})
    return parse_spec(values, stack="test")


def require_root(what: str) -> None:
    """Skip (or fail in CI) when a test needs root, e.g. for a network namespace or /run/sshd."""
    if os.geteuid() != 0:
        from tools import require

        require(f"root (for {what})", False)


def run(argv: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    """Run a local tool and capture its text output."""
    return subprocess.run(argv, capture_output=True, text=True, check=False, **kwargs)

