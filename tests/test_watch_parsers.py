"""The watcher's parsers read each exchange's documented example answer (tests/fakes/watch_docs.py)."""

from __future__ import annotations

import pytest
from fakes import watch_docs as docs

from bothost.keyaudit.probe.parsing import ApiError
from bothost.keyaudit.probe.wire import Reply
from bothost.watch import fills
from bothost.watch.fills import Fill


def _reply(data: object, status: int = 200) -> Reply:
    return Reply(status, data, "")


FILL_CASES = [
    (
        fills.bybit_fills,
        docs.BYBIT_EXECUTIONS,
        Fill(
            "e0cbe81d-0f18-5866-9415-cf319b5dab3b",
            "8c065341-7b52-4ca9-ac2c-37e31ac55c94",
            "",
            "ETHPERP",
            "buy",
            0.1,
            1190.15,
            1672282722429,
        ),
    ),
    (
        fills.okx_fills,
        docs.OKX_FILLS,
        Fill("744876980", "680800019749904384", "", "BTC-USDT", "buy", 0.00192834, 51858.0, 1708587373362),
    ),
    (
        fills.kraken_fills,
        docs.KRAKEN_TRADES,
        Fill(
            "THVRQM-33VKH-UCI7BS", "OQCLML-BW3P3-BUCMWZ", "", "XXBTZUSD", "buy", 0.02, 30010.0, 1688667796880
        ),
    ),
    (
        fills.gate_fills,
        docs.GATE_MY_TRADES,
        Fill("1232893232", "4128442423", "t-test", "ETH_BTC", "buy", 0.15, 0.03, 1548000000123),
    ),
    (
        fills.coinbase_fills,
        docs.COINBASE_FILLS,
        Fill("1111-11111-111111", "0000-000000-000000", "", "BTC-USD", "buy", 0.001, 10000.0, 1622455199000),
    ),
]


@pytest.mark.parametrize(("parse", "body", "expected"), FILL_CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_fill_parsers_read_the_documented_example(parse: object, body: object, expected: Fill) -> None:
    assert parse(_reply(body)) == [expected]


BALANCE_CASES = [
    (fills.binance_balances, docs.BINANCE_ACCOUNT, {"BTC": 4723846.89208129, "LTC": 4763368.68006011}),
    (fills.kucoin_balances, docs.KUCOIN_ACCOUNTS, {"USDT": pytest.approx(26.67759503)}),
    (fills.bitget_balances, docs.BITGET_ASSETS, {}),
]


@pytest.mark.parametrize(
    ("parse", "body", "expected"), BALANCE_CASES, ids=lambda c: getattr(c, "__name__", "")
)
def test_balance_parsers_total_each_asset(parse: object, body: dict, expected: dict) -> None:
    assert parse(_reply(body)) == expected


def test_kraken_ledger_maps_legacy_asset_names() -> None:
    (entry,) = fills.kraken_ledger(_reply(docs.KRAKEN_LEDGER))
    assert entry == {
        "id": "L4UESK-KG3EQ-UFO4T5",
        "refid": "TJKLXX-PGMUI-4NTLXU",
        "type": "trade",
        "asset": "GBP",
        "amount": -24.5,
        "ts_ms": 1688464484178,
    }


@pytest.mark.parametrize(
    ("parse", "body", "status", "code"),
    [
        (fills.bybit_fills, {"retCode": 10003, "retMsg": "API key is invalid."}, 200, "10003"),
        (fills.okx_fills, {"code": "50113", "msg": "Invalid Sign"}, 401, "50113"),
        (fills.kraken_fills, {"error": ["EAPI:Invalid key"]}, 200, "EAPI:Invalid key"),
        (fills.gate_fills, {"label": "INVALID_KEY", "message": "Invalid key provided"}, 401, "INVALID_KEY"),
        (fills.coinbase_fills, {"error": "unauthorized", "message": "Unauthorized"}, 401, "unauthorized"),
        (fills.binance_balances, {"code": -2015, "msg": "Invalid API-key"}, 401, "-2015"),
        (fills.kucoin_balances, {"code": "400005", "msg": "Signature error"}, 401, "400005"),
        (fills.bitget_balances, {"code": "40009", "msg": "sign signature error"}, 400, "40009"),
    ],
)
def test_refusals_become_api_errors_with_the_exchange_code(
    parse: object, body: object, status: int, code: str
) -> None:
    with pytest.raises(ApiError) as caught:
        parse(_reply(body, status))
    assert caught.value.code == code


@pytest.mark.parametrize(
    ("spelling", "key"),
    [
        ("BTC/USDT", "BTCUSDT"),
        ("BTC-USDT", "BTCUSDT"),
        ("btc_usdt", "BTCUSDT"),
        ("BTCUSDT", "BTCUSDT"),
        ("XXBTZUSD", "BTCUSD"),
        ("XBT/USD", "BTCUSD"),
        ("BTC/USDT:USDT", "BTCUSDT"),
        ("ZETA/USDT", "ZETAUSDT"),
    ],
)
def test_pair_spellings_meet(spelling: str, key: str) -> None:
    assert fills.pair_key(spelling) == key
