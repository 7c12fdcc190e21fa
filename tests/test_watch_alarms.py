"""Pure alarm decisions: N failures in a row, clock skew, the daily "all quiet" heartbeat."""

from __future__ import annotations

import pytest

from bothost.watch.alarms import DAY_MS, Reachability, heartbeat_due, skew_alarms

HOUR = 3_600_000
DAY = 100 * DAY_MS  # midnight UTC of some day


def test_reachability_alarms_once_at_the_limit_and_reports_recovery() -> None:
    reach = Reachability("okx", limit=2)
    assert reach.succeeded() == []
    assert reach.failed("timeout") == []
    (alarm,) = reach.failed("timeout")
    assert alarm.kind == "unreachable" and not alarm.trade
    assert reach.failed("timeout") == []  # no repeat while still down
    assert [a.kind for a in reach.succeeded()] == ["reachable"]
    assert reach.succeeded() == []


@pytest.mark.parametrize(
    ("clock", "kinds"),
    [
        ({"skew_ms": 300, "rtt_ms": 40, "resolution_ms": 1}, []),
        ({"skew_ms": -2500, "rtt_ms": 40, "resolution_ms": 1}, ["clock-skew"]),
        ({"skew_ms": 1800, "rtt_ms": 40, "resolution_ms": 1000}, []),  # within Kraken's 1 s resolution
        ({"error": "unexpected server-time reply (HTTP 502)"}, ["clock-unknown"]),
    ],
)
def test_skew_alarms(clock: dict, kinds: list[str]) -> None:
    assert [a.kind for a in skew_alarms("okx", clock, 1000)] == kinds


@pytest.mark.parametrize(
    ("now", "last_beat", "last_alarm", "enabled", "due"),
    [
        (DAY + 9 * HOUR, None, None, True, True),
        (DAY + 9 * HOUR, None, None, False, False),  # turned off
        (DAY + 7 * HOUR, None, None, True, False),  # before the hour
        (DAY + 9 * HOUR, DAY + 8 * HOUR, None, True, False),  # already sent today
        (DAY + 9 * HOUR, DAY - 16 * HOUR, None, True, True),  # sent yesterday
        (DAY + 9 * HOUR, None, DAY + 2 * HOUR, True, False),  # not quiet: an alarm in the last day
        (DAY + 9 * HOUR, None, DAY - 20 * HOUR, True, True),
    ],
)
def test_heartbeat_due(
    now: int, last_beat: int | None, last_alarm: int | None, enabled: bool, due: bool
) -> None:
    assert heartbeat_due(now, last_beat, last_alarm, enabled=enabled, hour_utc=8) is due
