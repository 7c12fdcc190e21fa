"""Coinbase CDP JWTs in pure Python: ES256 (P-256, RFC 6979 deterministic, low-s) and EdDSA (ed25519.py).

Coinbase Advanced Trade authenticates with a JWT signed by the CDP key
(https://docs.cdp.coinbase.com/coinbase-app/authentication-authorization/api-key-authentication).
Header and claims follow ccxt's coinbase.create_auth_token (ccxt 4.5), which tests compare byte for byte.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from . import ed25519, pem

# NIST P-256 (SEC 2, section 2.4.2)
_P = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
_A = _P - 3
_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_G = (
    0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
    0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5,
)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _compact(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def jwt(claims: dict, header: dict, secret: str) -> str:
    """A signed JWT; header["alg"] picks ES256 (PEM EC key) or EdDSA (base64 Ed25519 key)."""
    signing_input = _b64url(_compact(header)) + "." + _b64url(_compact(claims))
    if header["alg"] == "ES256":
        signature = es256_sign(signing_input.encode(), pem_ec_scalar(secret))
    else:
        signature = ed25519.sign(base64.b64decode(secret)[:32], signing_input.encode())
    return signing_input + "." + _b64url(signature)


# ---- P-256 ECDSA -----------------------------------------------------------------------------------------


def _add(p: tuple | None, q: tuple | None) -> tuple | None:
    if p is None:
        return q
    if q is None:
        return p
    if p[0] == q[0] and (p[1] + q[1]) % _P == 0:
        return None
    if p == q:
        slope = (3 * p[0] * p[0] + _A) * pow(2 * p[1], -1, _P) % _P
    else:
        slope = (q[1] - p[1]) * pow(q[0] - p[0], -1, _P) % _P
    x = (slope * slope - p[0] - q[0]) % _P
    return x, (slope * (p[0] - x) - p[1]) % _P


def _mul(k: int, point: tuple) -> tuple | None:
    result = None
    while k:
        if k & 1:
            result = _add(result, point)
        point = _add(point, point)
        k >>= 1
    return result


def _rfc6979_k(d: int, digest: bytes) -> int:
    """The deterministic nonce of RFC 6979 section 3.2 for P-256 with HMAC-SHA256."""
    x = d.to_bytes(32, "big")
    h = (int.from_bytes(digest, "big") % _N).to_bytes(32, "big")
    v, k = b"\x01" * 32, b"\x00" * 32
    k = hmac.new(k, v + b"\x00" + x + h, hashlib.sha256).digest()
    v = hmac.new(k, v, hashlib.sha256).digest()
    k = hmac.new(k, v + b"\x01" + x + h, hashlib.sha256).digest()
    v = hmac.new(k, v, hashlib.sha256).digest()
    while True:
        v = hmac.new(k, v, hashlib.sha256).digest()
        candidate = int.from_bytes(v, "big")
        if 1 <= candidate < _N:
            return candidate
        k = hmac.new(k, v + b"\x00", hashlib.sha256).digest()
        v = hmac.new(k, v, hashlib.sha256).digest()


def es256_sign(message: bytes, d: int) -> bytes:
    """r||s (64 bytes) over SHA-256(message), deterministic and low-s like ccxt."""
    digest = hashlib.sha256(message).digest()
    e = int.from_bytes(digest, "big")
    k = _rfc6979_k(d, digest)
    r = _mul(k, _G)[0] % _N
    s = pow(k, -1, _N) * (e + r * d) % _N
    if s > _N // 2:
        s = _N - s
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def _scalar_from_der(der: bytes) -> int:
    """The private scalar of a SEC1 ECPrivateKey, or of a PKCS#8 wrapper around one."""
    ((_tag, body),) = pem.der_items(der)
    for inner_tag, content in pem.der_items(body):
        if inner_tag == 0x04 and len(content) == 32:
            return int.from_bytes(content, "big")
        if inner_tag == 0x04:
            return _scalar_from_der(content)
    raise ValueError("no EC private key found in the PEM block")


def pem_ec_scalar(text: str) -> int:
    """Read an EC private key PEM (as Coinbase hands it out; literal \\n sequences are accepted)."""
    return _scalar_from_der(pem.der(text))
