"""The bot's own orders and pairs, read from the bot: Freqtrade's REST API, Hummingbot's through bothost's
start script (roles/bot/hummingbot_start.py)."""

from __future__ import annotations

import base64
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


def hummingbot_orders(rows: list) -> list[BotOrder]:
    """GET /orders "orders" from bothost's start script: Hummingbot's "Order" rows (hummingbot/model/order.py:
    id = client order id, exchange_order_id, symbol "BTC-USDT") with their last "TradeFill".timestamp (ms)."""
    return [
        BotOrder(str(exchange_id or ""), str(client_id), pair_key(pair), filled)
        for client_id, exchange_id, pair, filled in rows
    ]


class BotApi:
    """A bot's HTTP API on the host's loopback, answering JSON."""

    name = "bot"

    def __init__(self, base: str, headers: dict[str, str], timeout: float = 10.0) -> None:
        self.base, self._headers, self.timeout = base, headers, timeout

    def _call(self, method: str, path: str) -> object:
        try:
            reply = call(self.base, method, path, headers=self._headers, timeout=self.timeout)
        except Unreachable as error:
            raise BotUnreadable(f"{self.name} API unreachable ({str(error).split(':')[0]})") from None
        if reply.status != 200 or reply.data is None:
            raise BotUnreadable(f"{self.name} API {path}: HTTP {reply.status}")
        return reply.data


class HummingbotApi(BotApi):
    """bothost's start script inside Hummingbot's container: GET /orders with the watcher's bearer token."""

    name = "hummingbot"

    def __init__(self, base: str, token: str, pairs: set[str], timeout: float = 10.0) -> None:
        super().__init__(base, {"Authorization": f"Bearer {token}"}, timeout)
        self.pairs = pairs

    def book(self) -> BotBook:
        """Every order Hummingbot recorded; the pairs its markets trade and the configured ones."""
        answer = self._call("GET", "/orders")
        names = tuple(answer.get("pairs") or ())
        orders = hummingbot_orders(answer.get("orders") or [])
        return BotBook(orders, self.pairs | {pair_key(p) for p in names}, names)


class FreqtradeApi(BotApi):
    """Freqtrade's REST API on the host (freqtrade/rpc/api_server/api_v1.py), HTTP basic auth."""

    name = "freqtrade"

    def __init__(self, base: str, username: str, password: str, timeout: float = 10.0) -> None:
        token = base64.b64encode(f"{username}:{password}".encode()).decode()
        super().__init__(base.rstrip("/") + "/api/v1", {"Authorization": f"Basic {token}"}, timeout)

    def book(self) -> BotBook:
        """The last 500 closed trades' and all open trades' orders, and the whitelist."""
        orders = freqtrade_orders(self._call("GET", "/trades?limit=500"), self._call("GET", "/status"))
        whitelist = self._call("GET", "/whitelist")
        return BotBook(orders, freqtrade_pairs(whitelist), tuple(whitelist.get("whitelist") or ()))

    def stop(self, reason: str) -> None:
        """POST /api/v1/stop: the bot stops entering and managing trades (its process keeps running)."""
        self._call("POST", "/stop")
