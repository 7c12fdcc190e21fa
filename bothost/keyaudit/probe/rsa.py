"""RSASSA-PKCS1-v1_5 with SHA-256 in pure Python (RFC 8017, section 8.2): deterministic, like ccxt's rsa().

Used for Binance's and Bybit's RSA API keys. Not constant-time (plain modular exponentiation): it signs one
request in a short-lived process on the host, where no attacker measures its timing.
"""

from __future__ import annotations

import hashlib

from . import pem

# DigestInfo prefix for SHA-256 (RFC 8017, section 9.2, note 1)
_SHA256_PREFIX = bytes.fromhex("3031300d060960864801650304020105000420")


def sign(text: str, message: bytes) -> bytes:
    """The signature of message under the PEM RSA private key text."""
    n, d = pem.rsa_numbers(text)
    size = (n.bit_length() + 7) // 8
    info = _SHA256_PREFIX + hashlib.sha256(message).digest()
    if size < len(info) + 11:
        raise ValueError("RSA key too short")
    encoded = b"\x00\x01" + b"\xff" * (size - len(info) - 3) + b"\x00" + info
    return pow(int.from_bytes(encoded, "big"), d, n).to_bytes(size, "big")
