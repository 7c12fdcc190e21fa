"""The table of supported exchanges: where the clock and the key's restrictions are read, and how."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from . import parsing, signing


class Exchange(NamedTuple):
    """How to audit one exchange's API key."""

    time_path: str  # public server-time endpoint
    parse_time: Callable  # Reply -> server time in ms
    sign: Callable  # (Creds, ts_ms, base) -> (method, path, headers, body) of the key-info request
    parse_info: Callable  # Reply -> facts dict, or raises parsing.ApiError
    ahead_ms: int | None  # how far the host clock may run ahead of the exchange's (None: no time window)
    behind_ms: int | None  # how far it may lag behind (the receive window)
    resolution_ms: int = 1  # precision of the server-time endpoint
    more: tuple = ()  # further (sign, merge) calls: merge(Reply, facts) -> facts, or raises parsing.ApiError


# Windows: Binance and Bybit accept timestamps up to 1 s ahead and recvWindow (we send 5 s) behind;
# OKX 30 s; KuCoin 5 s; Bitget 30 s; Gate 60 s; Coinbase JWTs live 120 s (nbf leeway undocumented: 5 s
# assumed); Kraken uses increasing nonces, not a time window.
EXCHANGES: dict[str, Exchange] = {
    "binance": Exchange(
        "/api/v3/time",
        parsing.binance_time,
        signing.binance,
        parsing.binance_info,
        1000,
        signing.RECV_WINDOW_MS,
    ),
    "bybit": Exchange(
        "/v5/market/time", parsing.bybit_time, signing.bybit, parsing.bybit_info, 1000, signing.RECV_WINDOW_MS
    ),
    "okx": Exchange("/api/v5/public/time", parsing.okx_time, signing.okx, parsing.okx_info, 30000, 30000),
    "kraken": Exchange(
        "/0/public/Time", parsing.kraken_time, signing.kraken, parsing.kraken_info, None, None, 1000
    ),
    "kucoin": Exchange(
        "/api/v1/timestamp", parsing.kucoin_time, signing.kucoin, parsing.kucoin_info, 5000, 5000
    ),
    "bitget": Exchange(
        "/api/v2/public/time", parsing.bitget_time, signing.bitget, parsing.bitget_info, 30000, 30000
    ),
    "gate": Exchange(
        "/api/v4/spot/time",
        parsing.gate_time,
        signing.gate,
        parsing.gate_info,
        60000,
        60000,
        more=((signing.gate_main_keys, parsing.gate_key_info),),
    ),
    "coinbase": Exchange(
        "/api/v3/brokerage/time", parsing.coinbase_time, signing.coinbase, parsing.coinbase_info, 5000, 120000
    ),
}
