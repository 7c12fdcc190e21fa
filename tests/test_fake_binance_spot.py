"""The fake Binance spot exchange, driven by ccxt's real binance client (what Freqtrade uses)."""

from __future__ import annotations

import ccxt
import pytest
from fakes.binance_spot import BinanceSpot, ccxt_urls

KEY, SECRET = "k" * 64, "s" * 64


@pytest.fixture
def fake():
    exchange = BinanceSpot(KEY, SECRET)
    yield exchange
    exchange.close()


def client(fake: BinanceSpot, secret: str = SECRET) -> ccxt.binance:
    base = fake.door("203.0.113.10")
    return ccxt.binance({"apiKey": KEY, "secret": secret, "urls": ccxt_urls(base), "enableRateLimit": False})


def test_markets_and_market_data_parse_in_ccxt(fake):
    api = client(fake)
    markets = api.load_markets()
    assert list(markets) == ["BTC/USDT"]
    market = markets["BTC/USDT"]
    assert market["limits"]["cost"]["min"] == 5.0 and market["precision"]["price"] == 0.01
    book = api.fetch_order_book("BTC/USDT")
    assert book["bids"][0][0] < 60000.0 < book["asks"][0][0]
    candles = api.fetch_ohlcv("BTC/USDT", "5m", limit=20)
    assert len(candles) == 20 and candles[-1][0] - candles[-2][0] == 300_000
    assert api.fetch_ticker("BTC/USDT")["last"] == 60000.0
    assert fake.unhandled == []


def test_a_limit_order_stays_open_until_cancelled_and_both_are_recorded(fake):
    api = client(fake)
    api.load_markets()
    order = api.create_order("BTC/USDT", "limit", "buy", 0.001, 59000.0)
    assert order["status"] == "open"
    assert api.fetch_order(order["id"], "BTC/USDT")["status"] == "open"
    assert [o["id"] for o in api.fetch_open_orders("BTC/USDT")] == [order["id"]]
    assert api.fetch_balance()["USDT"]["used"] == pytest.approx(59.0)
    cancelled = api.cancel_order(order["id"], "BTC/USDT")
    assert cancelled["status"] == "canceled"
    assert api.fetch_order(order["id"], "BTC/USDT")["status"] == "canceled"
    assert [(e.kind, str(e.order_id), e.side, e.price) for e in fake.events] == [
        ("order", order["id"], "BUY", "59000"),
        ("cancel", order["id"], "BUY", "59000"),
    ]
    with pytest.raises(ccxt.OrderNotFound):
        api.cancel_order(order["id"], "BTC/USDT")  # -2011: no longer open
    assert fake.open_orders() == []


def test_a_wrong_signature_is_refused_and_nothing_is_recorded(fake):
    api = client(fake, secret="not-the-secret")
    with pytest.raises(ccxt.AuthenticationError, match="-1022"):
        api.load_markets()  # ccxt loads the currencies with a signed call
    api.options["fetchCurrencies"] = False
    api.load_markets(reload=True)  # the public market list needs no signature
    with pytest.raises(ccxt.AuthenticationError, match="-1022"):
        api.create_order("BTC/USDT", "limit", "buy", 0.001, 59000.0)
    assert fake.events == []


def test_a_market_order_is_refused_because_nothing_fills_here(fake):
    api = client(fake)
    api.load_markets()
    with pytest.raises(ccxt.BadRequest, match="-1013"):
        api.create_order("BTC/USDT", "market", "buy", 0.001)
    assert fake.placed() == []


def test_wait_for_wakes_on_an_order(fake):
    api = client(fake)
    api.load_markets()
    assert not fake.wait_for(lambda f: f.placed(), 0.2)
    api.create_order("BTC/USDT", "limit", "sell", 0.001, 61000.0)
    assert fake.wait_for(lambda f: f.placed(), 5)


def test_wait_for_accepts_a_predicate_that_reads_open_orders() -> None:
    """The VM test waits for `placed() and open_orders()`: the predicate runs with the fake's lock held."""
    fake = BinanceSpot("k", "s")
    try:
        assert fake.wait_for(lambda f: f.open_orders() == [], 1)
        assert not fake.wait_for(lambda f: f.open_orders(), 0.2)
    finally:
        fake.close()
