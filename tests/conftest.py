"""Suite-wide hooks: every slow test phase is reported the moment it ends, so a run cut off by a time limit
still shows where its time went (pytest's --durations summary prints only at the end)."""

from __future__ import annotations

import time

import pytest

SLOW_PHASE_S = 20.0
_STARTED = time.monotonic()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """One line per test phase slower than SLOW_PHASE_S: its duration and the run's clock."""
    if report.duration < SLOW_PHASE_S:
        return
    elapsed = time.monotonic() - _STARTED
    clock = f"run clock {elapsed / 60:.1f} min"
    print(f"\n[slow] {report.duration:7.1f} s {report.when:8} {report.nodeid} ({clock})", flush=True)
