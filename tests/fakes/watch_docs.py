"""The exchanges' own documented example answers for fills and balances (one entry each), and a helper that
writes a fill in an exchange's shape by overriding the documented entry's ids, pair, side, size and price."""

from __future__ import annotations

import copy
import time

# https://bybit-exchange.github.io/docs/v5/order/execution (Response Example)
BYBIT_EXECUTIONS = {
    "retCode": 0,
    "retMsg": "OK",
    "result": {
        "nextPageCursor": "132766%3A2%2C132766%3A2",
        "category": "linear",
        "list": [
            {
                "symbol": "ETHPERP",
                "orderType": "Market",
                "underlyingPrice": "",
                "orderLinkId": "",
                "side": "Buy",
                "indexPrice": "",
                "orderId": "8c065341-7b52-4ca9-ac2c-37e31ac55c94",
                "stopOrderType": "UNKNOWN",
                "leavesQty": "0",
                "execTime": "1672282722429",
                "feeCurrency": "",
                "isMaker": False,
                "execFee": "0.071409",
                "feeRate": "0.0006",
                "execId": "e0cbe81d-0f18-5866-9415-cf319b5dab3b",
                "tradeIv": "",
                "blockTradeId": "",
                "markPrice": "1183.54",
                "execPrice": "1190.15",
                "markIv": "",
                "orderQty": "0.1",
                "orderPrice": "1236.9",
                "execValue": "119.015",
                "execType": "Trade",
                "execQty": "0.1",
                "closedSize": "",
                "seq": 4688002127,
            }
        ],
    },
    "retExtInfo": {},
    "time": 1672283754510,
}

# https://www.okx.com/docs-v5/en/#order-book-trading-trade-get-transaction-details-last-3-days
OKX_FILLS = {
    "code": "0",
    "msg": "",
    "data": [
        {
            "side": "buy",
            "fillSz": "0.00192834",
            "fillPx": "51858",
            "fillPxVol": "",
            "fillFwdPx": "",
            "fee": "-0.00000192834",
            "fillPnl": "0",
            "ordId": "680800019749904384",
            "feeRate": "-0.001",
            "instType": "SPOT",
            "fillPxUsd": "",
            "instId": "BTC-USDT",
            "clOrdId": "",
            "posSide": "net",
            "billId": "680800019754098688",
            "subType": "1",
            "fillMarkVol": "",
            "tag": "",
            "fillTime": "1708587373361",
            "execType": "T",
            "fillIdxPx": "",
            "tradeId": "744876980",
            "fillMarkPx": "",
            "feeCcy": "BTC",
            "ts": "1708587373362",
        }
    ],
}

# https://docs.kraken.com/api/docs/rest-api/get-trade-history (Response example)
KRAKEN_TRADES = {
    "error": [],
    "result": {
        "trades": {
            "THVRQM-33VKH-UCI7BS": {
                "ordertxid": "OQCLML-BW3P3-BUCMWZ",
                "postxid": "TKH2SE-M7IF5-CFI7LT",
                "pair": "XXBTZUSD",
                "time": 1688667796.8802,
                "type": "buy",
                "ordertype": "limit",
                "price": "30010.00000",
                "cost": "600.20000",
                "fee": "0.00000",
                "vol": "0.02000000",
                "margin": "0.00000",
                "misc": "",
                "trade_id": 40274859,
                "maker": True,
            }
        },
        "count": 1,
    },
}

# https://docs.kraken.com/api/docs/rest-api/get-ledgers (Response example)
KRAKEN_LEDGER = {
    "error": [],
    "result": {
        "ledger": {
            "L4UESK-KG3EQ-UFO4T5": {
                "refid": "TJKLXX-PGMUI-4NTLXU",
                "time": 1688464484.1787,
                "type": "trade",
                "subtype": "",
                "aclass": "currency",
                "asset": "ZGBP",
                "amount": "-24.5000",
                "fee": "0.0490",
                "balance": "459567.9171",
            }
        },
        "count": 1,
    },
}

# https://www.gate.com/docs/developers/apiv4/en/#list-personal-trading-history (Example responses)
GATE_MY_TRADES = [
    {
        "id": "1232893232",
        "create_time": "1548000000",
        "create_time_ms": "1548000000123.456",
        "order_id": "4128442423",
        "side": "buy",
        "role": "maker",
        "amount": "0.15",
        "price": "0.03",
        "fee": "0.0005",
        "fee_currency": "ETH",
        "point_fee": "0",
        "gt_fee": "0",
        "sequence_id": "588018",
        "text": "t-test",
        "currency_pair": "ETH_BTC",
    }
]

# https://docs.cdp.coinbase.com/advanced-trade/reference/retailbrokerageapi_getfills (200 example)
COINBASE_FILLS = {
    "fills": [
        {
            "entry_id": "22222-2222222-22222222",
            "trade_id": "1111-11111-111111",
            "order_id": "0000-000000-000000",
            "trade_time": "2021-05-31T09:59:59.000Z",
            "trade_type": "FILL",
            "price": "10000.00",
            "size": "0.001",
            "commission": "1.25",
            "product_id": "BTC-USD",
            "sequence_timestamp": "2021-05-31T09:58:59.000Z",
            "liquidity_indicator": "UNKNOWN_LIQUIDITY_INDICATOR",
            "size_in_quote": False,
            "user_id": "3333-333333-3333333",
            "side": "BUY",
            "retail_portfolio_id": "faa2bf14-fcd0-4d9e-bf23-ba6f4b9fc7ea",
        }
    ],
    "cursor": "789100",
}

