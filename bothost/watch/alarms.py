"""Alarms, and the pure decisions around them: an exchange unreachable N times in a row, clock skew, the
daily "all quiet" heartbeat."""

from __future__ import annotations

from typing import NamedTuple

DAY_MS = 86_400_000


class Alarm(NamedTuple):
    """One thing the owner must hear about; `key` de-duplicates repeats of the same event."""

    kind: str  # "unknown-fill", "foreign-pair", "unexplained-balance", "unreachable", "clock-skew", ...
    key: str
    text: str
    trade: bool = False  # a trade alarm: the stop policy acts on it


class Reachability:
    """Counts consecutive failed polls of one exchange; alarms once when the count reaches the limit."""

    def __init__(self, exchange: str, limit: int = 3) -> None:
        self.exchange, self.limit, self.failures = exchange, limit, 0

    def failed(self, detail: str) -> list[Alarm]:
        """One more failure; an alarm exactly when it is the limit-th in a row."""
        self.failures += 1
        if self.failures != self.limit:
            return []
        return [
            Alarm(
                "unreachable",
                f"unreachable:{self.exchange}",
                f"{self.exchange}: unreachable for {self.failures} polls in a row ({detail[:200]})",
            )
        ]

    def succeeded(self) -> list[Alarm]:
        """A good poll: the count restarts, and an outage that alarmed is reported over."""
        was_down, self.failures = self.failures >= self.limit, 0
        if not was_down:
            return []
        return [Alarm("reachable", f"reachable:{self.exchange}", f"{self.exchange}: reachable again")]


def skew_alarms(exchange: str, clock: dict, limit_ms: int) -> list[Alarm]:
    """An alarm when this host's clock is off the exchange's by more than limit_ms (probe's measure_clock)."""
    if "error" in clock:
        return [Alarm("clock-unknown", f"clock-unknown:{exchange}", f"{exchange}: {clock['error']}")]
    skew = clock["skew_ms"]
    if abs(skew) - clock.get("rtt_ms", 0) / 2 - clock.get("resolution_ms", 1) <= limit_ms:
        return []
    direction = "ahead of" if skew > 0 else "behind"
    return [
        Alarm(
            "clock-skew",
            f"clock-skew:{exchange}",
            f"{exchange}: this host's clock is {abs(skew)} ms {direction} the exchange's"
            f" (limit {limit_ms} ms)",
        )
    ]


def heartbeat_due(
    now_ms: int, last_heartbeat_ms: int | None, last_alarm_ms: int | None, *, enabled: bool, hour_utc: int = 8
) -> bool:
    """Whether to send today's "all quiet": on, past hour_utc, none sent today, no alarm in the last day."""
    if not enabled:
        return False
    day_start = now_ms - now_ms % DAY_MS
    if now_ms < day_start + hour_utc * 3_600_000:
        return False
    if last_heartbeat_ms is not None and last_heartbeat_ms >= day_start:
        return False
    return last_alarm_ms is None or now_ms - last_alarm_ms >= DAY_MS
