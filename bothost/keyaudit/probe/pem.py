"""PEM and DER reading for the probe's key types (EC, Ed25519 and RSA private keys), standard library only."""

from __future__ import annotations

import base64

ED25519_OID = bytes.fromhex("2b6570")  # 1.3.101.112 (RFC 8410)
RSA_OID = bytes.fromhex("2a864886f70d010101")  # 1.2.840.113549.1.1.1 (rsaEncryption)


def der(text: str) -> bytes:
    """The DER bytes of the first PEM block (literal \\n sequences, as pasted into configs, are accepted)."""
    lines = [line.strip() for line in text.replace("\\n", "\n").splitlines()]
    body = [line for line in lines if line and not line.startswith("-----") and ":" not in line]
    return base64.b64decode("".join(body), validate=True)


def der_items(data: bytes) -> list[tuple[int, bytes]]:
    """The (tag, content) items of one DER level."""
    items, offset = [], 0
    while offset < len(data):
        tag, length = data[offset], data[offset + 1]
        offset += 2
        if length & 0x80:
            count = length & 0x7F
            length = int.from_bytes(data[offset : offset + count], "big")
            offset += count
        items.append((tag, data[offset : offset + length]))
        offset += length
    return items


def _pkcs8(data: bytes) -> tuple[bytes, bytes] | None:
    """(algorithm OID, private key octets) of a PKCS#8 PrivateKeyInfo, or None for another structure."""
    ((_tag, body),) = der_items(data)
    items = der_items(body)
    if len(items) >= 3 and items[1][0] == 0x30 and items[2][0] == 0x04:
        algorithm = der_items(items[1][1])[0][1]
        return algorithm, items[2][1]
    return None


def ed25519_seed(text: str) -> bytes:
    """The 32-byte seed of a PKCS#8 Ed25519 private key ("-----BEGIN PRIVATE KEY-----", RFC 8410)."""
    found = _pkcs8(der(text))
    if found is None or found[0] != ED25519_OID:
        raise ValueError("not an Ed25519 private key")
    ((_tag, seed),) = der_items(found[1])
    return seed


def rsa_numbers(text: str) -> tuple[int, int]:
    """(n, d) of an RSA private key, PKCS#1 ("BEGIN RSA PRIVATE KEY") or PKCS#8 ("BEGIN PRIVATE KEY")."""
    data = der(text)
    found = _pkcs8(data)
    if found is not None:
        if found[0] != RSA_OID:
            raise ValueError("not an RSA private key")
        data = found[1]
    ((_tag, body),) = der_items(data)
    numbers = [int.from_bytes(content, "big") for tag, content in der_items(body) if tag == 0x02]
    return numbers[1], numbers[3]  # version, n, e, d, ...


def key_type(secret: str) -> str:
    """"hmac" for a shared secret, else "ed25519" or "rsa" for a PEM private key."""
    if "PRIVATE KEY" not in secret:
        return "hmac"
    found = _pkcs8(der(secret))
    return "ed25519" if found is not None and found[0] == ED25519_OID else "rsa"
