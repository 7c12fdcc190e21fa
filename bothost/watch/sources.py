"""Signed read-only requests for each exchange's fills (or balances), built with the key-audit probe's
signing helpers, and one poll that returns parsed fills, balances or ledger entries."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import urllib.parse
from collections.abc import Callable
from typing import NamedTuple

from ..keyaudit.probe import signing
from ..keyaudit.probe.signing import RECV_WINDOW_MS, Creds, _b64, _hmac
from ..keyaudit.probe.wire import Reply, call, now_ms
from . import fills


def _sign_binance(creds: Creds, ts: int, base: str, method: str, path: str, query: str) -> tuple:
    query = "&".join(part for part in (f"timestamp={ts}", query, f"recvWindow={RECV_WINDOW_MS}") if part)
    signature = _hmac(creds.secret, query).hexdigest()
    return f"{path}?{query}&signature={signature}", {"X-MBX-APIKEY": creds.key}, None


def _sign_bybit(creds: Creds, ts: int, base: str, method: str, path: str, query: str) -> tuple:
    signature = _hmac(creds.secret, f"{ts}{creds.key}{RECV_WINDOW_MS}{query}").hexdigest()
    headers = {
        "X-BAPI-API-KEY": creds.key,
        "X-BAPI-TIMESTAMP": str(ts),
        "X-BAPI-RECV-WINDOW": str(RECV_WINDOW_MS),
        "X-BAPI-SIGN": signature,
    }
    return f"{path}?{query}", headers, None


def _sign_okx(creds: Creds, ts: int, base: str, method: str, path: str, query: str) -> tuple:
    stamp, target = signing.okx_timestamp(ts), f"{path}?{query}" if query else path
    headers = {
        "OK-ACCESS-KEY": creds.key,
        "OK-ACCESS-PASSPHRASE": creds.passphrase,
        "OK-ACCESS-TIMESTAMP": stamp,
        "OK-ACCESS-SIGN": _b64(_hmac(creds.secret, stamp + method + target)),
    }
    return target, headers, None


def _sign_kraken(creds: Creds, ts: int, base: str, method: str, path: str, query: str) -> tuple:
    nonce = str(ts)
    body = f"nonce={nonce}&{query}".rstrip("&")
    inner = hashlib.sha256((nonce + body).encode()).digest()
    mac = hmac.new(base64.b64decode(creds.secret), path.encode() + inner, hashlib.sha512).digest()
    headers = {
        "API-Key": creds.key,
        "API-Sign": base64.b64encode(mac).decode(),
        "Content-Type": "application/x-www-form-urlencoded",
    }
    return path, headers, body.encode()


def _sign_kucoin(creds: Creds, ts: int, base: str, method: str, path: str, query: str) -> tuple:
    target = f"{path}?{query}" if query else path
    headers = {
        "KC-API-KEY": creds.key,
        "KC-API-TIMESTAMP": str(ts),
        "KC-API-KEY-VERSION": "2",
        "KC-API-PASSPHRASE": _b64(_hmac(creds.secret, creds.passphrase)),
        "KC-API-SIGN": _b64(_hmac(creds.secret, f"{ts}{method}{target}")),
    }
    return target, headers, None


def _sign_bitget(creds: Creds, ts: int, base: str, method: str, path: str, query: str) -> tuple:
    target = f"{path}?{query}" if query else path
    headers = {
        "ACCESS-KEY": creds.key,
        "ACCESS-TIMESTAMP": str(ts),
        "ACCESS-PASSPHRASE": creds.passphrase,
        "ACCESS-SIGN": _b64(_hmac(creds.secret, f"{ts}{method}{target}")),
        "locale": "en-US",
    }
    return target, headers, None


def _sign_gate(creds: Creds, ts: int, base: str, method: str, path: str, query: str) -> tuple:
    stamp = str(ts // 1000)
    payload = "\n".join([method, path, query, hashlib.sha512(b"").hexdigest(), stamp])
    headers = {
        "KEY": creds.key,
        "Timestamp": stamp,
        "SIGN": _hmac(creds.secret, payload, hashlib.sha512).hexdigest(),
    }
    return f"{path}?{query}" if query else path, headers, None


def _sign_coinbase(creds: Creds, ts: int, base: str, method: str, path: str, query: str) -> tuple:
    headers = {"Authorization": "Bearer " + signing.coinbase_token(creds, ts, base, method, path)}
    return f"{path}?{query}" if query else path, headers, None


class Source(NamedTuple):
    """Where one exchange lists the account's fills (or, lacking that, its balances)."""

    kind: str  # "fills" or "balances"
    method: str
    path: str
    query: Callable[[int], str]  # since_ms -> query string
    sign: Callable
    parse: Callable[[Reply], object]


