"""The watcher's signed reads are byte-identical to ccxt's for the same endpoint, parameters, key and instant
(Coinbase's JWT carries a random nonce: the fake exchange verifies it instead)."""

from __future__ import annotations

import urllib.parse

import pytest
from keyaudit_keys import key_for, passphrase_for, secret_for
from test_keyaudit_signing import TS_MS, _ccxt

from bothost.keyaudit.probe.signing import Creds
from bothost.watch.sources import KRAKEN_LEDGERS, SOURCES

SINCE_MS = TS_MS - 3_600_000

# exchange (source), ccxt path and api, the header holding the signature (None: it is in the URL)
CASES = [
    ("bybit", SOURCES["bybit"], "v5/execution/list", ["private"], "X-BAPI-SIGN"),
    ("okx", SOURCES["okx"], "trade/fills", ["private"], "OK-ACCESS-SIGN"),
    ("kraken", SOURCES["kraken"], "TradesHistory", ["private"], "API-Sign"),
    ("kraken", KRAKEN_LEDGERS, "Ledgers", ["private"], "API-Sign"),
    ("gate", SOURCES["gate"], "my_trades", ["private", "spot"], "SIGN"),
    ("binance", SOURCES["binance"], "account", ["private"], None),
    ("kucoin", SOURCES["kucoin"], "accounts", ["private"], "KC-API-SIGN"),
    ("bitget", SOURCES["bitget"], "v2/spot/account/assets", ["private", "spot"], "ACCESS-SIGN"),
]


@pytest.mark.parametrize(("name", "source", "path", "api", "header"), CASES, ids=[c[2] for c in CASES])
def test_signed_reads_match_ccxt(name: str, source: object, path: str, api: list, header: str | None) -> None:
    query = source.query(SINCE_MS)
    theirs = _ccxt(name).sign(path, api, source.method, dict(urllib.parse.parse_qsl(query)))
    creds = Creds(key_for(name), secret_for(name), passphrase_for(name))
    target, headers, body = source.sign(
        creds, TS_MS, "https://example.invalid", source.method, source.path, query
    )
    assert theirs["url"].endswith(target)
    if header:
        assert headers[header] == theirs["headers"][header]
    assert (body or b"").decode() == (theirs.get("body") or "")
