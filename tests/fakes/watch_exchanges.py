"""Fake exchanges that list an account's fills or balances, on the key-audit fakes' plumbing (doors, clock
offset, request log): the signature is checked as each exchange documents it, answers are watch_docs.py's."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime
from urllib.parse import parse_qs

from fakes.exchange_rules import NOT_FOUND, RULES, _h, _jwt_valid, _mac, _outside, _same, _target
from fakes.exchanges import FakeExchange, Request
from fakes.watch_docs import balances_body, fill_entry, fills_body

PATHS = {
    "bybit": "/v5/execution/list",
    "okx": "/api/v5/trade/fills",
    "kraken": "/0/private/TradesHistory",
    "gate": "/api/v4/spot/my_trades",
    "coinbase": "/api/v3/brokerage/orders/historical/fills",
    "binance": "/api/v3/account",
    "kucoin": "/api/v1/accounts",
    "bitget": "/api/v2/spot/account/assets",
}


class WatchFake(FakeExchange):
    """A fake exchange account with fills (or balances) the tests add, plus Kraken's ledger."""

    def __init__(self, exchange: str, key: str, secret: str, passphrase: str = "", **kwargs: object) -> None:
        super().__init__("watch-" + exchange, key, secret, passphrase, **kwargs)
        self.name = exchange
        self.fills: dict[str, dict] = {}
        self.balances: dict[str, float] = {}
        self.ledger: dict[str, dict] = {}

    def fill(
        self,
        trade_id: str,
        order_id: str,
        pair: str,
        side: str = "buy",
        amount: float = 0.01,
        price: float = 100.0,
        ts_ms: int | None = None,
    ) -> None:
        """Record a fill on the account (the bot's or an attacker's: the fake does not care)."""
        key, entry = fill_entry(
            self.name, trade_id, order_id, pair, side, amount, price, ts_ms or self.now_ms()
        )
        self.fills[key] = entry


def _signed_ok(fake: WatchFake, req: Request) -> bool:
    """The request's signature, checked as each exchange's docs describe it (see exchange_rules.py)."""
    name, body = fake.name, req.body.decode()
    if name == "binance":
        total, _, signature = req.query.rpartition("&signature=")
        return _h(req, "X-MBX-APIKEY") == fake.key and _same(signature, _mac(fake.secret, total).hex())
    if name == "bybit":
        stamp, window = _h(req, "X-BAPI-TIMESTAMP"), _h(req, "X-BAPI-RECV-WINDOW")
        expected = _mac(fake.secret, stamp + fake.key + window + req.query).hex()
        return _h(req, "X-BAPI-API-KEY") == fake.key and _same(_h(req, "X-BAPI-SIGN"), expected)
    if name == "okx":
        text = _h(req, "OK-ACCESS-TIMESTAMP") + req.method + _target(req) + body
        return _h(req, "OK-ACCESS-PASSPHRASE") == fake.passphrase and _same(
            _h(req, "OK-ACCESS-SIGN"), base64.b64encode(_mac(fake.secret, text)).decode()
        )
    if name == "kraken":
        nonce = parse_qs(body)["nonce"][0]
        inner = hashlib.sha256((nonce + body).encode()).digest()
        expected = _mac(base64.b64decode(fake.secret), req.path.encode() + inner, hashlib.sha512)
        return _h(req, "API-Key") == fake.key and _same(
            _h(req, "API-Sign"), base64.b64encode(expected).decode()
        )
    if name in ("kucoin", "bitget"):
        prefix = "KC-API-" if name == "kucoin" else "ACCESS-"
        text = _h(req, prefix + "TIMESTAMP") + req.method + _target(req) + body
        return _h(req, prefix + "KEY") == fake.key and _same(
            _h(req, prefix + "SIGN"), base64.b64encode(_mac(fake.secret, text)).decode()
        )
    if name == "gate":
        payload = "\n".join(
            [req.method, req.path, req.query, hashlib.sha512(req.body).hexdigest(), _h(req, "Timestamp")]
        )
        return _h(req, "KEY") == fake.key and _same(
            _h(req, "SIGN"), _mac(fake.secret, payload, hashlib.sha512).hex()
        )
    return _jwt_valid(fake, req)


