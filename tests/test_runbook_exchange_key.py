"""Exchange key rotation: a refused key changes nothing; a good one is pushed, proven, the old one named."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from bothost.errors import BothostError
from bothost.runbook.exchange_key import ExchangeRotation, RotationRefused, rotate_exchange_key


@dataclass
class Audit:
    refused: bool

    def render(self) -> str:
        return "Key audit (Binance):\nREFUSED  withdrawals enabled" if self.refused else "Key audit: ok"


@dataclass
class FakeBot:
    """The bot on the host: which key it runs, and whether the new one makes it healthy."""

    running: str = "OLDKEY1234"
    new_works: bool = True
    calls: list[str] = field(default_factory=list)

    def rotation(self, refused: bool) -> ExchangeRotation:
        def push() -> None:
            self.calls.append("push")
            self.running = "NEWKEY9876"

        return ExchangeRotation(
            "Binance", "https://www.binance.com/en/my/settings/api-management",
            audit=lambda: self.calls.append("audit") or Audit(refused), push=push,
            healthy=lambda: self.new_works, old_key_hint=lambda: self.running[:4])


def test_a_good_key_is_pushed_and_the_old_key_is_named_with_the_page() -> None:
    bot, lines = FakeBot(), []
    todo = rotate_exchange_key(bot.rotation(refused=False), lines.append)
    assert bot.calls == ["audit", "push"] and bot.running == "NEWKEY9876"
    assert todo == ("Now delete the old API key starting OLDK... at Binance: "
                    "https://www.binance.com/en/my/settings/api-management")


def test_a_refused_key_is_never_pushed_and_the_old_key_keeps_running() -> None:
    bot, lines = FakeBot(), []
    with pytest.raises(RotationRefused, match="keeps running with the old key"):
        rotate_exchange_key(bot.rotation(refused=True), lines.append)
    assert bot.calls == ["audit"] and bot.running == "OLDKEY1234"
    assert "REFUSED" in lines[0]


def test_unhealthy_after_push_says_not_to_delete_the_old_key() -> None:
    bot = FakeBot(new_works=False)
    with pytest.raises(BothostError, match="Do NOT delete the old key"):
        rotate_exchange_key(bot.rotation(refused=False), [].append)
