"""The watcher against fake exchanges, per exchange: the bot's fills (no alarm), fills it did not place, the
thin-pair pattern, balance-only exchanges, an unreachable exchange, clock skew."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from fakes.watch_exchanges import PATHS, WatchFake
from keyaudit_keys import key_for, passphrase_for, secret_for

from bothost.keyaudit.probe.signing import Creds
from bothost.watch.bot import BotBook, BotOrder
from bothost.watch.cycle import ExchangeWatch
from bothost.watch.fills import pair_key

FILL_EXCHANGES = ("bybit", "okx", "kraken", "gate", "coinbase")
BALANCE_EXCHANGES = ("binance", "kucoin", "bitget")
PAIRS = ["BTC/USDT", "ETH/USDT"]


def _pairs(name: str) -> list[str]:
    return ["BTC/USD", "ETH/USD"] if name in ("kraken", "coinbase") else PAIRS


def _book(name: str, *order_ids: str, filled_ts_ms: int | None = None) -> BotBook:
    pair = pair_key(_pairs(name)[0])
    return BotBook(
        [BotOrder(o, "", pair, filled_ts_ms) for o in order_ids], {pair_key(p) for p in _pairs(name)}
    )


@pytest.fixture
def fake(request: pytest.FixtureRequest) -> Iterator[WatchFake]:
    name = request.param
    exchange = WatchFake(name, key_for(name), secret_for(name), passphrase_for(name))
    yield exchange
    exchange.close()


def _watch(fake: WatchFake, **kwargs: object) -> ExchangeWatch:
    creds = Creds(key_for(fake.name), secret_for(fake.name), passphrase_for(fake.name))
    return ExchangeWatch(
        fake.name,
        creds,
        fake.door("203.0.113.10"),
        since_ms=fake.now_ms() - 60_000,
        timeout=5,
        **{"bot_pairs": _pairs(fake.name), **kwargs},
    )


def _kinds(alarms: list) -> list[str]:
    return [a.kind for a in alarms]


@pytest.mark.parametrize("fake", FILL_EXCHANGES, indirect=True)
def test_fills_the_bot_placed_raise_no_alarm(fake: WatchFake) -> None:
    fake.fill("T1", "O-bot-1", _pairs(fake.name)[0])
    fake.fill("T2", "O-bot-1", _pairs(fake.name)[0], side="sell")
    assert _watch(fake).poll(_book(fake.name, "O-bot-1"), fake.now_ms()) == []
    assert PATHS[fake.name] in {r.path for r in fake.requests}


@pytest.mark.parametrize("fake", FILL_EXCHANGES, indirect=True)
def test_a_fill_the_bot_did_not_place_alarms(fake: WatchFake) -> None:
    fake.fill("T1", "O-bot-1", _pairs(fake.name)[0])
    fake.fill("T9", "O-attacker", _pairs(fake.name)[1], side="sell", amount=3)
    alarms = _watch(fake).poll(_book(fake.name, "O-bot-1"), fake.now_ms())
    assert _kinds(alarms) == ["unknown-fill"]
    assert "O-attacker" in alarms[0].text and alarms[0].trade


@pytest.mark.parametrize("fake", FILL_EXCHANGES, indirect=True)
def test_the_thin_pair_pattern_alarms_even_for_a_known_order(fake: WatchFake) -> None:
    quote = _pairs(fake.name)[0].split("/")[1]
    fake.fill("T7", "O-bot-1", f"SYS/{quote}", amount=50_000, price=0.3)
    alarms = _watch(fake).poll(_book(fake.name, "O-bot-1"), fake.now_ms())
    assert _kinds(alarms) == ["foreign-pair"]
    assert "does not trade" in alarms[0].text


def test_kraken_ledger_withdrawal_alarms() -> None:
    fake = WatchFake("kraken", key_for("kraken"), secret_for("kraken"))
    try:
        fake.fill("T1", "O-bot-1", "BTC/USD")
        fake.ledger["L1"] = {"refid": "T1", "time": 1.0, "type": "trade", "asset": "XXBT", "amount": "0.01"}
        watch = _watch(fake)
        assert watch.poll(_book("kraken", "O-bot-1"), fake.now_ms()) == []
        fake.ledger["L2"] = {
            "refid": "W1",
            "time": 2.0,
            "type": "withdrawal",
            "asset": "XXBT",
            "amount": "-1",
        }
        alarms = watch.poll(_book("kraken", "O-bot-1"), fake.now_ms() + 1)
        assert _kinds(alarms) == ["unexplained-balance"] and "withdrawal -1 BTC" in alarms[0].text
    finally:
        fake.close()


@pytest.mark.parametrize("fake", BALANCE_EXCHANGES, indirect=True)
def test_balance_only_exchanges_explain_changes_by_bot_orders(fake: WatchFake) -> None:
    fake.balances = {"BTC": 1.0, "USDT": 1000.0}
    watch = _watch(fake)
    start = fake.now_ms()
    assert watch.poll(_book(fake.name), start) == []  # the first read is the baseline
    fake.balances = {"BTC": 1.01, "USDT": 990.0}
    assert watch.poll(_book(fake.name, "O-bot-1", filled_ts_ms=start), start + 1000) == []


@pytest.mark.parametrize("fake", BALANCE_EXCHANGES, indirect=True)
def test_without_configured_pairs_the_bots_own_names_explain_its_assets(fake: WatchFake) -> None:
    fake.balances = {"BTC": 1.0, "USDT": 1000.0}
    watch = _watch(fake, bot_pairs=[])
    start = fake.now_ms()
    watch.poll(_book(fake.name), start)
    fake.balances = {"BTC": 1.01, "USDT": 990.0}
    named = _book(fake.name, "O-bot-1", filled_ts_ms=start)._replace(names=tuple(PAIRS))  # as whitelisted
    assert watch.poll(named, start + 1000) == []
    fake.balances = {"BTC": 1.02, "USDT": 980.0}
    unnamed = _book(fake.name, "O-bot-2", filled_ts_ms=start + 1500)
    assert _kinds(watch.poll(unnamed, start + 2000)) == ["unexplained-balance", "unexplained-balance"]


@pytest.mark.parametrize("fake", BALANCE_EXCHANGES, indirect=True)
def test_balance_only_exchanges_alarm_on_an_unexplained_change(fake: WatchFake) -> None:
    fake.balances = {"BTC": 1.0, "USDT": 1000.0}
    watch = _watch(fake)
    start = fake.now_ms()
    watch.poll(_book(fake.name), start)
    fake.balances = {"BTC": 0.2, "USDT": 1000.0, "SYS": 50_000.0}
    alarms = watch.poll(_book(fake.name), start + 1000)
    assert _kinds(alarms) == ["unexplained-balance", "unexplained-balance"]
    assert "BTC balance 1 -> 0.2" in alarms[0].text and "no bot order filled" in alarms[0].text
    assert "SYS" in alarms[1].text and "does not trade" in alarms[1].text


def _closed_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


@pytest.mark.parametrize("name", FILL_EXCHANGES + BALANCE_EXCHANGES)
def test_an_unreachable_exchange_alarms_after_n_failures_then_recovers(name: str) -> None:
    fake = WatchFake(name, key_for(name), secret_for(name), passphrase_for(name))
    try:
        watch = _watch(fake, fail_limit=3)
        base = watch.base
        watch.base = _closed_port()
        book = _book(name)
        results = [watch.poll(book, fake.now_ms()) for _ in range(4)]
        assert [_kinds(r) for r in results] == [[], [], ["unreachable"], []]
        assert "3 polls in a row" in results[2][0].text
        watch.base = base
        assert _kinds(watch.poll(book, fake.now_ms())) == ["reachable"]
    finally:
        fake.close()


@pytest.mark.parametrize("name", ("okx", "binance", "gate", "bybit"))
def test_a_refused_read_is_an_alarm_naming_the_code_not_the_key(name: str) -> None:
    fake = WatchFake(name, key_for(name), "wrong-" + secret_for(name), passphrase_for(name))
    try:
        alarms = _watch(fake).poll(_book(name), fake.now_ms())
        assert _kinds(alarms) == ["refused"]
        assert key_for(name) not in alarms[0].text and secret_for(name) not in alarms[0].text
    finally:
        fake.close()


@pytest.mark.parametrize(
    ("name", "offset_ms", "refused"),
    # bybit: past its 5 s receive window by a clear margin (at exactly 5 s a same-millisecond answer passes)
    [("bybit", 6_000, True), ("okx", -8_000, False), ("kucoin", 4_000, False), ("gate", -90_000, True)],
)
def test_clock_skew_is_reported_even_when_it_makes_the_exchange_refuse(
    name: str, offset_ms: int, refused: bool
) -> None:
    fake = WatchFake(name, key_for(name), secret_for(name), passphrase_for(name), clock_offset_ms=offset_ms)
    try:
        alarms = _watch(fake, skew_limit_ms=1000).poll(_book(name), fake.now_ms())
        assert _kinds(alarms) == ["clock-skew", "refused"] if refused else ["clock-skew"]
        assert ("behind" if offset_ms > 0 else "ahead of") in alarms[0].text
    finally:
        fake.close()