# https://developers.binance.com/docs/binance-spot-api-docs/rest-api/account-endpoints (Account information)
BINANCE_ACCOUNT = {
    "makerCommission": 15,
    "takerCommission": 15,
    "buyerCommission": 0,
    "sellerCommission": 0,
    "canTrade": True,
    "canWithdraw": True,
    "canDeposit": True,
    "brokered": False,
    "requireSelfTradePrevention": False,
    "preventSor": False,
    "updateTime": 123456789,
    "accountType": "SPOT",
    "balances": [
        {"asset": "BTC", "free": "4723846.89208129", "locked": "0.00000000"},
        {"asset": "LTC", "free": "4763368.68006011", "locked": "0.00000000"},
    ],
    "permissions": ["SPOT"],
    "uid": 354937868,
}

# https://www.kucoin.com/docs-new/rest/account-info/account-funding/get-account-list-spot (Response example)
KUCOIN_ACCOUNTS = {
    "code": "200000",
    "data": [
        {
            "id": "548674591753",
            "currency": "USDT",
            "type": "trade",
            "balance": "26.66759503",
            "available": "26.66759503",
            "holds": "0",
        },
        {
            "id": "63355cd156298d0001b66e61",
            "currency": "USDT",
            "type": "main",
            "balance": "0.01",
            "available": "0.01",
            "holds": "0",
        },
    ],
}

# https://www.bitget.com/api-doc/spot/account/Get-Account-Assets (Response example)
BITGET_ASSETS = {
    "code": "00000",
    "message": "success",
    "requestTime": 1695808949356,
    "data": [
        {
            "coin": "usdt",
            "available": "0",
            "limitAvailable": "0",
            "frozen": "0",
            "locked": "0",
            "uTime": "1622697148",
        }
    ],
}


def _split(pair: str) -> tuple[str, str]:
    base, quote = pair.split("/")
    return base, quote


def fill_entry(
    exchange: str, trade_id: str, order_id: str, pair: str, side: str, amount: float, price: float, ts_ms: int
) -> tuple[str, dict]:
    """(key, entry) of one fill in the exchange's documented shape; pair is "BASE/QUOTE"."""
    base, quote = _split(pair)
    if exchange == "bybit":
        e = copy.deepcopy(BYBIT_EXECUTIONS["result"]["list"][0])
        e.update(
            execId=trade_id,
            orderId=order_id,
            symbol=base + quote,
            side=side.title(),
            execQty=str(amount),
            execPrice=str(price),
            execTime=str(ts_ms),
        )
    elif exchange == "okx":
        e = copy.deepcopy(OKX_FILLS["data"][0])
        e.update(
            tradeId=trade_id,
            ordId=order_id,
            instId=f"{base}-{quote}",
            side=side,
            fillSz=str(amount),
            fillPx=str(price),
            ts=str(ts_ms),
            fillTime=str(ts_ms),
        )
    elif exchange == "kraken":
        e = copy.deepcopy(KRAKEN_TRADES["result"]["trades"]["THVRQM-33VKH-UCI7BS"])
        legacy = {"BTC": "XXBT", "ETH": "XETH", "USD": "ZUSD", "EUR": "ZEUR"}
        e.update(
            ordertxid=order_id,
            pair=legacy.get(base, base) + legacy.get(quote, quote),
            type=side,
            vol=f"{amount:.8f}",
            price=f"{price:.5f}",
            time=ts_ms / 1000,
        )
    elif exchange == "gate":
        e = copy.deepcopy(GATE_MY_TRADES[0])
        e.update(
            id=trade_id,
            order_id=order_id,
            currency_pair=f"{base}_{quote}",
            side=side,
            amount=str(amount),
            price=str(price),
            create_time=str(ts_ms // 1000),
            create_time_ms=f"{ts_ms}.000",
        )
    elif exchange == "coinbase":
        e = copy.deepcopy(COINBASE_FILLS["fills"][0])
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts_ms // 1000))
        e.update(
            trade_id=trade_id,
            order_id=order_id,
            product_id=f"{base}-{quote}",
            side=side.upper(),
            size=str(amount),
            price=str(price),
            trade_time=f"{stamp}.{ts_ms % 1000:03d}Z",
        )
    else:
        raise ValueError(f"{exchange} lists no fills without a symbol")
    return trade_id, e


def fills_body(exchange: str, entries: dict[str, dict]) -> object:
    """The documented answer with its example entries replaced by ours."""
    if exchange == "bybit":
        body = copy.deepcopy(BYBIT_EXECUTIONS)
        body["result"].update(category="spot", list=list(entries.values()))
    elif exchange == "okx":
        body = {**OKX_FILLS, "data": list(entries.values())}
    elif exchange == "kraken":
        body = {"error": [], "result": {"trades": dict(entries), "count": len(entries)}}
    elif exchange == "gate":
        body = list(entries.values())
    else:
        body = {**COINBASE_FILLS, "fills": list(entries.values())}
    return body


def balances_body(exchange: str, balances: dict[str, float]) -> dict:
    """The documented balances answer with our amounts."""
    if exchange == "binance":
        rows = [{"asset": a, "free": f"{v:.8f}", "locked": "0.00000000"} for a, v in balances.items()]
        return {**BINANCE_ACCOUNT, "balances": rows}
    if exchange == "kucoin":
        row = KUCOIN_ACCOUNTS["data"][0]
        rows = [
            {**row, "currency": a, "balance": f"{v:.8f}", "available": f"{v:.8f}"}
            for a, v in balances.items()
        ]
        return {**KUCOIN_ACCOUNTS, "data": rows}
    row = BITGET_ASSETS["data"][0]
    rows = [{**row, "coin": a.lower(), "available": f"{v:.8f}"} for a, v in balances.items()]
    return {**BITGET_ASSETS, "data": rows}
