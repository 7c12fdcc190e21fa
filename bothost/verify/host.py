"""Verify one host: one pinned SSH session for the host-side checks, probes from this client."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from bothost.remote import Target, wait_for_ssh
from bothost.role import Check
from bothost.verify.probes import client_probes
from bothost.verify.runner import CheckResult, run_checks

# The firewall rate-limits new SSH connections (and sshd refuses them while it reloads): retry this long.
CONNECT_SECONDS = 60.0


def verify_target(target: Target, checks: Sequence[Check]) -> list[CheckResult]:
    """Every check's verdict on the live host; the client-side probes run while the session connects."""
    wanted = {c.probe for c in checks if c.command is None and c.probe}
    probes = {name: probe for name, probe in client_probes(target).items() if name in wanted}
    with ThreadPoolExecutor(max(1, len(probes))) as pool:
        started = {name: pool.submit(probe) for name, probe in probes.items()}
        with wait_for_ssh(target, timeout=CONNECT_SECONDS, interval=2.0) as remote:
            return run_checks(checks, remote, {name: future.result for name, future in started.items()})
