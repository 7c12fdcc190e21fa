"""A runbook step, pyinfra style: read the state, act only when needed, then prove the result."""

from __future__ import annotations

from collections.abc import Callable

from bothost.errors import BothostError
from bothost.progress import Report


class StepFailed(BothostError):
    """A step ran but its check still fails; the message says which step and what to do."""


def step(report: Report, title: str, done: Callable[[], bool], apply: Callable[[], None],
         hint: str = "rerun the command; finished steps are skipped") -> bool:
    """Run `apply` unless `done()` already holds; afterwards `done()` must hold. Returns True if it acted."""
    if done():
        report(f"  = {title}: already done")
        return False
    apply()
    if not done():
        raise StepFailed(f"{title}: the change ran but its check still fails ({hint})")
    report(f"  + {title}: done")
    return True
