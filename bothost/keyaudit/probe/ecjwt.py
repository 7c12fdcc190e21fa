"""Coinbase CDP JWTs in pure Python: ES256 (P-256, RFC 6979 deterministic, low-s) and EdDSA (Ed25519).

Coinbase Advanced Trade authenticates with a JWT signed by the CDP key
(https://docs.cdp.coinbase.com/coinbase-app/authentication-authorization/api-key-authentication).
Header and claims follow ccxt's coinbase.create_auth_token (ccxt 4.5), which tests compare byte for byte.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

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
        signature = ed25519_sign(base64.b64decode(secret)[:32], signing_input.encode())
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


def _der_items(data: bytes) -> list[tuple[int, bytes]]:
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


def _scalar_from_der(der: bytes) -> int:
    """The private scalar of a SEC1 ECPrivateKey, or of a PKCS#8 wrapper around one."""
    ((_tag, body),) = _der_items(der)
    for inner_tag, content in _der_items(body):
        if inner_tag == 0x04 and len(content) == 32:
            return int.from_bytes(content, "big")
        if inner_tag == 0x04:
            return _scalar_from_der(content)
    raise ValueError("no EC private key found in the PEM block")


def pem_ec_scalar(pem: str) -> int:
    """Read an EC private key PEM (as Coinbase hands it out; literal \\n sequences are accepted)."""
    text = pem.replace("\\n", "\n")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("-----")]
    return _scalar_from_der(base64.b64decode("".join(lines)))


# ---- Ed25519 (RFC 8032, section 5.1) ---------------------------------------------------------------------

_Q = 2**255 - 19
_L = 2**252 + 27742317777372353535851937790883648493
_D = -121665 * pow(121666, -1, _Q) % _Q
_I = pow(2, (_Q - 1) // 4, _Q)


def _recover_x(y: int) -> int:
    xx = (y * y - 1) * pow(_D * y * y + 1, -1, _Q)
    x = pow(xx, (_Q + 3) // 8, _Q)
    if (x * x - xx) % _Q:
        x = x * _I % _Q
    return _Q - x if x % 2 else x


_BY = 4 * pow(5, -1, _Q) % _Q
_B = (_recover_x(_BY), _BY, 1, _recover_x(_BY) * _BY % _Q)


def _ed_add(p: tuple, q: tuple) -> tuple:
    a = (p[1] - p[0]) * (q[1] - q[0]) % _Q
    b = (p[1] + p[0]) * (q[1] + q[0]) % _Q
    c = 2 * p[3] * q[3] * _D % _Q
    d = 2 * p[2] * q[2] % _Q
    e, f, g, h = b - a, d - c, d + c, b + a
    return e * f % _Q, g * h % _Q, f * g % _Q, e * h % _Q


def _ed_mul(s: int, point: tuple) -> tuple:
    result = (0, 1, 1, 0)
    while s:
        if s & 1:
            result = _ed_add(result, point)
        point = _ed_add(point, point)
        s >>= 1
    return result


def _ed_compress(point: tuple) -> bytes:
    zinv = pow(point[2], -1, _Q)
    x, y = point[0] * zinv % _Q, point[1] * zinv % _Q
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


def ed25519_sign(seed: bytes, message: bytes) -> bytes:
    """The 64-byte Ed25519 signature of message under the 32-byte seed."""
    h = hashlib.sha512(seed).digest()
    a = int.from_bytes(h[:32], "little")
    a &= (1 << 254) - 8
    a |= 1 << 254
    public = _ed_compress(_ed_mul(a, _B))
    r = int.from_bytes(hashlib.sha512(h[32:] + message).digest(), "little") % _L
    big_r = _ed_compress(_ed_mul(r, _B))
    k = int.from_bytes(hashlib.sha512(big_r + public + message).digest(), "little") % _L
    return big_r + ((r + k * a) % _L).to_bytes(32, "little")
