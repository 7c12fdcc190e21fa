"""One pinned SSH connection: the target, host-key pinning, login, and transport failures as RemoteError."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import paramiko

from bothost.errors import AuthenticationFailed, HostKeyMismatch, RemoteError

# What a dropped or refused connection raises: paramiko's own errors, EOF from a closed transport, and
# socket errors and timeouts (OSError covers both). Every one of them becomes RemoteError.
TRANSPORT_ERRORS = (EOFError, paramiko.SSHException, OSError)


@dataclass(frozen=True)
class Target:
    """Where and as whom to connect, and the host keys the host must present."""

    host: str
    port: int
    user: str
    host_keys: tuple[str, ...]  # pinned OpenSSH public key lines ("type base64")
    identity: Path | None = None  # private key file; None uses the SSH agent and ~/.ssh keys

    def __post_init__(self) -> None:
        if not self.host_keys:
            raise RemoteError(f"no pinned host key for {self.host}: refusing trust-on-first-use")

    def __str__(self) -> str:
        return f"{self.user}@{self.host}:{self.port}"


def check_pinned(target: Target, key: paramiko.PKey) -> None:
    """Raise HostKeyMismatch unless the server's key is one of the target's pinned keys."""
    if key.get_base64() not in {line.split()[1] for line in target.host_keys}:  # the blob names its type
        raise HostKeyMismatch(
            f"{target.host}:{target.port} presented host key {key.get_name()} {key.fingerprint}, not the "
            "pinned one: refusing to connect (possible man-in-the-middle, or the server was replaced "
            "outside bothost)")


def open_transport(target: Target, timeout: float = 15.0) -> paramiko.Transport:
    """A started, not yet authenticated SSH transport whose host key is pinned (else HostKeyMismatch)."""
    transport = None
    try:
        sock = socket.create_connection((target.host, target.port), timeout=timeout)
        transport = paramiko.Transport(sock)
        transport.banner_timeout = timeout
        transport.auth_timeout = timeout
        transport.start_client(timeout=timeout)
        check_pinned(target, transport.get_remote_server_key())
        return transport
    except HostKeyMismatch:
        transport.close()
        raise
    except TRANSPORT_ERRORS as exc:
        if transport is not None:
            transport.close()
        raise RemoteError(f"cannot SSH to {target}: {describe(exc)}") from None


class SSHConnection:
    """One logged-in SSH connection: the methods the server offered, then a public-key login."""

    def __init__(self, target: Target, *, connect_timeout: float = 15.0) -> None:
        self.target = target
        self.transport = open_transport(target, connect_timeout)
        try:
            self.offered_methods = _login(self.transport, target)
        except BaseException:
            self.transport.close()
            raise

    def channel(self, command: str, timeout: float | None) -> paramiko.Channel:
        """A new session channel running `command` (already quoted)."""
        try:
            channel = self.transport.open_session(timeout=timeout)
            channel.settimeout(timeout)
            channel.exec_command(command)
            return channel
        except TRANSPORT_ERRORS as exc:
            raise RemoteError(f"connection to {self.target} failed: {describe(exc)}") from None

    def sftp(self) -> paramiko.SFTPClient:
        """An SFTP session over this connection."""
        try:
            client = paramiko.SFTPClient.from_transport(self.transport)
        except TRANSPORT_ERRORS as exc:
            raise RemoteError(f"SFTP to {self.target} failed: {describe(exc)}") from None
        if client is None:
            raise RemoteError(f"SFTP to {self.target} failed")
        return client

    def close(self) -> None:
        """Close the connection."""
        self.transport.close()


def _login(transport: paramiko.Transport, target: Target) -> tuple[str, ...]:
    """Ask for the offered methods with a 'none' attempt, then log in with the admin's keys."""
    try:
        transport.auth_none(target.user)
        return ("none",)  # the server let us in without any credential
    except paramiko.BadAuthenticationType as exc:
        offered = tuple(sorted(exc.allowed_types))
    except TRANSPORT_ERRORS as exc:
        raise RemoteError(f"cannot SSH to {target}: {describe(exc)}") from None
    keys = identities(target.identity)
    if not keys:
        raise RemoteError(f"cannot SSH to {target}: no private key (pass --identity or load the SSH agent)")
    for key in keys:
        try:
            transport.auth_publickey(target.user, key)
        except paramiko.AuthenticationException:
            if not transport.is_active():
                break
            continue
        except TRANSPORT_ERRORS as exc:
            raise RemoteError(f"cannot SSH to {target}: {describe(exc)}") from None
        if transport.is_authenticated():
            return offered
    # The host is there and refused us: AuthenticationFailed, so nothing treats it as "server gone".
    raise AuthenticationFailed(f"cannot SSH to {target}: authentication failed "
                               f"(offered: {', '.join(offered)})")


def identities(identity: Path | None) -> list[paramiko.PKey]:
    """The admin's keys: the given file, else the agent's and the default ~/.ssh files."""
    if identity is not None:
        try:
            return [paramiko.PKey.from_path(identity)]
        except (paramiko.SSHException, OSError, ValueError) as exc:
            raise RemoteError(f"cannot load the identity {identity}: {exc}") from None
    keys: list[paramiko.PKey] = []
    with contextlib.suppress(paramiko.SSHException):  # no usable agent
        keys.extend(paramiko.Agent().get_keys())
    for name in ("id_ed25519", "id_ecdsa", "id_rsa"):
        path = Path.home() / ".ssh" / name
        if path.exists():
            try:
                keys.append(paramiko.PKey.from_path(path))
            except (paramiko.SSHException, ValueError):
                continue  # encrypted without an agent: skip
    return keys


def describe(exc: BaseException) -> str:
    """A transport failure in a few words (EOFError has no message of its own)."""
    return str(exc) or f"connection closed ({type(exc).__name__})"


def pinned_lines(lines: Sequence[str]) -> tuple[str, ...]:
    """Host key lines reduced to "type base64" (comments dropped), as Target pins them."""
    return tuple(" ".join(line.split()[:2]) for line in lines)
