"""The watcher's tick: read the bot's book, poll every exchange, notify, apply the stack's policy, and send
the daily "all quiet" when nothing happened."""

from __future__ import annotations

from collections.abc import Callable

from . import tripwire
from .alarms import Alarm, heartbeat_due
from .bot import BotBook, BotUnreadable
from .channels import Notifier
from .cycle import ExchangeWatch


class Watcher:
    """Everything one host watches, with the little state a tick needs between runs."""

    def __init__(
        self,
        exchanges: list[ExchangeWatch],
        read_book: Callable[[], BotBook],
        notifier: Notifier,
        *,
        policy: str = "alert",
        stop: Callable[[str], object] = lambda reason: None,
        heartbeat: bool = True,
        heartbeat_hour_utc: int = 8,
    ) -> None:
        if policy not in tripwire.POLICIES:
            raise ValueError(f"watch policy must be one of {', '.join(tripwire.POLICIES)}, not {policy!r}")
        self.exchanges, self.read_book, self.notifier = exchanges, read_book, notifier
        self.policy, self.stop = policy, stop
        self.heartbeat, self.heartbeat_hour_utc = heartbeat, heartbeat_hour_utc
        self.last_alarm_ms: int | None = None
        self.last_heartbeat_ms: int | None = None
        self.stopped = False

    def tick(self) -> list[Alarm]:
        """One round; returns the alarms raised (before de-duplication)."""
        now = self.notifier.clock()
        try:
            book = self.read_book()
        except BotUnreadable as error:
            alarms = [Alarm("bot-unreadable", "bot-unreadable", f"cannot read the bot's orders: {error}")]
        else:
            alarms = [alarm for watch in self.exchanges for alarm in watch.poll(book, now)]
        if alarms:
            self.last_alarm_ms = now
        self.notifier.notify(alarms)
        if not self.stopped and tripwire.respond(alarms, self.policy, self._stop):
            self.stopped = True
        if heartbeat_due(
            now,
            self.last_heartbeat_ms,
            self.last_alarm_ms,
            enabled=self.heartbeat,
            hour_utc=self.heartbeat_hour_utc,
        ):
            names = ", ".join(w.exchange for w in self.exchanges)
            self.notifier.notify(
                [Alarm("heartbeat", f"heartbeat:{now // 86_400_000}", f"all quiet ({names})")]
            )
            self.last_heartbeat_ms = now
        return alarms

    def _stop(self, reason: str) -> None:
        self.stop(reason)
        self.notifier.notify(
            [
                Alarm(
                    "stopped",
                    "stopped",
                    'policy stop: the bot was told to stop; now follow RUNBOOK.md, "Leaked exchange key"',
                )
            ]
        )