def _q(**params: object) -> str:
    return urllib.parse.urlencode(params)


def _iso(ms: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ms // 1000))


SOURCES: dict[str, Source] = {
    # bybit-exchange.github.io/docs/v5/order/execution
    "bybit": Source(
        "fills",
        "GET",
        "/v5/execution/list",
        lambda s: _q(category="spot", startTime=s, limit=100),
        _sign_bybit,
        fills.bybit_fills,
    ),
    # okx.com/docs-v5/en/#order-book-trading-trade-get-transaction-details-last-3-days
    "okx": Source(
        "fills",
        "GET",
        "/api/v5/trade/fills",
        lambda s: _q(instType="SPOT", begin=s),
        _sign_okx,
        fills.okx_fills,
    ),
    # docs.kraken.com/api/docs/rest-api/get-trade-history
    "kraken": Source(
        "fills",
        "POST",
        "/0/private/TradesHistory",
        lambda s: _q(start=s // 1000),
        _sign_kraken,
        fills.kraken_fills,
    ),
    # gate.com/docs/developers/apiv4/#list-personal-trading-history
    "gate": Source(
        "fills",
        "GET",
        "/api/v4/spot/my_trades",
        lambda s: _q(**{"from": s // 1000, "limit": 1000}),
        _sign_gate,
        fills.gate_fills,
    ),
    # docs.cdp.coinbase.com/advanced-trade/reference/retailbrokerageapi_getfills
    "coinbase": Source(
        "fills",
        "GET",
        "/api/v3/brokerage/orders/historical/fills",
        lambda s: _q(start_sequence_timestamp=_iso(s)),
        _sign_coinbase,
        fills.coinbase_fills,
    ),
    # developers.binance.com/docs/binance-spot-api-docs/rest-api/account-endpoints (Account information)
    "binance": Source(
        "balances",
        "GET",
        "/api/v3/account",
        lambda s: _q(omitZeroBalances="true"),
        _sign_binance,
        fills.binance_balances,
    ),
    # kucoin.com/docs-new/rest/account-info/account-funding/get-account-list-spot
    "kucoin": Source(
        "balances", "GET", "/api/v1/accounts", lambda s: "", _sign_kucoin, fills.kucoin_balances
    ),
    # bitget.com/api-doc/spot/account/Get-Account-Assets
    "bitget": Source(
        "balances", "GET", "/api/v2/spot/account/assets", lambda s: "", _sign_bitget, fills.bitget_balances
    ),
}

# docs.kraken.com/api/docs/rest-api/get-ledgers: withdrawals and transfers next to the trades.
KRAKEN_LEDGERS = Source(
    "ledger", "POST", "/0/private/Ledgers", lambda s: _q(start=s // 1000), _sign_kraken, fills.kraken_ledger
)


def fetch(
    source: Source, creds: Creds, base: str, since_ms: int, timeout: float = 10.0, nonce_step: int = 0
) -> object:
    """One signed request; the parsed fills, balances or ledger (parsing.ApiError if refused, wire.Unreachable
    if the exchange cannot be reached)."""
    stamp = now_ms() + nonce_step  # Kraken: a second call in the same millisecond needs a larger nonce
    path, headers, body = source.sign(creds, stamp, base, source.method, source.path, source.query(since_ms))
    return source.parse(call(base, source.method, path, headers=headers, body=body, timeout=timeout))
