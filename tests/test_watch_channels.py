"""Telegram and webhook channels against fake endpoints on loopback: delivery, rate limit, de-duplication,
and no secret in any message or error."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fakes.watch_channels import FakeChannel

from bothost.watch.alarms import Alarm
from bothost.watch.channels import ChannelError, Notifier, Telegram, Webhook

TOKEN = "123456:AAH-TOKEN-SENTINEL-9f2c"
HOOK_PATH = "/api/webhooks/42/HOOK-SENTINEL-77aa"
EXCHANGE_SECRET = "EXCHANGE-SECRET-SENTINEL-1d4e"


@pytest.fixture
def fake() -> Iterator[FakeChannel]:
    channel = FakeChannel(TOKEN)
    yield channel
    channel.close()


class Clock:
    """A hand-driven clock in ms."""

    def __init__(self) -> None:
        self.now = 1_000_000

    def __call__(self) -> int:
        return self.now


def _alarm(n: int, text: str = "") -> Alarm:
    return Alarm("unknown-fill", f"fill:okx:{n}", text or f"okx: fill {n} the bot did not place", trade=True)


def test_telegram_and_webhook_receive_the_alarm(fake: FakeChannel) -> None:
    telegram = Telegram(TOKEN, "-100200300", api=fake.base)
    hook = Webhook(fake.base + HOOK_PATH)
    Notifier([telegram, hook], Clock()).notify([_alarm(1)])
    (tg_path, tg_body), (hook_path, hook_body) = fake.received
    assert tg_path == f"/bot{TOKEN}/sendMessage" and tg_body["chat_id"] == "-100200300"
    assert tg_body["text"] == "bothost watch: okx: fill 1 the bot did not place"
    assert hook_path == HOOK_PATH and hook_body["text"] == hook_body["content"] == tg_body["text"]


def test_repeats_are_sent_once_per_dedup_window(fake: FakeChannel) -> None:
    clock = Clock()
    notifier = Notifier([Webhook(fake.base + HOOK_PATH)], clock, dedup_ms=3_600_000)
    assert len(notifier.notify([_alarm(1), _alarm(1)])) == 1
    clock.now += 3_500_000
    assert notifier.notify([_alarm(1)]) == []
    clock.now += 200_000
    assert len(notifier.notify([_alarm(1)])) == 1
    assert len(fake.received) == 2


def test_a_burst_is_rate_limited_and_what_waits_goes_out_later_trade_alarms_first(fake: FakeChannel) -> None:
    """Seen on the rehearsal VM: five SSH-login alarms filled the burst and an attacker's fill, marked as
    sent but held back, never went out. Now it waits and leads the next window."""
    clock = Clock()
    notifier = Notifier([Webhook(fake.base + HOOK_PATH)], clock, burst=3, window_ms=60_000)
    logins = [Alarm("ssh-login", f"login:{n}", f"SSH login {n}") for n in range(5)]
    first = notifier.notify(logins)
    assert [_body(t) for t in first] == ["SSH login 0", "SSH login 1", "SSH login 2"]
    assert "(+2 more alarms waiting for the rate limit)" in first[-1]
    clock.now += 10_000
    assert notifier.notify([_alarm(7), *logins]) == []  # the window is full; repeats are not queued twice
    clock.now += 51_000
    later = notifier.notify([_alarm(7)])  # the fill is re-read by the next poll: still one alarm
    assert "fill 7 the bot did not place" in later[0]
    assert [_body(t) for t in later[1:]] == ["SSH login 3", "SSH login 4"]
    assert len(fake.received) == 6 and notifier.waiting == []
    clock.now += 61_000
    assert notifier.notify([_alarm(7), *logins]) == []  # all sent: de-duplicated for dedup_ms


def test_the_same_alarm_waiting_many_times_is_one_message_with_a_count(fake: FakeChannel) -> None:
    """Seen in CI (2026-11-30): the tests' own ~45 SSH logins queued one message each at 5 a minute, and a
    failed control waited behind them past its 7-minute deadline. Now a run of identical logins is one
    message, and the control goes out in the next window."""
    clock = Clock()
    notifier = Notifier([Webhook(fake.base + HOOK_PATH)], clock, burst=2, window_ms=60_000)
    login = "SSH login: bothost from 10.0.2.2 (publickey with ED25519 key SHA256:abc)"
    logins = [Alarm("ssh-login", f"ssh-login:cursor{n}", login) for n in range(40)]
    other = Alarm("ssh-login", "ssh-login:cursor-x", "SSH login: bothost from 203.0.113.9 (publickey)")
    first = notifier.notify([*logins[:30], other])
    assert [t.removeprefix("bothost watch: ") for t in first] == [f"{login} (30 times)", other.text]
    notifier.notify(logins[30:])  # the window is full: these ten wait, as one
    drift = Alarm("control-drift", "control-drift:ssh-01:yes", "control ssh-01 failed on the host")
    clock.now += 61_000
    later = notifier.notify([drift, *logins])  # repeats of sent or waiting logins are not queued again
    assert later == [f"bothost watch: {login} (10 times)", f"bothost watch: {drift.text}"]
    assert notifier.waiting == [] and notifier.repeats == {}
    clock.now += 61_000
    assert notifier.notify([drift, *logins, other]) == []


def _body(text: str) -> str:
    """A message without its prefix and notes."""
    return text.removeprefix("bothost watch: ").split(" (")[0]


def test_more_waiting_than_the_cap_are_dropped_and_counted(fake: FakeChannel) -> None:
    clock = Clock()
    notifier = Notifier([Webhook(fake.base + HOOK_PATH)], clock, burst=2, max_waiting=4)
    first = notifier.notify([_alarm(n) for n in range(10)])  # 2 sent, 4 wait, 4 over the cap
    assert "4 alarms dropped: too many waiting" in first[0]
    assert "(+4 more alarms waiting for the rate limit)" in first[1]
    clock.now += 61_000
    (_, second) = notifier.notify([])
    assert "(+2 more alarms waiting for the rate limit)" in second and "dropped" not in second


def test_no_secret_reaches_a_message_or_an_error(fake: FakeChannel) -> None:
    leaky = f"okx: refused ({EXCHANGE_SECRET}) via {fake.base}{HOOK_PATH} bot{TOKEN}"
    notifier = Notifier(
        [Telegram(TOKEN, "1", api=fake.base), Webhook(fake.base + HOOK_PATH)],
        Clock(),
        secrets=[EXCHANGE_SECRET],
    )
    notifier.notify([_alarm(1, leaky)])
    fake.status = 500
    notifier.notify([_alarm(2, leaky)])
    everything = repr([body for _, body in fake.received]) + repr(notifier.errors)  # paths carry them
    for secret in (TOKEN, HOOK_PATH, EXCHANGE_SECRET):
        assert secret not in everything
    assert notifier.errors == ["telegram: refused (HTTP 500)", "webhook: refused (HTTP 500)"]


def test_a_wrong_telegram_token_and_a_dead_endpoint_are_channel_errors(fake: FakeChannel) -> None:
    with pytest.raises(ChannelError, match=r"^telegram: refused \(HTTP 401\)$"):
        Telegram("999:WRONG", "1", api=fake.base).send("x")
    dead = FakeChannel()
    dead.close()
    with pytest.raises(ChannelError, match=r"^webhook: unreachable") as caught:
        Webhook(dead.base + HOOK_PATH).send("x", timeout=2)
    assert HOOK_PATH not in str(caught.value)


def test_a_long_alarm_is_cut_below_telegrams_limit(fake: FakeChannel) -> None:
    Notifier([Telegram(TOKEN, "1", api=fake.base)], Clock()).notify([_alarm(1, "x" * 10_000)])
    ((_, body),) = fake.received
    assert 3_000 < len(body["text"]) <= 4096
