"""Verify one host: one pinned SSH session for the host-side checks, probes from this client."""

from __future__ import annotations

from collections.abc import Sequence

from bothost.remote import Target, wait_for_ssh
from bothost.role import Check
from bothost.verify.probes import client_probes
from bothost.verify.runner import CheckResult, run_checks

# The firewall rate-limits new SSH connections (and sshd refuses them while it reloads): retry this long.
CONNECT_SECONDS = 60.0


def verify_target(target: Target, checks: Sequence[Check]) -> list[CheckResult]:
    """Every check's verdict on the live host."""
    with wait_for_ssh(target, timeout=CONNECT_SECONDS, interval=2.0) as remote:
        return run_checks(checks, remote, client_probes(target))
