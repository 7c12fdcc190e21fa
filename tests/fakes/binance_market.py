"""Binance spot's public market data for the fake exchange: symbols, book, tickers, candles, coins.

Synthetic around each market's reference price; bodies follow Binance's REST docs (quoted per handler).
{DOCS} in the handlers' docstrings stands for https://developers.binance.com/docs/binance-spot-api-docs/rest-api
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fakes.binance_spot import BinanceSpot

DOCS = "https://developers.binance.com/docs/binance-spot-api-docs/rest-api"
BAD_SYMBOL = 400, {"code": -1121, "msg": "Invalid symbol."}
INTERVAL_MS = {
    "1m": 60_000,
    "3m": 180_000,
    "5m": 300_000,
    "15m": 900_000,
    "30m": 1_800_000,
    "1h": 3_600_000,
    "4h": 14_400_000,
    "1d": 86_400_000,
}


@dataclass(frozen=True)
class Market:
    """One spot symbol: its assets, a reference price and the filters the exchange publishes."""

    base: str
    quote: str
    price: float
    tick: str = "0.01"
    step: str = "0.00001"
    min_notional: str = "5.00000000"

    @property
    def symbol(self) -> str:
        """Binance's symbol id (no separator), e.g. BTCUSDT."""
        return self.base + self.quote


def exchange_info(fake: BinanceSpot, params: dict[str, str]) -> tuple[int, object]:
    """{DOCS}/general-endpoints#exchange-information"""
    symbols = [
        {
            "symbol": m.symbol,
            "status": "TRADING",
            "baseAsset": m.base,
            "baseAssetPrecision": 8,
            "quoteAsset": m.quote,
            "quotePrecision": 8,
            "quoteAssetPrecision": 8,
            "baseCommissionPrecision": 8,
            "quoteCommissionPrecision": 8,
            "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"],
            "icebergAllowed": True,
            "ocoAllowed": True,
            "otoAllowed": True,
            "quoteOrderQtyMarketAllowed": True,
            "allowTrailingStop": True,
            "cancelReplaceAllowed": True,
            "isSpotTradingAllowed": True,
            "isMarginTradingAllowed": False,
            "filters": [
                {
                    "filterType": "PRICE_FILTER",
                    "minPrice": m.tick,
                    "maxPrice": "1000000.00000000",
                    "tickSize": m.tick,
                },
                {"filterType": "LOT_SIZE", "minQty": m.step, "maxQty": "9000.00000000", "stepSize": m.step},
                {
                    "filterType": "NOTIONAL",
                    "minNotional": m.min_notional,
                    "applyMinToMarket": True,
                    "maxNotional": "9000000.00000000",
                    "applyMaxToMarket": False,
                    "avgPriceMins": 5,
                },
                {
                    "filterType": "MARKET_LOT_SIZE",
                    "minQty": "0.00000000",
                    "maxQty": "100.00000000",
                    "stepSize": "0.00000000",
                },
                {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": 200},
            ],
            "permissions": [],
            "permissionSets": [["SPOT"]],
            "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
            "allowedSelfTradePreventionModes": ["EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"],
        }
        for m in fake.markets.values()
    ]
    return 200, {
        "timezone": "UTC",
        "serverTime": fake.now_ms(),
        "rateLimits": [],
        "exchangeFilters": [],
        "symbols": symbols,
    }


def futures_exchange_info(fake: BinanceSpot, params: dict[str, str]) -> tuple[int, object]:
    """A spot-only fake lists no futures symbols (ccxt loads linear and inverse markets too)."""
    return 200, {
        "timezone": "UTC",
        "serverTime": fake.now_ms(),
        "rateLimits": [],
        "exchangeFilters": [],
        "assets": [],
        "symbols": [],
    }


def depth(fake: BinanceSpot, params: dict[str, str]) -> tuple[int, object]:
    """{DOCS}/market-data-endpoints#order-book: five levels a tick apart around the reference price."""
    m = fake.market(params)
    if m is None:
        return BAD_SYMBOL
    tick = float(m.tick)
    bids = [[f"{m.price - tick * (i + 1):.2f}", "0.50000000"] for i in range(5)]
    asks = [[f"{m.price + tick * (i + 1):.2f}", "0.50000000"] for i in range(5)]
    return 200, {"lastUpdateId": fake.now_ms(), "bids": bids, "asks": asks}


