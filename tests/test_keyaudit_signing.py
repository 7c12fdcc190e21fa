"""Every hand-written signature is byte-identical to ccxt's for the same request, key and instant."""

from __future__ import annotations

import base64

import pytest
from keyaudit_keys import ASYMMETRIC, key_for, passphrase_for, secret_for
from tools import require

from bothost.keyaudit.probe import signing

try:
    import ccxt
except ImportError:  # a test dependency (pyproject's [test] extra): CI must have it
    ccxt = None
require("ccxt (pip install -e '.[test]')", ccxt)

TS_MS = 1_767_225_600_123  # a fixed instant (2026-01-01T00:00:00.123Z)
NONCE = "9f1c2b3a4d5e6f708192a3b4c5d6e7f8"


def _ccxt(exchange: str, secret: str | None = None) -> object:
    client = getattr(ccxt, exchange)(
        {
            "apiKey": key_for(exchange),
            "secret": secret or secret_for(exchange),
            "password": passphrase_for(exchange),
            "options": {"recvWindow": 5000},
        }
    )
    client.nonce = lambda: TS_MS
    client.incrementing_nonce = lambda: TS_MS
    client.seconds = lambda: TS_MS // 1000
    client.random_bytes = lambda length: NONCE
    return client


def _ours(exchange: str, secret: str | None = None, base: str = "https://example.invalid") -> tuple:
    creds = signing.Creds(key_for(exchange), secret or secret_for(exchange), passphrase_for(exchange))
    builder = getattr(signing, exchange)
    if exchange == "coinbase":
        return builder(creds, TS_MS, base, nonce=NONCE)
    return builder(creds, TS_MS, base)


# exchange, ccxt path, ccxt api, ccxt method, headers whose values must be identical
HEADER_CASES = [
    (
        "bybit",
        "v5/user/query-api",
        ["private"],
        "GET",
        ("X-BAPI-API-KEY", "X-BAPI-TIMESTAMP", "X-BAPI-RECV-WINDOW", "X-BAPI-SIGN"),
    ),
    (
        "okx",
        "account/config",
        ["private"],
        "GET",
        ("OK-ACCESS-KEY", "OK-ACCESS-PASSPHRASE", "OK-ACCESS-TIMESTAMP", "OK-ACCESS-SIGN"),
    ),
    ("kraken", "GetApiKeyInfo", ["private"], "POST", ("API-Key", "API-Sign", "Content-Type")),
    (
        "kucoin",
        "user/api-key",
        ["private"],
        "GET",
        ("KC-API-KEY", "KC-API-TIMESTAMP", "KC-API-KEY-VERSION", "KC-API-PASSPHRASE", "KC-API-SIGN"),
    ),
    (
        "bitget",
        "v2/spot/account/info",
        ["private", "spot"],
        "GET",
        ("ACCESS-KEY", "ACCESS-TIMESTAMP", "ACCESS-PASSPHRASE", "ACCESS-SIGN"),
    ),
    ("gate", "detail", ["private", "account"], "GET", ("KEY", "Timestamp", "SIGN")),
]


@pytest.mark.parametrize(
    ("exchange", "path", "api", "method", "headers"), HEADER_CASES, ids=[case[0] for case in HEADER_CASES]
)
def test_signed_headers_match_ccxt(exchange: str, path: str, api: list, method: str, headers: tuple) -> None:
    theirs = _ccxt(exchange).sign(path, api, method, {})
    our_method, our_path, our_headers, our_body = _ours(exchange)
    assert our_method == method
    assert theirs["url"].split("?")[0].endswith(our_path)
    for name in headers:
        assert our_headers[name] == theirs["headers"][name], name
    assert (our_body or b"").decode() == (theirs["body"] or "")


def test_binance_query_and_signature_match_ccxt() -> None:
    theirs = _ccxt("binance").sign("account/apiRestrictions", ["sapi"], "GET", {})
    _method, path, headers, _ = _ours("binance")
    assert theirs["url"] == "https://api.binance.com" + path
    assert headers["X-MBX-APIKEY"] == theirs["headers"]["X-MBX-APIKEY"]


@pytest.mark.parametrize("variant", ["", "ed25519"], ids=["es256", "eddsa"])
def test_coinbase_jwt_matches_ccxt_byte_for_byte(variant: str) -> None:
    secret = secret_for("coinbase", variant)
    theirs = _ccxt("coinbase", secret).sign("brokerage/key_permissions", ["v3", "private"], "GET", {})
    _, path, headers, _ = _ours("coinbase", secret, base="https://api.coinbase.com")
    assert theirs["url"] == "https://api.coinbase.com" + path
    assert headers["Authorization"] == theirs["headers"]["Authorization"]


def test_a_different_secret_changes_every_signature() -> None:
    """Guards the comparisons above against comparing two constants."""
    for exchange, *_ in HEADER_CASES:
        name = {
            "bybit": "X-BAPI-SIGN",
            "okx": "OK-ACCESS-SIGN",
            "kraken": "API-Sign",
            "kucoin": "KC-API-SIGN",
            "bitget": "ACCESS-SIGN",
            "gate": "SIGN",
        }[exchange]
        assert _ours(exchange)[2][name] != _ours(exchange, secret_for(exchange, "other"))[2][name], exchange


ASYMMETRIC_CASES = [(exchange, variant) for exchange, variants in ASYMMETRIC.items() for variant in variants]


@pytest.mark.parametrize(("exchange", "variant"), ASYMMETRIC_CASES,
                         ids=["-".join(c) for c in ASYMMETRIC_CASES])
def test_ed25519_and_rsa_signatures_match_ccxt_byte_for_byte(exchange: str, variant: str) -> None:
    """Both schemes are deterministic, so the pure-Python signers must reproduce ccxt's bytes exactly."""
    secret = secret_for(exchange, variant)
    if exchange == "binance":
        theirs = _ccxt("binance", secret).sign("account/apiRestrictions", ["sapi"], "GET", {})
        _, path, _, _ = _ours("binance", secret)
        assert theirs["url"] == "https://api.binance.com" + path
        assert "signature=" in path and "%" in path.rsplit("signature=", 1)[1]  # URL-encoded base64
    else:
        theirs = _ccxt("bybit", secret).sign("v5/user/query-api", ["private"], "GET", {})
        ours = _ours("bybit", secret)[2]["X-BAPI-SIGN"]
        assert ours == theirs["headers"]["X-BAPI-SIGN"] and len(base64.b64decode(ours)) == 256


def test_asymmetric_signers_sign_with_the_given_key() -> None:
    """Two keys of the same type give different signatures (the comparison above is not of constants)."""
    for variant in ("ed25519", "rsa"):
        one = signing.asymmetric(secret_for("binance", variant), "timestamp=1")
        other = signing.asymmetric(secret_for("binance", variant + "-other"), "timestamp=1")
        assert one and other and one != other
    assert signing.asymmetric(secret_for("binance"), "timestamp=1") is None  # HMAC secrets stay HMAC
