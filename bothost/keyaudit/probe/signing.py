"""Signed "who am I" requests, one builder per exchange, as each exchange documents its signature.

Each builder returns (method, path with query, headers, body). Tests compare every signature byte for byte
with ccxt's `sign()` for the same request.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
import urllib.parse

from . import ecjwt, ed25519, pem, rsa

RECV_WINDOW_MS = 5000  # what we send where the exchange takes a receive window (Binance, Bybit)


class Creds:
    """The key material, as plain strings; lives only inside the probe process."""

    def __init__(self, key: str, secret: str, passphrase: str = "") -> None:
        self.key, self.secret, self.passphrase = key, secret, passphrase


def _hmac(secret: str | bytes, text: str, digest: object = hashlib.sha256) -> hmac.HMAC:
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, text.encode(), digest)


def _b64(mac: hmac.HMAC) -> str:
    return base64.b64encode(mac.digest()).decode()


def asymmetric(secret: str, text: str) -> str | None:
    """Base64 signature of text with a PEM Ed25519 or RSA private key, as ccxt signs; None for HMAC."""
    kind = pem.key_type(secret)
    if kind == "ed25519":
        return base64.b64encode(ed25519.sign(pem.ed25519_seed(secret), text.encode())).decode()
    if kind == "rsa":
        return base64.b64encode(rsa.sign(secret, text.encode())).decode()
    return None


def binance(creds: Creds, ts_ms: int, base: str) -> tuple:
    """HMAC-SHA256 hex, or URL-encoded base64 Ed25519/RSA, of the query (developers.binance.com, "SIGNED")."""
    query = f"timestamp={ts_ms}&recvWindow={RECV_WINDOW_MS}"
    signed = asymmetric(creds.secret, query)
    signature = urllib.parse.quote(signed, safe="") if signed else _hmac(creds.secret, query).hexdigest()
    return (
        "GET",
        f"/sapi/v1/account/apiRestrictions?{query}&signature={signature}",
        {"X-MBX-APIKEY": creds.key},
        None,
    )


def bybit(creds: Creds, ts_ms: int, base: str) -> tuple:
    """HMAC-SHA256 hex, or base64 RSA, of ts+key+recvWindow+query (bybit-exchange.github.io/docs/v5/guide)."""
    text = f"{ts_ms}{creds.key}{RECV_WINDOW_MS}"
    signature = asymmetric(creds.secret, text) or _hmac(creds.secret, text).hexdigest()
    return (
        "GET",
        "/v5/user/query-api",
        {
            "X-BAPI-API-KEY": creds.key,
            "X-BAPI-TIMESTAMP": str(ts_ms),
            "X-BAPI-RECV-WINDOW": str(RECV_WINDOW_MS),
            "X-BAPI-SIGN": signature,
        },
        None,
    )


def okx_timestamp(ts_ms: int) -> str:
    """OKX's ISO 8601 timestamp with milliseconds, e.g. 2020-12-08T09:08:57.715Z."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts_ms // 1000)) + f".{ts_ms % 1000:03d}Z"


def okx(creds: Creds, ts_ms: int, base: str) -> tuple:
    """Base64 HMAC-SHA256 of timestamp+method+path (okx.com/docs-v5, "REST Authentication")."""
    stamp, path = okx_timestamp(ts_ms), "/api/v5/account/config"
    return (
        "GET",
        path,
        {
            "OK-ACCESS-KEY": creds.key,
            "OK-ACCESS-PASSPHRASE": creds.passphrase,
            "OK-ACCESS-TIMESTAMP": stamp,
            "OK-ACCESS-SIGN": _b64(_hmac(creds.secret, stamp + "GET" + path)),
        },
        None,
    )


def kraken(creds: Creds, ts_ms: int, base: str) -> tuple:
    """Base64 HMAC-SHA512(b64decode(secret), path + SHA256(nonce+body)) (docs.kraken.com, "Authentication").

    The nonce is the time in milliseconds: if the bot uses larger (microsecond) nonces on the same key, our
    call fails with "Invalid nonce" instead of pushing the key's nonce past the bot's.
    """
    path, nonce = "/0/private/GetApiKeyInfo", str(ts_ms)
    body = urllib.parse.urlencode({"nonce": nonce})
    inner = hashlib.sha256((nonce + body).encode()).digest()
    signature = hmac.new(base64.b64decode(creds.secret), path.encode() + inner, hashlib.sha512).digest()
    return (
        "POST",
        path,
        {
            "API-Key": creds.key,
            "API-Sign": base64.b64encode(signature).decode(),
            "Content-Type": "application/x-www-form-urlencoded",
        },
        body.encode(),
    )


