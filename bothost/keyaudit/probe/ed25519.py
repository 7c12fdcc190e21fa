"""Ed25519 signatures in pure Python (RFC 8032, 5.1): deterministic, so tests compare them with ccxt's.

Used for Coinbase's EdDSA JWTs and Binance's Ed25519 API keys. Not constant-time: it signs one request in a
short-lived process on the host, where no attacker measures its timing.
"""

from __future__ import annotations

import hashlib

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


def sign(seed: bytes, message: bytes) -> bytes:
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
