"""What the deploy needs from a host (run, stream, lock, audit), and its SSH implementation."""

from __future__ import annotations

import contextlib
import datetime
import getpass
import socket
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Protocol

from bothost.errors import BothostError, RemoteError
from bothost.remote import Remote
from bothost.role import CommandResult
from bothost.shell import as_root, join

LOCK_PATH = "/run/lock/bothost-deploy.lock"
AUDIT_LOG = "/var/log/bothost/audit.log"
LOCK_WAIT_SECONDS = 30  # another deploy on the host gets this long to finish before we give up
LOCK_BUSY_EXIT = 75
_CHUNK = 256 * 1024
# Appends one line to the audit log; the line is an argument (it never contains a secret).
_AUDIT = 'umask 027; mkdir -p "${2%/*}"; printf "%s\\n" "$1" >> "$2"'


class Host(Protocol):
    """The operations a deploy performs on the host."""

    def run(
        self, argv: Sequence[str], *, stdin: bytes | None = None, timeout: float = 120.0
    ) -> CommandResult:
        """Run a command as root."""

    def check(
        self, argv: Sequence[str], *, stdin: bytes | None = None, timeout: float = 120.0
    ) -> CommandResult:
        """Run a command as root; raise RemoteError when it fails."""

    def write_file(self, path: str, data: bytes, *, mode: str, owner: str) -> None:
        """Write a file atomically; the content goes over stdin."""

    def send_file(self, argv: Sequence[str], path: Path, *, timeout: float) -> CommandResult:
        """Run a command as root with a local file streamed to its stdin."""

    def lock(self) -> contextlib.AbstractContextManager[None]:
        """Hold the host-wide deploy lock."""

    def audit(self, line: str) -> None:
        """Append one line to the host's audit log."""


class SSHHost:
    """A Host over one paramiko connection."""

    def __init__(self, remote: Remote) -> None:
        self.remote = remote

    def run(
        self, argv: Sequence[str], *, stdin: bytes | None = None, timeout: float = 120.0
    ) -> CommandResult:
        """Run a command as root."""
        return self.remote.run(argv, stdin=stdin, timeout=timeout)

    def check(
        self, argv: Sequence[str], *, stdin: bytes | None = None, timeout: float = 120.0
    ) -> CommandResult:
        """Run a command as root; raise RemoteError when it fails."""
        return self.remote.check(argv, stdin=stdin, timeout=timeout)

    def write_file(self, path: str, data: bytes, *, mode: str, owner: str) -> None:
        """Write a file atomically; the content goes over stdin."""
        self.remote.write_file(path, data, mode=mode, owner=owner)

    def send_file(self, argv: Sequence[str], path: Path, *, timeout: float) -> CommandResult:
        """Stream a local file in chunks to a command's stdin (images can be large)."""
        channel = self._session(argv, timeout)
        try:
            with path.open("rb") as source:
                while chunk := source.read(_CHUNK):
                    channel.sendall(chunk)
            channel.shutdown_write()
            out, err = _drain(channel)
            return CommandResult(channel.recv_exit_status(), out, err)
        except (TimeoutError, OSError) as exc:
            raise RemoteError(f"{argv[0]} on {self.remote.target.host}: stream failed: {exc}") from None
        finally:
            channel.close()

    def stream(self, argv: Sequence[str], sink: Callable[[str], None]) -> int:
        """Run a command, handing its output to sink as it arrives (for `logs -f`); returns its status."""
        channel = self._session(argv, None)
        channel.set_combine_stderr(True)
        try:
            while data := channel.recv(_CHUNK):
                sink(data.decode(errors="replace"))
            return channel.recv_exit_status()
        finally:
            channel.close()

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """flock on the host, held by a session that lives as long as this block (or the connection)."""
        holder = [
            "flock",
            "-w",
            str(LOCK_WAIT_SECONDS),
            "-E",
            str(LOCK_BUSY_EXIT),
            LOCK_PATH,
            "sh",
            "-c",
            "echo locked; exec cat >/dev/null",
        ]
        channel = self._session(holder, LOCK_WAIT_SECONDS + 30)
        try:
            try:
                first = channel.makefile("rb").readline().decode(errors="replace").strip()
            except (OSError, TimeoutError) as exc:
                raise RemoteError(f"could not take {LOCK_PATH}: {exc}") from None
            if first != "locked":
                status = channel.recv_exit_status()
                if status == LOCK_BUSY_EXIT:
                    raise BothostError(
                        f"another deploy holds {LOCK_PATH} on {self.remote.target.host}; "
                        "try again when it has finished"
                    )
                raise RemoteError(f"could not take {LOCK_PATH} (exit {status})")
            channel.settimeout(None)
            yield
        finally:
            with contextlib.suppress(OSError, EOFError):
                channel.shutdown_write()
            channel.close()

    def audit(self, line: str) -> None:
        """Append one line to the host's audit log."""
        self.remote.check(["sh", "-c", _AUDIT, "audit", line, AUDIT_LOG])

    def _session(self, argv: Sequence[str], timeout: float | None):  # -> paramiko.Channel
        channel = self.remote.transport().open_session()
        channel.settimeout(timeout)
        channel.exec_command(join(as_root(argv)))
        return channel


def audit_line(action: str, **details: str) -> str:
    """One audit record: UTC time, who ran it from where, the action and secret-free details."""
    when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    who = f"{_user()}@{socket.gethostname()}"
    return " ".join([when, who, action, *(f"{k}={v}" for k, v in details.items())])


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _drain(channel) -> tuple[str, str]:
    out = bytearray()
    err = bytearray()
    while not channel.exit_status_ready() or channel.recv_ready() or channel.recv_stderr_ready():
        if channel.recv_ready():
            out += channel.recv(_CHUNK)
        elif channel.recv_stderr_ready():
            err += channel.recv_stderr(_CHUNK)
        elif not channel.exit_status_ready():
            channel.status_event.wait(0.1)
    return out.decode(errors="replace"), err.decode(errors="replace")
