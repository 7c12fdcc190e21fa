"""The tripwire's pure comparison, the bot readers (Freqtrade's API answers, Hummingbot's database) and the
per-stack policy."""

from __future__ import annotations

import pytest

from bothost.watch import tripwire
from bothost.watch.bot import BotBook, BotOrder, freqtrade_orders, freqtrade_pairs
from bothost.watch.fills import Fill

# Freqtrade GET /api/v1/trades: {"trades": [trade.to_json()], ...}; each order is Order.to_json()
# (freqtrade/persistence/trade_model.py, fields amount, ft_order_side, order_filled_timestamp, pair,
# order_id, status, ...).
FT_TRADES = {
    "trades": [
        {
            "trade_id": 1,
            "pair": "ETH/USDT",
            "is_open": False,
            "orders": [
                {
                    "amount": 0.5,
                    "safe_price": 2000.0,
                    "ft_order_side": "buy",
                    "order_filled_timestamp": 1_700_000_000_000,
                    "ft_is_entry": True,
                    "pair": "ETH/USDT",
                    "order_id": "1001",
                    "status": "closed",
                    "filled": 0.5,
                },
                {
                    "amount": 0.5,
                    "safe_price": 2100.0,
                    "ft_order_side": "sell",
                    "order_filled_timestamp": 1_700_000_600_000,
                    "ft_is_entry": False,
                    "pair": "ETH/USDT",
                    "order_id": "1002",
                    "status": "closed",
                    "filled": 0.5,
                },
            ],
        }
    ],
    "trades_count": 1,
    "offset": 0,
    "total_trades": 1,
}
FT_STATUS = [
    {
        "trade_id": 2,
        "pair": "BTC/USDT",
        "is_open": True,
        "orders": [
            {"pair": "BTC/USDT", "order_id": "1003", "status": "open", "order_filled_timestamp": None}
        ],
    }
]


def test_freqtrade_orders_and_whitelist() -> None:
    orders = freqtrade_orders(FT_TRADES, FT_STATUS)
    assert orders == [
        BotOrder("1001", "", "ETHUSDT", 1_700_000_000_000),
        BotOrder("1002", "", "ETHUSDT", 1_700_000_600_000),
        BotOrder("1003", "", "BTCUSDT", None),
    ]
    assert freqtrade_pairs({"whitelist": ["ETH/USDT", "BTC/USDT"], "length": 2}) == {"ETHUSDT", "BTCUSDT"}


BOOK = BotBook(
    [BotOrder("1001", "", "ETHUSDT", 1000), BotOrder("", "hb-7", "BTCUSDT", None)], {"ETHUSDT", "BTCUSDT"}
)


def _fill(order_id: str, pair: str = "ETH-USDT", client: str = "") -> Fill:
    return Fill("T-" + order_id, order_id, client, pair, "buy", 1.0, 10.0, 1000)


@pytest.mark.parametrize(
    ("fill", "kinds"),
    [
        (_fill("1001"), []),
        (_fill("x", "BTCUSDT", client="hb-7"), []),  # known by the bot's client order id
        (_fill("666"), ["unknown-fill"]),
        (_fill("1001", "SYS_USDT"), ["foreign-pair"]),  # thin pair, even under a known order id
        (_fill("666", "XXBTZUSD"), ["foreign-pair"]),
    ],
)
def test_fill_alarms(fill: Fill, kinds: list[str]) -> None:
    assert [a.kind for a in tripwire.fill_alarms("okx", [fill], BOOK)] == kinds


PAIRS = ["ETH/USDT", "BTC/USDT"]


@pytest.mark.parametrize(
    ("before", "after", "book", "fees", "alarmed"),
    [
        ({"ETH": 1, "USDT": 100}, {"ETH": 1, "USDT": 100}, BotBook([], set()), (), []),
        ({"ETH": 1, "USDT": 100}, {"ETH": 2, "USDT": 90}, BOOK, (), []),
        ({"ETH": 1, "USDT": 100}, {"ETH": 2, "USDT": 90}, BotBook([], set()), (), ["ETH", "USDT"]),
        ({"ETH": 1}, {"ETH": 1, "SYS": 5}, BOOK, (), ["SYS"]),
        ({"ETH": 1, "BNB": 1}, {"ETH": 2, "BNB": 0.99}, BOOK, (), ["BNB"]),
        ({"ETH": 1, "BNB": 1}, {"ETH": 2, "BNB": 0.99}, BOOK, ("BNB",), []),
        ({"ETH": 1.0}, {"ETH": 1.0 + 1e-12}, BotBook([], set()), (), []),
        # the bot's order filled before the previous snapshot: it explains nothing now
        ({"ETH": 1}, {"ETH": 0}, BotBook([BotOrder("1", "", "ETHUSDT", 10)], set()), (), ["ETH"]),
    ],
)
def test_balance_alarms(before: dict, after: dict, book: BotBook, fees: tuple, alarmed: list[str]) -> None:
    alarms = tripwire.balance_alarms("binance", before, after, book, PAIRS, since_ms=500, fee_assets=fees)
    assert [a.key.split(":")[2] for a in alarms] == alarmed


def test_ledger_alarms_spare_the_bots_trades_and_deposits() -> None:
    entries = [
        {"id": "L1", "refid": "T1", "type": "trade", "asset": "BTC", "amount": 0.1, "ts_ms": 1},
        {"id": "L2", "refid": "D1", "type": "deposit", "asset": "USD", "amount": 100.0, "ts_ms": 2},
        {"id": "L3", "refid": "T9", "type": "trade", "asset": "BTC", "amount": -0.1, "ts_ms": 3},
        {"id": "L4", "refid": "W1", "type": "withdrawal", "asset": "BTC", "amount": -1.0, "ts_ms": 4},
    ]
    alarms = tripwire.ledger_alarms("kraken", entries, {"T1"})
    assert [a.key for a in alarms] == ["ledger:kraken:L3", "ledger:kraken:L4"]


def test_policy_stop_calls_the_stop_once_on_trade_alarms_only() -> None:
    trade = tripwire.fill_alarms("okx", [_fill("666"), _fill("667")], BOOK)
    calls: list[str] = []
    assert tripwire.respond(trade, "stop", calls.append) is True
    assert len(calls) == 1 and "666" in calls[0]
    assert tripwire.respond(trade, "alert", calls.append) is False
    assert tripwire.respond([], "stop", calls.append) is False
    assert len(calls) == 1
    with pytest.raises(ValueError, match="alert, stop"):
        tripwire.respond(trade, "panic", calls.append)
