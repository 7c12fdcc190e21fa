"""Suite-wide hooks: every slow test phase is reported the moment it ends, so a run cut off by a time limit
still shows where its time went (pytest's --durations summary prints only at the end)."""

from __future__ import annotations

import pytest
from suite_clock import minutes_so_far

SLOW_PHASE_S = 20.0
_config: list[pytest.Config] = []


def pytest_configure(config: pytest.Config) -> None:
    """Keep the config: its terminal reporter writes to the real stdout, past output capturing."""
    _config.append(config)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """One line per test phase slower than SLOW_PHASE_S: its duration and the run's clock."""
    reporter = _config[0].pluginmanager.get_plugin("terminalreporter") if _config else None
    if report.duration < SLOW_PHASE_S or reporter is None:
        return
    clock = f"run clock {minutes_so_far():.1f} min"
    reporter.write_line(f"\n[slow] {report.duration:7.1f} s {report.when:8} {report.nodeid} ({clock})")
    reporter.flush()