def ticker_24hr(fake: BinanceSpot, params: dict[str, str]) -> tuple[int, object]:
    """{DOCS}/market-data-endpoints#24hr-ticker-price-change-statistics (one symbol, or all as a list)."""
    now = fake.now_ms()

    def one(m: Market) -> dict[str, object]:
        p, t = m.price, float(m.tick)
        return {
            "symbol": m.symbol,
            "priceChange": "0.00000000",
            "priceChangePercent": "0.000",
            "weightedAvgPrice": f"{p:.8f}",
            "prevClosePrice": f"{p:.8f}",
            "lastPrice": f"{p:.8f}",
            "lastQty": "0.01000000",
            "bidPrice": f"{p - t:.8f}",
            "bidQty": "0.50000000",
            "askPrice": f"{p + t:.8f}",
            "askQty": "0.50000000",
            "openPrice": f"{p:.8f}",
            "highPrice": f"{p * 1.01:.8f}",
            "lowPrice": f"{p * 0.99:.8f}",
            "volume": "1000.00000000",
            "quoteVolume": f"{p * 1000:.8f}",
            "openTime": now - 86_400_000,
            "closeTime": now,
            "firstId": 1,
            "lastId": 1000,
            "count": 1000,
        }

    if "symbol" in params:
        m = fake.market(params)
        return (200, one(m)) if m else BAD_SYMBOL
    return 200, [one(m) for m in fake.markets.values()]


def book_ticker(fake: BinanceSpot, params: dict[str, str]) -> tuple[int, object]:
    """{DOCS}/market-data-endpoints#symbol-order-book-ticker"""

    def one(m: Market) -> dict[str, str]:
        t = float(m.tick)
        return {
            "symbol": m.symbol,
            "bidPrice": f"{m.price - t:.8f}",
            "bidQty": "0.50000000",
            "askPrice": f"{m.price + t:.8f}",
            "askQty": "0.50000000",
        }

    if "symbol" in params:
        m = fake.market(params)
        return (200, one(m)) if m else BAD_SYMBOL
    return 200, [one(m) for m in fake.markets.values()]


def ticker_price(fake: BinanceSpot, params: dict[str, str]) -> tuple[int, object]:
    """{DOCS}/market-data-endpoints#symbol-price-ticker"""
    if "symbol" in params:
        m = fake.market(params)
        return (200, {"symbol": m.symbol, "price": f"{m.price:.8f}"}) if m else BAD_SYMBOL
    return 200, [{"symbol": m.symbol, "price": f"{m.price:.8f}"} for m in fake.markets.values()]


def klines(fake: BinanceSpot, params: dict[str, str]) -> tuple[int, object]:
    """{DOCS}/market-data-endpoints#klinecandlestick-data: flat candles up to the current (open) one."""
    m = fake.market(params)
    if m is None:
        return BAD_SYMBOL
    step = INTERVAL_MS.get(params.get("interval", ""))
    if step is None:
        return 400, {"code": -1120, "msg": "Invalid interval."}
    limit = min(int(params.get("limit", 500)), 1000)
    last_open = fake.now_ms() // step * step
    if "startTime" in params:
        first = max(int(params["startTime"]) // step * step, last_open - (limit - 1) * step)
    else:
        first = last_open - (limit - 1) * step
    p = f"{m.price:.8f}"
    return 200, [
        [
            t,
            p,
            f"{m.price * 1.001:.8f}",
            f"{m.price * 0.999:.8f}",
            p,
            "10.00000000",
            t + step - 1,
            f"{m.price * 10:.8f}",
            100,
            "5.00000000",
            f"{m.price * 5:.8f}",
            "0",
        ]
        for t in range(first, last_open + 1, step)
    ]


def currencies(fake: BinanceSpot, params: dict[str, str]) -> tuple[int, object]:
    """https://developers.binance.com/docs/wallet/capital (all coins' information), trimmed per coin."""
    coins = sorted({m.base for m in fake.markets.values()} | {m.quote for m in fake.markets.values()})
    return 200, [
        {
            "coin": c,
            "name": c,
            "depositAllEnable": True,
            "withdrawAllEnable": True,
            "free": "0",
            "locked": "0",
            "freeze": "0",
            "withdrawing": "0",
            "ipoing": "0",
            "ipoable": "0",
            "storage": "0",
            "isLegalMoney": False,
            "trading": True,
            "networkList": [
                {
                    "network": c,
                    "coin": c,
                    "withdrawIntegerMultiple": "0.00000001",
                    "isDefault": True,
                    "depositEnable": True,
                    "withdrawEnable": True,
                    "depositDesc": "",
                    "withdrawDesc": "",
                    "name": c,
                    "resetAddressStatus": False,
                    "withdrawFee": "0",
                    "withdrawMin": "0",
                    "withdrawMax": "9999999",
                    "minConfirm": 1,
                    "unLockConfirm": 0,
                    "sameAddress": False,
                    "busy": False,
                }
            ],
        }
        for c in coins
    ]


def margin_pairs(fake: BinanceSpot, params: dict[str, str]) -> tuple[int, object]:
    """https://developers.binance.com/docs/margin_trading/market-data/Get-All-Cross-Margin-Pairs: none."""
    return 200, []
