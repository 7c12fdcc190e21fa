"""A whole watcher tick on loopback: a Freqtrade bot trading on a fake exchange raises nothing; an attacker's
fill reaches fake Telegram and webhook endpoints and, under the stop policy, stops the bot."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fakes.watch_bots import FakeFreqtrade
from fakes.watch_channels import FakeChannel
from fakes.watch_exchanges import WatchFake
from keyaudit_keys import key_for, passphrase_for, secret_for

from bothost.keyaudit.probe.signing import Creds
from bothost.watch.alarms import DAY_MS
from bothost.watch.bot import FreqtradeApi
from bothost.watch.channels import Notifier, Telegram, Webhook
from bothost.watch.cycle import ExchangeWatch
from bothost.watch.watcher import Watcher

TOKEN = "777:TG-TOKEN-SENTINEL-5e1a"
FT_PASSWORD = "FT-PASSWORD-SENTINEL-c0de"


class World:
    """A fake OKX account, a fake Freqtrade, fake Telegram/webhook endpoints, and a clock."""

    def __init__(self) -> None:
        self.okx = WatchFake("okx", key_for("okx"), secret_for("okx"), passphrase_for("okx"))
        self.bot = FakeFreqtrade("watch", FT_PASSWORD, ["BTC/USDT", "ETH/USDT"])
        self.channel = FakeChannel(TOKEN)
        self.now = self.okx.now_ms()

    def watcher(self, **kwargs: object) -> Watcher:
        creds = Creds(key_for("okx"), secret_for("okx"), passphrase_for("okx"))
        watch = ExchangeWatch(
            "okx",
            creds,
            self.okx.door("203.0.113.10"),
            since_ms=self.now - 60_000,
            bot_pairs=self.bot.pairs,
            timeout=5,
        )
        api = FreqtradeApi(self.bot.base, "watch", FT_PASSWORD, timeout=5)
        notifier = Notifier(
            [Telegram(TOKEN, "42", api=self.channel.base), Webhook(self.channel.base + "/hook/SECRET-PATH")],
            lambda: self.now,
            secrets=[secret_for("okx"), passphrase_for("okx"), FT_PASSWORD],
        )
        return Watcher([watch], api.book, notifier, stop=api.stop, **kwargs)

    def close(self) -> None:
        self.okx.close()
        self.bot.close()
        self.channel.close()


@pytest.fixture
def world() -> Iterator[World]:
    created = World()
    yield created
    created.close()


def test_the_bots_own_trading_raises_nothing(world: World) -> None:
    watcher = world.watcher(policy="stop", heartbeat=False)
    world.bot.trade("BTC/USDT", "5001", world.now)
    world.okx.fill("T1", "5001", "BTC/USDT")
    assert watcher.tick() == []
    assert world.channel.received == [] and world.bot.state == "running"


def test_an_attacker_fill_alarms_on_both_channels_and_stops_the_bot(world: World) -> None:
    watcher = world.watcher(policy="stop", heartbeat=False)
    world.bot.trade("BTC/USDT", "5001", world.now)
    world.okx.fill("T1", "5001", "BTC/USDT")
    world.okx.fill("T2", "9999", "SYS/USDT", amount=80_000, price=0.31)
    assert [a.kind for a in watcher.tick()] == ["foreign-pair"]
    assert world.bot.state == "stopped"
    texts = world.channel.texts()
    assert len(texts) == 4  # the alarm and the stop notice, on Telegram and on the webhook
    assert "SYS-USDT" in texts[0] and "Leaked exchange key" in texts[2]
    everything = repr([body for _, body in world.channel.received])
    for secret in (secret_for("okx"), passphrase_for("okx"), FT_PASSWORD, TOKEN, "SECRET-PATH"):
        assert secret not in everything
    world.bot.state = "running"  # the next poll sees the same fill again: no repeat message, no second stop
    assert [a.kind for a in watcher.tick()] == ["foreign-pair"]
    assert len(world.channel.texts()) == 4 and world.bot.state == "running"


def test_alert_policy_leaves_the_bot_running(world: World) -> None:
    watcher = world.watcher(policy="alert", heartbeat=False)
    world.okx.fill("T2", "9999", "BTC/USDT")
    assert [a.kind for a in watcher.tick()] == ["unknown-fill"]
    assert world.bot.state == "running" and len(world.channel.texts()) == 2


def test_an_unreadable_bot_is_an_alarm_not_a_crash(world: World) -> None:
    watcher = world.watcher(heartbeat=False)
    world.bot.close()
    assert [a.kind for a in watcher.tick()] == ["bot-unreadable"]


def test_the_heartbeat_goes_out_once_a_quiet_day_and_can_be_turned_off(world: World) -> None:
    world.now = world.now - world.now % DAY_MS + 9 * 3_600_000
    watcher = world.watcher(heartbeat=True, heartbeat_hour_utc=8)
    watcher.tick()
    watcher.tick()
    assert world.channel.texts() == ["bothost watch: all quiet (okx)"] * 2  # once, on both channels
    quiet = world.watcher(heartbeat=False)
    world.channel.received.clear()
    quiet.tick()
    assert world.channel.received == []


def test_the_freqtrade_book_keeps_the_pairs_as_the_bot_names_them(world: World) -> None:
    book = FreqtradeApi(world.bot.base, "watch", FT_PASSWORD, timeout=5).book()
    assert book.names == tuple(world.bot.pairs) and book.pairs == {"BTCUSDT", "ETHUSDT"}
