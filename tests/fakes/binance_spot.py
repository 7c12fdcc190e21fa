"""A fake Binance spot exchange that real bots trade against: market data, account, orders, cancels.

Bodies follow Binance's spot REST docs (each handler quotes its page); signed endpoints are checked by
`binance_refusal` exactly like the key-audit fake. Orders never fill (no matching engine): a limit order
stays NEW until it is cancelled, which is what the proofs need. Every order and cancel is recorded.
Plain HTTP: bots are pointed here with their URL overrides (`ccxt_urls` for ccxt-based bots).
{DOCS} in the handlers' docstrings stands for https://developers.binance.com/docs/binance-spot-api-docs/rest-api
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from fakes import binance_market as market
from fakes.binance_market import BAD_SYMBOL, Market
from fakes.exchange_rules import binance_refusal
from fakes.exchanges import FakeExchange, KeyState, Request


@dataclass
class Order:
    """An order as the fake exchange holds it."""

    symbol: str
    order_id: int
    client_order_id: str
    side: str
    type: str
    time_in_force: str
    price: str
    quantity: str
    time_ms: int
    status: str = "NEW"
    update_ms: int = 0

    def body(self) -> dict[str, object]:
        """The order as `GET /api/v3/order` returns it ({DOCS}/account-endpoints#query-order-user_data)."""
        return {
            "symbol": self.symbol,
            "orderId": self.order_id,
            "orderListId": -1,
            "clientOrderId": self.client_order_id,
            "price": self.price,
            "origQty": self.quantity,
            "executedQty": "0.00000000",
            "cummulativeQuoteQty": "0.00000000",
            "status": self.status,
            "timeInForce": self.time_in_force,
            "type": self.type,
            "side": self.side,
            "stopPrice": "0.00000000",
            "icebergQty": "0.00000000",
            "time": self.time_ms,
            "updateTime": self.update_ms or self.time_ms,
            "isWorking": True,
            "workingTime": self.time_ms,
            "origQuoteOrderQty": "0.00000000",
            "selfTradePreventionMode": "EXPIRE_MAKER",
        }


@dataclass
class Event:
    """A recorded order placement or cancel, for the tests' assertions."""

    kind: str  # "order" or "cancel"
    symbol: str
    order_id: int
    side: str
    price: str
    quantity: str
    at: float = field(default_factory=time.time)


class BinanceSpot(FakeExchange):
    """Binance spot for one API key; market data is synthetic around each market's reference price."""

    def __init__(
        self,
        key: str,
        secret: str,
        *,
        markets: tuple[Market, ...] | None = None,
        balances: dict[str, str] | None = None,
        state: KeyState | None = None,
    ) -> None:
        super().__init__("binance", key, secret, state=state)
        self.markets = {m.symbol: m for m in (markets or (Market("BTC", "USDT", 60000.0),))}
        self.balances = dict(balances or {"USDT": "1000.00000000", "BTC": "0.00000000"})
        self.orders: dict[int, Order] = {}
        self.events: list[Event] = []
        self.unhandled: list[str] = []  # "METHOD path" of requests this fake does not implement
        self._ids = itertools.count(1000001)
        self._lock = threading.RLock()  # wait_for's predicate may call open_orders(), which locks too
        self._changed = threading.Condition(self._lock)

    # ----- what tests ask
    def placed(self) -> list[Event]:
        """Every order placement so far."""
        return [e for e in self.events if e.kind == "order"]

    def cancels(self) -> list[Event]:
        """Every cancel so far."""
        return [e for e in self.events if e.kind == "cancel"]

    def open_orders(self) -> list[Order]:
        """Orders still NEW."""
        with self._lock:
            return [o for o in self.orders.values() if o.status == "NEW"]

    def wait_for(self, predicate, timeout: float) -> bool:
        """Block until predicate(self) is true (re-checked on every order event) or the timeout passes."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate(self):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(min(left, 1.0))
        return True

    # ----- the HTTP side
    def respond(self, request: Request) -> tuple[int, object]:
        """Route one request: public market data, signed account and order endpoints, else the audit rule."""
        route = _ROUTES.get((request.method, request.path))
        if route is None:
            if request.path == "/sapi/v1/account/apiRestrictions" or request.path.endswith("/time"):
                return super().respond(request)
            self.unhandled.append(f"{request.method} {request.path}")
            return 404, {"code": -1, "msg": f"fake exchange: {request.method} {request.path} not implemented"}
        handler, signed = route
        params = {k: v[0] for k, v in parse_qs(request.query + "&" + request.body.decode()).items()}
        if signed:
            refused = binance_refusal(self, request)
            if refused:
                return refused
        return handler(self, params)

    def market(self, params: dict[str, str]) -> Market | None:
        """The market a request names with symbol=..., None if unknown."""
        return self.markets.get(params.get("symbol", ""))

    def record(self, kind: str, order: Order) -> None:
        """Append an event and wake waiters (call with the lock held)."""
        self.events.append(Event(kind, order.symbol, order.order_id, order.side, order.price, order.quantity))
        self._changed.notify_all()


NO_ORDER = 400, {"code": -2013, "msg": "Order does not exist."}
UNKNOWN_CANCEL = 400, {"code": -2011, "msg": "Unknown order sent."}


def _account(fake: BinanceSpot, params: dict[str, str]) -> tuple[int, object]:
    """{DOCS}/account-endpoints#account-information-user_data: free balances less open buy orders."""
    locked: dict[str, float] = {}
    with fake._lock:
        for o in fake.orders.values():
            if o.status == "NEW":
                m = fake.markets[o.symbol]
                asset, amount = (
                    (m.quote, float(o.price) * float(o.quantity))
                    if o.side == "BUY"
                    else (m.base, float(o.quantity))
                )
                locked[asset] = locked.get(asset, 0.0) + amount
    balances = [
        {
            "asset": a,
            "free": f"{float(total) - locked.get(a, 0.0):.8f}",
            "locked": f"{locked.get(a, 0.0):.8f}",
        }
        for a, total in fake.balances.items()
    ]
    return 200, {
        "makerCommission": 10,
        "takerCommission": 10,
        "buyerCommission": 0,
        "sellerCommission": 0,
        "commissionRates": {
            "maker": "0.00100000",
            "taker": "0.00100000",
            "buyer": "0.00000000",
            "seller": "0.00000000",
        },
        "canTrade": fake.state.trade,
        "canWithdraw": fake.state.withdraw,
        "canDeposit": True,
        "brokered": False,
        "requireSelfTradePrevention": False,
        "preventSor": False,
        "updateTime": fake.now_ms(),
        "accountType": "SPOT",
        "balances": balances,
        "permissions": ["SPOT"],
        "uid": 354937868,
    }


def _new_order(fake: BinanceSpot, params: dict[str, str]) -> tuple[int, object]:
    """{DOCS}/trading-endpoints#new-order-trade: LIMIT only (MARKET would need fills); answers RESULT."""
    m = fake.market(params)
    if m is None:
        return BAD_SYMBOL
    if params.get("type") != "LIMIT":
        return 400, {"code": -1013, "msg": "This fake exchange accepts LIMIT orders only."}
    for name in ("side", "quantity", "price", "timeInForce"):
        if name not in params:
            return 400, {
                "code": -1102,
                "msg": f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.",
            }
    now = fake.now_ms()
    with fake._lock:
        order = Order(
            m.symbol,
            next(fake._ids),
            params.get("newClientOrderId") or f"fake{now}",
            params["side"],
            "LIMIT",
            params["timeInForce"],
            params["price"],
            params["quantity"],
            now,
        )
        fake.orders[order.order_id] = order
        fake.record("order", order)
    body = order.body()
    body["transactTime"] = now
    for name in ("time", "updateTime", "isWorking", "stopPrice", "icebergQty"):
        body.pop(name)
    body["fills"] = []
    return 200, body


def _find(fake: BinanceSpot, params: dict[str, str]) -> Order | None:
    """The order named by orderId or origClientOrderId on the request's symbol."""
    for order in fake.orders.values():
        if order.symbol == params.get("symbol") and (
            str(order.order_id) == params.get("orderId")
            or order.client_order_id == params.get("origClientOrderId")
        ):
            return order
    return None


def _query_order(fake: BinanceSpot, params: dict[str, str]) -> tuple[int, object]:
    """{DOCS}/account-endpoints#query-order-user_data"""
    with fake._lock:
        order = _find(fake, params)
        return (200, order.body()) if order else NO_ORDER


def _cancel_order(fake: BinanceSpot, params: dict[str, str]) -> tuple[int, object]:
    """{DOCS}/trading-endpoints#cancel-order-trade: -2011 when unknown or no longer open."""
    with fake._lock:
        order = _find(fake, params)
        if order is None or order.status != "NEW":
            return UNKNOWN_CANCEL
        order.status, order.update_ms = "CANCELED", fake.now_ms()
        fake.record("cancel", order)
        body = order.body()
    body["origClientOrderId"] = body["clientOrderId"]
    body["transactTime"] = order.update_ms
    for name in ("time", "updateTime", "isWorking", "stopPrice", "icebergQty", "workingTime"):
        body.pop(name)
    return 200, body


def _open_orders(fake: BinanceSpot, params: dict[str, str]) -> tuple[int, object]:
    """{DOCS}/account-endpoints#current-open-orders-user_data"""
    with fake._lock:
        return 200, [
            o.body()
            for o in fake.orders.values()
            if o.status == "NEW" and params.get("symbol", o.symbol) == o.symbol
        ]


def _all_orders(fake: BinanceSpot, params: dict[str, str]) -> tuple[int, object]:
    """{DOCS}/account-endpoints#all-orders-user_data"""
    if fake.market(params) is None:
        return BAD_SYMBOL
    with fake._lock:
        return 200, [o.body() for o in fake.orders.values() if o.symbol == params["symbol"]]


def _my_trades(fake: BinanceSpot, params: dict[str, str]) -> tuple[int, object]:
    """{DOCS}/account-endpoints#account-trade-list-user_data: nothing ever fills here."""
    return 200, []


_ROUTES = {
    ("GET", "/api/v3/ping"): (lambda fake, params: (200, {}), False),
    ("GET", "/api/v3/exchangeInfo"): (market.exchange_info, False),
    ("GET", "/fapi/v1/exchangeInfo"): (market.futures_exchange_info, False),
    ("GET", "/dapi/v1/exchangeInfo"): (market.futures_exchange_info, False),
    ("GET", "/api/v3/depth"): (market.depth, False),
    ("GET", "/api/v3/ticker/24hr"): (market.ticker_24hr, False),
    ("GET", "/api/v3/ticker/bookTicker"): (market.book_ticker, False),
    ("GET", "/api/v3/ticker/price"): (market.ticker_price, False),
    ("GET", "/api/v3/klines"): (market.klines, False),
    ("GET", "/api/v3/account"): (_account, True),
    ("POST", "/api/v3/order"): (_new_order, True),
    ("GET", "/api/v3/order"): (_query_order, True),
    ("DELETE", "/api/v3/order"): (_cancel_order, True),
    ("GET", "/api/v3/openOrders"): (_open_orders, True),
    ("GET", "/api/v3/allOrders"): (_all_orders, True),
    ("GET", "/api/v3/myTrades"): (_my_trades, True),
    ("GET", "/sapi/v1/capital/config/getall"): (market.currencies, True),
    ("GET", "/sapi/v1/margin/allPairs"): (market.margin_pairs, False),  # ccxt sends the key, but unsigned
    ("GET", "/sapi/v1/margin/isolated/allPairs"): (market.margin_pairs, False),
}


def ccxt_urls(base: str) -> dict[str, dict[str, str]]:
    """ccxt's `urls` override that sends every binance API family the bots use to this fake."""
    return {
        "api": {
            "public": f"{base}/api/v3",
            "private": f"{base}/api/v3",
            "v1": f"{base}/api/v1",
            "sapi": f"{base}/sapi/v1",
            "sapiV2": f"{base}/sapi/v2",
            "sapiV3": f"{base}/sapi/v3",
            "sapiV4": f"{base}/sapi/v4",
            "fapiPublic": f"{base}/fapi/v1",
            "fapiPublicV2": f"{base}/fapi/v2",
            "fapiPublicV3": f"{base}/fapi/v3",
            "fapiPrivate": f"{base}/fapi/v1",
            "fapiPrivateV2": f"{base}/fapi/v2",
            "fapiPrivateV3": f"{base}/fapi/v3",
            "fapiData": f"{base}/futures/data",
            "dapiPublic": f"{base}/dapi/v1",
            "dapiPrivate": f"{base}/dapi/v1",
            "dapiPrivateV2": f"{base}/dapi/v2",
            "dapiData": f"{base}/futures/data",
        }
    }
