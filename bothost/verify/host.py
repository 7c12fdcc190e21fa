"""Verify one host: one pinned SSH session for the host-side checks, probes from this client."""

from __future__ import annotations

from collections.abc import Sequence

from bothost.remote import Remote, Target
from bothost.role import Check
from bothost.verify.probes import client_probes
from bothost.verify.runner import CheckResult, run_checks


def verify_target(target: Target, checks: Sequence[Check]) -> list[CheckResult]:
    """Every check's verdict on the live host."""
    with Remote(target) as remote:
        return run_checks(checks, remote, client_probes(target))