def kucoin(creds: Creds, ts_ms: int, base: str) -> tuple:
    """Key version 2: base64 HMAC-SHA256 of ts+method+path, passphrase HMAC'd too (kucoin.com/docs-new)."""
    path = "/api/v1/user/api-key"
    return (
        "GET",
        path,
        {
            "KC-API-KEY": creds.key,
            "KC-API-TIMESTAMP": str(ts_ms),
            "KC-API-KEY-VERSION": "2",
            "KC-API-PASSPHRASE": _b64(_hmac(creds.secret, creds.passphrase)),
            "KC-API-SIGN": _b64(_hmac(creds.secret, f"{ts_ms}GET{path}")),
        },
        None,
    )


def bitget(creds: Creds, ts_ms: int, base: str) -> tuple:
    """Base64 HMAC-SHA256, or base64 RSA (user-generated key), of ts+METHOD+path (bitget.com/api-doc)."""
    path = "/api/v2/spot/account/info"
    text = f"{ts_ms}GET{path}"
    return (
        "GET",
        path,
        {
            "ACCESS-KEY": creds.key,
            "ACCESS-TIMESTAMP": str(ts_ms),
            "ACCESS-PASSPHRASE": creds.passphrase,
            "ACCESS-SIGN": asymmetric(creds.secret, text) or _b64(_hmac(creds.secret, text)),
            "locale": "en-US",
        },
        None,
    )


def gate(creds: Creds, ts_ms: int, base: str, path: str = "/api/v4/account/detail") -> tuple:
    """Hex HMAC-SHA512 of METHOD\npath\nquery\nSHA512(body)\nts (gate.com/docs/developers/apiv4)."""
    stamp = str(ts_ms // 1000)
    payload = "\n".join(["GET", path, "", hashlib.sha512(b"").hexdigest(), stamp])
    return (
        "GET",
        path,
        {
            "KEY": creds.key,
            "Timestamp": stamp,
            "SIGN": _hmac(creds.secret, payload, hashlib.sha512).hexdigest(),
        },
        None,
    )


def gate_main_keys(creds: Creds, ts_ms: int, base: str) -> tuple:
    """The second Gate call: this main-account key's permissions (GET /api/v4/account/main_keys)."""
    return gate(creds, ts_ms, base, "/api/v4/account/main_keys")


def coinbase_token(
    creds: Creds, ts_ms: int, base: str, method: str, path: str, nonce: str | None = None
) -> str:
    """A CDP JWT bearer token for one request: ES256 for PEM EC keys, EdDSA for Ed25519 (ccxt's claims)."""
    seconds, uri = ts_ms // 1000, f"{method} {urllib.parse.urlsplit(base).netloc}{path}"
    eddsa = "BEGIN" not in creds.secret
    claims = {
        "aud": ["cdp_service" if eddsa else "retail_rest_api_proxy"],
        "iss": "cdp" if eddsa else "coinbase-cloud",
        "nbf": seconds,
        "exp": seconds + 120,
        "sub": creds.key,
        "iat": seconds,
        **({"uris": [uri]} if eddsa else {"uri": uri}),
    }
    header = {
        "alg": "EdDSA" if eddsa else "ES256",
        "typ": "JWT",
        "kid": creds.key,
        "nonce": nonce or secrets.token_hex(16),
    }
    return ecjwt.jwt(claims, header, creds.secret)


def coinbase(creds: Creds, ts_ms: int, base: str, nonce: str | None = None) -> tuple:
    """The key-permissions call with a CDP JWT bearer token (see coinbase_token)."""
    path = "/api/v3/brokerage/key_permissions"
    token = coinbase_token(creds, ts_ms, base, "GET", path, nonce)
    return "GET", path, {"Authorization": "Bearer " + token, "Content-Type": "application/json"}, None
