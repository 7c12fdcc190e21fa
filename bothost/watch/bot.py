"""The bot's own orders and pairs, read from the bot: Freqtrade's REST API answers, Hummingbot's database."""

from __future__ import annotations

import base64
import sqlite3
from typing import NamedTuple

from ..keyaudit.probe.wire import Unreachable, call
from .fills import pair_key


class BotUnreadable(Exception):
    """The bot's own record could not be read (the tripwire cannot compare without it)."""


class BotOrder(NamedTuple):
    """One order the bot placed (ids as the exchange and the bot know it)."""

    order_id: str
    client_order_id: str
    pair: str  # pair_key() spelling
    filled_ts_ms: int | None  # when it filled (None: open or unknown)


class BotBook(NamedTuple):
    """What the bot says it did and may do."""

    orders: list[BotOrder]
    pairs: set[str]  # configured pairs, pair_key() spelling
    names: tuple[str, ...] = ()  # the same pairs as the bot writes them ("BTC/USDT"): their assets

    def knows(self, order_id: str, client_order_id: str = "") -> bool:
        """Whether the bot placed this order (by the exchange's id or the bot's client id)."""
        ids = {o.order_id for o in self.orders} | {
            o.client_order_id for o in self.orders if o.client_order_id
        }
        return order_id in ids or bool(client_order_id and client_order_id in ids)


def freqtrade_orders(trades_answer: dict, status_answer: list | None = None) -> list[BotOrder]:
    """GET /api/v1/trades {"trades": [...]} and GET /api/v1/status [...]: every trade's orders[].

    Each order is Order.to_json() (freqtrade/persistence/trade_model.py): order_id, pair, status,
    order_filled_timestamp (ms or null).
    """
    trades = list(trades_answer.get("trades") or []) + list(status_answer or [])
    orders: dict[str, BotOrder] = {}
    for trade in trades:
        for order in trade.get("orders") or []:
            if order.get("order_id"):
                orders[str(order["order_id"])] = BotOrder(
                    str(order["order_id"]),
                    "",
                    pair_key(order.get("pair") or trade["pair"]),
                    order.get("order_filled_timestamp"),
                )
    return list(orders.values())


def freqtrade_pairs(whitelist_answer: dict) -> set[str]:
    """GET /api/v1/whitelist {"whitelist": ["BTC/USDT", ...]} -> configured pairs."""
    return {pair_key(pair) for pair in whitelist_answer.get("whitelist") or []}


def hummingbot_orders(db_path: str) -> list[BotOrder]:
    """Hummingbot's SQLite trade database (hummingbot/model/order.py, trade_fill.py): "Order" (id = client
    order id, exchange_order_id, symbol "BTC-USDT") and the last "TradeFill".timestamp (ms) of each."""
    uri = f"file:{db_path}?mode=ro"
    with sqlite3.connect(uri, uri=True) as db:
        rows = db.execute(
            'SELECT o.id, o.exchange_order_id, o.symbol, MAX(f.timestamp) FROM "Order" o '
            'LEFT JOIN "TradeFill" f ON f.order_id = o.id GROUP BY o.id'
        ).fetchall()
    return [
        BotOrder(str(exchange_id or ""), str(client_id), pair_key(pair), filled)
        for client_id, exchange_id, pair, filled in rows
    ]


class FreqtradeApi:
    """Freqtrade's REST API on the host (freqtrade/rpc/api_server/api_v1.py), HTTP basic auth."""

    def __init__(self, base: str, username: str, password: str, timeout: float = 10.0) -> None:
        token = base64.b64encode(f"{username}:{password}".encode()).decode()
        self.base, self._auth, self.timeout = base, {"Authorization": f"Basic {token}"}, timeout

    def _call(self, method: str, path: str) -> object:
        try:
            reply = call(self.base, method, "/api/v1" + path, headers=self._auth, timeout=self.timeout)
        except Unreachable as error:
            raise BotUnreadable(f"freqtrade API unreachable ({str(error).split(':')[0]})") from None
        if reply.status != 200 or reply.data is None:
            raise BotUnreadable(f"freqtrade API {path}: HTTP {reply.status}")
        return reply.data

    def book(self) -> BotBook:
        """The last 500 closed trades' and all open trades' orders, and the whitelist."""
        orders = freqtrade_orders(self._call("GET", "/trades?limit=500"), self._call("GET", "/status"))
        whitelist = self._call("GET", "/whitelist")
        return BotBook(orders, freqtrade_pairs(whitelist), tuple(whitelist.get("whitelist") or ()))

    def stop(self, reason: str) -> None:
        """POST /api/v1/stop: the bot stops entering and managing trades (its process keeps running)."""
        self._call("POST", "/stop")
