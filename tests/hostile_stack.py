"""Stack files for the hostile-input tests: a valid base plus one snippet, loaded the way every verb loads."""

from __future__ import annotations

import re
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from bothost.cli.options import load_spec
from bothost.config import StackSpec

SENTINEL = "SENTINEL-s3cr3t-value"  # any secret in the corpus; it must never appear in an error
ADMIN_KEY = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(
    serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
BASE = {
    "bothost:adminSshKeys": f"  bothost:adminSshKeys:\n    - {ADMIN_KEY} me@laptop\n",
    "bothost:adminCidrs": "  bothost:adminCidrs:\n    - 203.0.113.7/32\n",
}
EXCHANGE = ("  bothost:exchange: binance\n"
            "  bothost:exchangeApiKey:\n    secure: v1:AAAA\n"
            "  bothost:exchangeApiSecret:\n    secure: v1:BBBB\n")


def stack_text(snippet: str) -> str:
    """A stack file: the base keys the snippet does not set itself, then the snippet (under `config:`)."""
    set_here = set(re.findall(r"^  (bothost:[A-Za-z]+):", snippet, re.MULTILINE))
    base = "".join(text for key, text in BASE.items() if key not in set_here)
    return "config:\n" + base + snippet


def write_stack(directory: Path, snippet: str | bytes) -> Path:
    """Write the stack file (bytes are written as given, for encodings and raw control bytes)."""
    path = directory / "Pulumi.hostile.yaml"
    if isinstance(snippet, bytes):
        path.write_bytes(b"config:\n" + "".join(BASE.values()).encode() + snippet)
    else:
        path.write_text(stack_text(snippet), encoding="utf-8")
    return path


def load(path: Path) -> StackSpec:
    """The spec, through the one loader every verb uses."""
    return load_spec(path)
