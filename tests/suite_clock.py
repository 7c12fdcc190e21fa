"""The test run's clock: started when pytest loads the suite's conftest (this module's first import)."""

from __future__ import annotations

import time

STARTED = time.monotonic()


def minutes_so_far() -> float:
    """Minutes since the test run started."""
    return (time.monotonic() - STARTED) / 60
