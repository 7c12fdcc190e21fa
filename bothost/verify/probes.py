"""Client-side probes: what an SSH client sees, which no command on the host can prove."""

from __future__ import annotations

import time
from collections.abc import Callable

import paramiko

from bothost.errors import HostKeyMismatch, RemoteError
from bothost.shell import CommandResult
from bothost.ssh import TRANSPORT_ERRORS, Target, identities, open_transport

Probe = Callable[[], CommandResult]
TIMEOUT = 20.0  # seconds per connection attempt
RETRY_SECONDS = 60.0  # keep trying this long: the firewall rate-limits new SSH connections
RETRY_INTERVAL = 2.0


def auth_methods(target: Target) -> CommandResult:
    """Comma-joined sorted auth methods the server offers the admin user after a 'none' attempt."""

    def attempt(transport: paramiko.Transport) -> CommandResult:
        try:
            transport.auth_none(target.user)
            return CommandResult(0, "none")  # the server let us in without any credential
        except paramiko.BadAuthenticationType as exc:
            return CommandResult(0, ",".join(sorted(exc.allowed_types)))

    return _over_transport(target, attempt)


def root_login(target: Target) -> CommandResult:
    """'refused' or 'accepted': a public-key login as root with the admin's own identity."""
    try:
        keys = identities(target.identity)
    except RemoteError as exc:
        return CommandResult(255, "", f"cannot load the admin identity: {exc}")
    if not keys:
        return CommandResult(255, "", "no admin identity to try (pass --identity)")

    def attempt(transport: paramiko.Transport) -> CommandResult:
        for key in keys:
            try:
                transport.auth_publickey("root", key)
            except paramiko.AuthenticationException:
                if not transport.is_active():
                    break
                continue
            if transport.is_authenticated():
                return CommandResult(0, "accepted")
        return CommandResult(0, "refused")

    return _over_transport(target, attempt)


def _over_transport(target: Target, attempt: Callable[[paramiko.Transport], CommandResult]) -> CommandResult:
    """Run one attempt over a new pinned transport; connection failures are a failed result (a host key
    mismatch is raised: it is never a mere failed check)."""
    try:
        transport = _connect(target)
    except HostKeyMismatch:
        raise
    except RemoteError as exc:
        return CommandResult(255, "", f"cannot connect: {exc}")
    try:
        return attempt(transport)
    except TRANSPORT_ERRORS as exc:
        return CommandResult(255, "", f"cannot connect: {exc}")
    finally:
        transport.close()


PROBES: dict[str, Callable[[Target], CommandResult]] = {
    "ssh-auth-methods": auth_methods,
    "ssh-root-login": root_login,
}


def client_probes(target: Target) -> dict[str, Probe]:
    """Every probe bound to one target, by the name checks refer to."""
    return {name: (lambda probe=probe: probe(target)) for name, probe in PROBES.items()}


def _connect(target: Target) -> paramiko.Transport:
    """A pinned, unauthenticated transport, retried while new connections are refused or rate-limited."""
    deadline = time.monotonic() + RETRY_SECONDS
    while True:
        try:
            return open_transport(target, TIMEOUT)
        except HostKeyMismatch:
            raise
        except RemoteError:
            if time.monotonic() + RETRY_INTERVAL > deadline:
                raise
            time.sleep(RETRY_INTERVAL)
