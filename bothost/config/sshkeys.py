"""Validation of OpenSSH public keys: type, encoding and strength."""

from __future__ import annotations

import base64
import binascii
import struct

MIN_RSA_BITS = 3072
ACCEPTED_TYPES = (
    "ssh-ed25519",
    "sk-ssh-ed25519@openssh.com",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ecdsa-sha2-nistp256@openssh.com",
    "ssh-rsa",
)


HOST_KEY_TYPES = ("ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
                  "ssh-rsa")


def host_key_problem(line: str) -> str | None:
    """Why this line cannot pin a server's host key (`TYPE BASE64 [comment]`), or None."""
    if any(not char.isprintable() for char in line):
        return "contains a newline or another control character"
    parts = line.split()
    if parts and parts[0] not in HOST_KEY_TYPES:
        return f"not a host key type ({', '.join(HOST_KEY_TYPES)})"
    return key_problem(line)


def key_problem(line: str) -> str | None:
    """Why this OpenSSH public key line is refused, or None if it is acceptable."""
    parts = line.split()
    if len(parts) < 2:
        return "not an OpenSSH public key line ('TYPE BASE64 [comment]')"
    key_type, blob_text = parts[0], parts[1]
    if key_type == "ssh-dss":
        return "DSA keys are broken and refused by OpenSSH 9"
    if key_type not in ACCEPTED_TYPES:
        return f"unsupported key type {key_type}"
    try:
        blob = base64.b64decode(blob_text, validate=True)
        fields = _ssh_strings(blob)
    except (binascii.Error, ValueError):
        return "the base64 part is damaged (copy the whole .pub line)"
    if not fields or fields[0] != key_type.encode():
        return "the key type inside the key does not match its label"
    if key_type == "ssh-rsa":
        if len(fields) < 3:
            return "the RSA key is truncated"
        bits = int.from_bytes(fields[2], "big").bit_length()
        if bits < MIN_RSA_BITS:
            return f"RSA key of {bits} bits is too weak (at least {MIN_RSA_BITS})"
    return None


def _ssh_strings(blob: bytes) -> list[bytes]:
    """Split an SSH wire-format blob into its length-prefixed strings."""
    fields, offset = [], 0
    while offset < len(blob):
        if offset + 4 > len(blob):
            raise ValueError("truncated length")
        (length,) = struct.unpack(">I", blob[offset : offset + 4])
        offset += 4
        if offset + length > len(blob):
            raise ValueError("truncated field")
        fields.append(blob[offset : offset + length])
        offset += length
    return fields
