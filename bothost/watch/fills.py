"""Pure parsers of each exchange's fills and balances, field names as each exchange documents them."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from ..keyaudit.probe.parsing import ApiError
from ..keyaudit.probe.wire import Reply


class Fill(NamedTuple):
    """One execution on the account."""

    trade_id: str
    order_id: str
    client_order_id: str
    pair: str  # as the exchange spells it; compare with pair_key()
    side: str  # "buy" or "sell"
    amount: float
    price: float
    ts_ms: int


# Kraken's legacy asset codes (docs.kraken.com, "Get Asset Info": altname vs. asset name) and XBT/XDG.
_KRAKEN_ASSETS = {
    "XXBT": "BTC", "XBT": "BTC", "XXDG": "DOGE", "XDG": "DOGE", "XETH": "ETH", "XLTC": "LTC",
    "XXRP": "XRP", "XXLM": "XLM", "XETC": "ETC", "XZEC": "ZEC", "XXMR": "XMR", "XMLN": "MLN",
    "ZUSD": "USD", "ZEUR": "EUR", "ZGBP": "GBP", "ZCAD": "CAD", "ZJPY": "JPY", "ZAUD": "AUD", "ZCHF": "CHF",
}  # fmt: skip


def asset_key(asset: str) -> str:
    """One spelling per asset: upper case, Kraken's legacy names (XXBT, ZUSD) as everyone else's."""
    code = asset.upper()
    return _KRAKEN_ASSETS.get(code, code)


def pair_key(pair: str) -> str:
    """One spelling per pair: "BTC/USDT", "BTC-USDT", "btc_usdt" -> "BTCUSDT"; "XXBTZUSD" -> "BTCUSD"."""
    text = pair.upper().split(":")[0]
    for sep in "/-_":
        if sep in text:
            base, quote = text.split(sep, 1)
            return asset_key(base) + asset_key(quote)
    if len(text) == 8 and text[:4] in _KRAKEN_ASSETS and text[4:] in _KRAKEN_ASSETS:
        return asset_key(text[:4]) + asset_key(text[4:])
    return text


def _check(reply: Reply, ok: bool, code: object, message: object) -> None:
    if reply.status != 200 or not ok:
        raise ApiError("error", str(code if code is not None else reply.status), str(message or reply.text))


def _dict(reply: Reply) -> dict:
    return reply.data if isinstance(reply.data, dict) else {}


def bybit_fills(reply: Reply) -> list[Fill]:
    """GET /v5/execution/list -> result.list[] (execId, orderId, orderLinkId, symbol, execQty, execPrice)."""
    data = _dict(reply)
    _check(reply, data.get("retCode") == 0, data.get("retCode"), data.get("retMsg"))
    return [
        Fill(
            e["execId"],
            e["orderId"],
            e.get("orderLinkId", ""),
            e["symbol"],
            e["side"].lower(),
            float(e["execQty"]),
            float(e["execPrice"]),
            int(e["execTime"]),
        )
        for e in data["result"]["list"]
        if e.get("execType", "Trade") == "Trade"
    ]


def okx_fills(reply: Reply) -> list[Fill]:
    """GET /api/v5/trade/fills -> data[] (tradeId, ordId, clOrdId, instId, fillSz, fillPx, ts)."""
    data = _dict(reply)
    _check(reply, data.get("code") == "0", data.get("code"), data.get("msg"))
    return [
        Fill(
            e["tradeId"],
            e["ordId"],
            e.get("clOrdId", ""),
            e["instId"],
            e["side"],
            float(e["fillSz"]),
            float(e["fillPx"]),
            int(e["ts"]),
        )
        for e in data["data"]
    ]


def kraken_fills(reply: Reply) -> list[Fill]:
    """POST /0/private/TradesHistory -> result.trades{txid: {ordertxid, pair, type, vol, price, time}}."""
    data = _dict(reply)
    _check(reply, not data.get("error"), ",".join(data.get("error") or []), "")
    return [
        Fill(
            txid,
            e["ordertxid"],
            str(e.get("userref") or ""),
            e["pair"],
            e["type"],
            float(e["vol"]),
            float(e["price"]),
            int(float(e["time"]) * 1000),
        )
        for txid, e in data["result"]["trades"].items()
    ]


def gate_fills(reply: Reply) -> list[Fill]:
    """GET /api/v4/spot/my_trades -> [] (id, order_id, text, currency_pair, side, amount, price)."""
    data = reply.data
    if not isinstance(data, list):
        body = _dict(reply)
        _check(reply, False, body.get("label"), body.get("message"))
    return [
        Fill(
            str(e["id"]),
            str(e["order_id"]),
            e.get("text", ""),
            e["currency_pair"],
            e["side"],
            float(e["amount"]),
            float(e["price"]),
            int(float(e.get("create_time_ms") or float(e["create_time"]) * 1000)),
        )
        for e in data
    ]


def coinbase_fills(reply: Reply) -> list[Fill]:
    """GET /api/v3/brokerage/orders/historical/fills -> fills[] (trade_id, order_id, product_id, size)."""
    data = _dict(reply)
    _check(reply, "fills" in data, data.get("error"), data.get("message"))
    return [
        Fill(
            e["trade_id"],
            e["order_id"],
            "",
            e["product_id"],
            e["side"].lower(),
            float(e["size"]),
            float(e["price"]),
            _iso_ms(e["trade_time"]),
        )
        for e in data["fills"]
    ]


def _iso_ms(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def kraken_ledger(reply: Reply) -> list[dict]:
    """POST /0/private/Ledgers -> result.ledger{id: {refid, type, asset, amount, time}} as plain entries."""
    data = _dict(reply)
    _check(reply, not data.get("error"), ",".join(data.get("error") or []), "")
    return [
        {
            "id": ledger_id,
            "refid": e["refid"],
            "type": e["type"],
            "asset": asset_key(e["asset"]),
            "amount": float(e["amount"]),
            "ts_ms": int(float(e["time"]) * 1000),
        }
        for ledger_id, e in data["result"]["ledger"].items()
    ]


def binance_balances(reply: Reply) -> dict[str, float]:
    """GET /api/v3/account -> balances[] (asset, free, locked): total per asset."""
    data = _dict(reply)
    _check(reply, "balances" in data, data.get("code"), data.get("msg"))
    return _totals((b["asset"], float(b["free"]) + float(b["locked"])) for b in data["balances"])


def kucoin_balances(reply: Reply) -> dict[str, float]:
    """GET /api/v1/accounts -> data[] (currency, type, balance): total per currency over all account types."""
    data = _dict(reply)
    _check(reply, data.get("code") == "200000", data.get("code"), data.get("msg"))
    return _totals((b["currency"], float(b["balance"])) for b in data["data"])


def bitget_balances(reply: Reply) -> dict[str, float]:
    """GET /api/v2/spot/account/assets -> data[] (coin, available, frozen, locked): total per coin."""
    data = _dict(reply)
    _check(reply, data.get("code") == "00000", data.get("code"), data.get("msg"))
    return _totals(
        (b["coin"], float(b["available"]) + float(b["frozen"]) + float(b.get("locked") or 0))
        for b in data["data"]
    )


def _totals(pairs: object) -> dict[str, float]:
    totals: dict[str, float] = {}
    for asset, amount in pairs:
        key = asset_key(asset)
        totals[key] = totals.get(key, 0.0) + amount
    return {asset: amount for asset, amount in totals.items() if amount}
