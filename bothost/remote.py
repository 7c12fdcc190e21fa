"""SSH to the host with paramiko: host key pinned, commands as argument lists, secrets via stdin."""

from __future__ import annotations

import base64
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import paramiko

from bothost.errors import HostKeyMismatch, RemoteError
from bothost.role import CommandResult
from bothost.shell import as_root, join

# Writes stdin to a temporary file beside the target, then moves it into place: readers never see half.
_WRITE_FILE = (
    'set -e; umask 077; tmp="$1.bothost-tmp"; cat > "$tmp"; chown "$3" "$tmp"; chmod "$2" "$tmp"; '
    'mv -f "$tmp" "$1"'
)


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


class Remote:
    """One SSH connection to a bothost host."""

    def __init__(self, target: Target, *, connect_timeout: float = 15.0) -> None:
        self.target = target
        self._client = paramiko.SSHClient()
        self._client.set_missing_host_key_policy(paramiko.RejectPolicy())
        name = target.host if target.port == 22 else f"[{target.host}]:{target.port}"
        for line in target.host_keys:
            key_type, blob = line.split()[:2]
            self._client.get_host_keys().add(name, key_type, paramiko.PKey.from_type_string(
                key_type, base64.b64decode(blob)))
        try:
            self._client.connect(
                target.host, port=target.port, username=target.user,
                key_filename=str(target.identity) if target.identity else None,
                look_for_keys=target.identity is None, allow_agent=target.identity is None,
                timeout=connect_timeout, banner_timeout=connect_timeout, auth_timeout=connect_timeout,
            )
        except paramiko.BadHostKeyException as exc:
            self._client.close()
            raise HostKeyMismatch(
                f"{target.host}:{target.port} presented host key {exc.key.get_name()} "
                f"{exc.key.fingerprint}, not the pinned one: refusing to connect (possible "
                "man-in-the-middle, or the server was replaced outside bothost)") from None
        except (paramiko.SSHException, OSError) as exc:
            self._client.close()
            raise RemoteError(f"cannot SSH to {target.user}@{target.host}:{target.port}: {exc}") from None

    def __enter__(self) -> Remote:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection."""
        self._client.close()

    def run(self, argv: Sequence[str], *, stdin: bytes | None = None, sudo: bool = True,
            timeout: float = 120.0) -> CommandResult:
        """Run a command (quoted from its argument list) and collect its result."""
        command = join(as_root(argv) if sudo else list(argv))
        try:
            stdin_file, stdout_file, stderr_file = self._client.exec_command(command, timeout=timeout)
            if stdin is not None:
                stdin_file.write(stdin)
            stdin_file.channel.shutdown_write()
            out = stdout_file.read().decode(errors="replace")
            err = stderr_file.read().decode(errors="replace")
            status = stdout_file.channel.recv_exit_status()
        except (TimeoutError, paramiko.SSHException, OSError) as exc:
            raise RemoteError(f"{argv[0]} on {self.target.host}: connection failed: {exc}") from None
        return CommandResult(status, out, err)

    def check(self, argv: Sequence[str], *, stdin: bytes | None = None, sudo: bool = True,
              timeout: float = 120.0) -> CommandResult:
        """Run a command and raise RemoteError when it fails."""
        result = self.run(argv, stdin=stdin, sudo=sudo, timeout=timeout)
        if result.exit_status != 0:
            detail = (result.stderr.strip() or result.stdout.strip())[-500:]
            raise RemoteError(
                f"{join(argv)} failed on {self.target.host} (exit {result.exit_status}): {detail}")
        return result

    def write_file(self, path: str, data: bytes, *, mode: str = "0600", owner: str = "root:root") -> None:
        """Write a file atomically as root; the content travels on stdin, never on the command line."""
        self.check(["sh", "-c", _WRITE_FILE, "write-file", path, mode, owner], stdin=data)

    def transport(self) -> paramiko.Transport:
        """The underlying transport (for SFTP and port forwarding)."""
        transport = self._client.get_transport()
        if transport is None:
            raise RemoteError(f"connection to {self.target.host} is closed")
        return transport


def wait_for_ssh(target: Target, *, timeout: float, interval: float = 3.0) -> Remote:
    """Connect as soon as the host accepts us; host key mismatches fail at once."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return Remote(target, connect_timeout=min(15.0, max(1.0, deadline - time.monotonic())))
        except HostKeyMismatch:
            raise
        except RemoteError as exc:
            if time.monotonic() + interval > deadline:
                raise RemoteError(f"{target.host}:{target.port} did not accept SSH within {timeout:.0f} s: "
                                  f"{exc}") from None
            time.sleep(interval)