def _stamp_ms(fake: WatchFake, req: Request) -> tuple[int, int, int] | None:
    """(request time in ms, how far ahead, how far behind it may be) as each exchange documents it."""
    name = fake.name
    if name == "binance":
        params = parse_qs(req.query)
        return int(params["timestamp"][0]), 1000, int(params.get("recvWindow", ["5000"])[0])
    if name == "bybit":
        return int(_h(req, "X-BAPI-TIMESTAMP")), 1000, int(_h(req, "X-BAPI-RECV-WINDOW") or 5000)
    if name == "okx":
        stamp = datetime.strptime(_h(req, "OK-ACCESS-TIMESTAMP"), "%Y-%m-%dT%H:%M:%S.%f%z")
        return int(stamp.timestamp() * 1000), 30000, 30000
    if name == "kucoin":
        return int(_h(req, "KC-API-TIMESTAMP")), 5000, 5000
    if name == "bitget":
        return int(_h(req, "ACCESS-TIMESTAMP")), 30000, 30000
    if name == "gate":
        return int(_h(req, "Timestamp")) * 1000, 60000, 60000
    return None  # Kraken: nonces; Coinbase: the JWT's nbf/exp, checked by _jwt_valid


_EXPIRED = {
    "binance": (400, {"code": -1021, "msg": "Timestamp for this request is outside of the recvWindow."}),
    "bybit": (200, {"retCode": 10002, "retMsg": "invalid request, please check your server timestamp"}),
    "okx": (401, {"code": "50102", "msg": "Timestamp request expired"}),
    "kucoin": (401, {"code": "400002", "msg": "KC-API-TIMESTAMP Invalid"}),
    "bitget": (400, {"code": "40008", "msg": "Request timestamp expired"}),
    "gate": (401, {"label": "REQUEST_EXPIRED", "message": "gap between request Timestamp and server time"}),
}

_REFUSED = {
    "binance": (401, {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."}),
    "bybit": (200, {"retCode": 10004, "retMsg": "error sign! origin_string[{key}]"}),  # echoes the key
    "okx": (401, {"code": "50113", "msg": "Invalid Sign"}),
    "kraken": (200, {"error": ["EAPI:Invalid signature"]}),
    "kucoin": (401, {"code": "400005", "msg": "Signature error"}),
    "bitget": (400, {"code": "40009", "msg": "sign signature error"}),
    "gate": (401, {"label": "INVALID_SIGNATURE", "message": "Signature mismatch"}),
    "coinbase": (401, {"error": "unauthorized", "message": "Unauthorized"}),
}


def _rule(fake: WatchFake, req: Request) -> tuple[int, object]:
    if req.path == "/0/private/Ledgers" and fake.name == "kraken":
        if not _signed_ok(fake, req):
            return _REFUSED["kraken"]
        return 200, {"error": [], "result": {"ledger": dict(fake.ledger), "count": len(fake.ledger)}}
    if req.path != PATHS[fake.name]:
        return RULES[fake.name](fake, req) if "time" in req.path.lower() else NOT_FOUND
    if not _signed_ok(fake, req):
        status, body = _REFUSED[fake.name]
        return status, {k: v.replace("{key}", fake.key) if isinstance(v, str) else v for k, v in body.items()}
    window = _stamp_ms(fake, req)
    if window is not None and _outside(fake, *window):
        return _EXPIRED[fake.name]
    if fake.name in ("binance", "kucoin", "bitget"):
        return 200, balances_body(fake.name, fake.balances)
    return 200, fills_body(fake.name, fake.fills)


for _name in PATHS:
    RULES["watch-" + _name] = _rule
