"""Client-side probes: what an SSH client sees, which no command on the host can prove."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import paramiko

from bothost.errors import HostKeyMismatch
from bothost.remote import Target
from bothost.role import CommandResult

Probe = Callable[[], CommandResult]
TIMEOUT = 20.0  # seconds per connection attempt
RETRY_SECONDS = 60.0  # keep trying this long: the firewall rate-limits new SSH connections
RETRY_INTERVAL = 2.0


def auth_methods(target: Target) -> CommandResult:
    """Comma-joined sorted auth methods the server offers the admin user after a 'none' attempt."""
    try:
        with _pinned_transport(target) as transport:
            try:
                transport.auth_none(target.user)
            except paramiko.BadAuthenticationType as exc:
                return CommandResult(0, ",".join(sorted(exc.allowed_types)))
            return CommandResult(0, "none")  # the server let us in without any credential
    except (paramiko.SSHException, OSError) as exc:
        return CommandResult(255, "", f"cannot connect: {exc}")


def root_login(target: Target) -> CommandResult:
    """'refused' or 'accepted': a public-key login as root with the admin's own identity."""
    try:
        keys = _identities(target.identity)
    except (paramiko.SSHException, OSError) as exc:
        return CommandResult(255, "", f"cannot load the admin identity: {exc}")
    if not keys:
        return CommandResult(255, "", "no admin identity to try (pass --identity)")
    try:
        with _pinned_transport(target) as transport:
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
    except (paramiko.SSHException, OSError) as exc:
        return CommandResult(255, "", f"cannot connect: {exc}")


PROBES: dict[str, Callable[[Target], CommandResult]] = {
    "ssh-auth-methods": auth_methods,
    "ssh-root-login": root_login,
}


def client_probes(target: Target) -> dict[str, Probe]:
    """Every probe bound to one target, by the name checks refer to."""
    return {name: (lambda probe=probe: probe(target)) for name, probe in PROBES.items()}


@contextmanager
def _pinned_transport(target: Target) -> Iterator[paramiko.Transport]:
    """A started SSH transport whose host key is one of the pinned ones (else HostKeyMismatch)."""
    transport = _connect(target)
    try:
        key = transport.get_remote_server_key()
        pinned = {line.split()[1] for line in target.host_keys}
        if key.get_base64() not in pinned:
            raise HostKeyMismatch(f"{target.host}:{target.port} presented host key {key.get_name()} "
                                  f"{key.fingerprint}, not a pinned one: refusing to probe")
        yield transport
    finally:
        transport.close()


def _connect(target: Target) -> paramiko.Transport:
    """Key exchange with the host, retried while new connections are refused or rate-limited."""
    deadline = time.monotonic() + RETRY_SECONDS
    while True:
        transport = None
        try:
            sock = socket.create_connection((target.host, target.port), timeout=TIMEOUT)
            transport = paramiko.Transport(sock)
            transport.banner_timeout = TIMEOUT
            transport.start_client(timeout=TIMEOUT)
            return transport
        except (paramiko.SSHException, OSError):
            if transport is not None:
                transport.close()
            if time.monotonic() + RETRY_INTERVAL > deadline:
                raise
            time.sleep(RETRY_INTERVAL)


def _identities(identity: Path | None) -> list[paramiko.PKey]:
    """The admin's keys: the given file, else the agent's and the default ~/.ssh files."""
    if identity is not None:
        return [paramiko.PKey.from_path(identity)]
    keys: list[paramiko.PKey] = list(paramiko.Agent().get_keys())
    for name in ("id_ed25519", "id_ecdsa", "id_rsa"):
        path = Path.home() / ".ssh" / name
        if path.exists():
            try:
                keys.append(paramiko.PKey.from_path(path))
            except paramiko.SSHException:
                continue  # encrypted without an agent: skip
    return keys
