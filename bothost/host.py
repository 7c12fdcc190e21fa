"""The one host object every operation uses: run, check, write, stream, send a file, lock, audit log, sftp."""

from __future__ import annotations

import contextlib
import datetime
import getpass
import socket
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from bothost.errors import BothostError, HostKeyMismatch, RemoteError
from bothost.progress import Report
from bothost.shell import CommandResult, as_root, join
from bothost.ssh import TRANSPORT_ERRORS, SSHConnection, Target, describe

if TYPE_CHECKING:
    import paramiko

LOCK_PATH = "/run/lock/bothost-deploy.lock"
AUDIT_LOG = "/var/log/bothost/audit.log"
LOCK_WAIT_SECONDS = 30  # another deploy on the host gets this long to finish before we give up
LOCK_BUSY_EXIT = 75
_CHUNK = 256 * 1024
# Writes stdin to a temporary file beside the target, then moves it into place: readers never see half.
_WRITE_FILE = (
    'set -e; umask 077; tmp="$1.bothost-tmp"; cat > "$tmp"; chown "$3" "$tmp"; chmod "$2" "$tmp"; '
    'mv -f "$tmp" "$1"'
)
# Appends one line to the audit log; the line is an argument (it never contains a secret).
_AUDIT = 'umask 027; mkdir -p "${2%/*}"; printf "%s\\n" "$1" >> "$2"'

class Host:
    """A bothost host over one pinned SSH connection; every command is an argument list run as root."""

    def __init__(self, connection: SSHConnection) -> None:
        self.connection = connection
        self.target: Target = connection.target

    def __enter__(self) -> Host:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection."""
        self.connection.close()

    @property
    def offered_auth_methods(self) -> tuple[str, ...]:
        """The authentication methods the server offered this connection's user ('none' if it needed none)."""
        return self.connection.offered_methods

    def run(self, argv: Sequence[str], *, stdin: bytes | None = None, sudo: bool = True,
            timeout: float = 120.0) -> CommandResult:
        """Run a command (quoted from its argument list) and collect its result."""
        channel = self._channel(argv, timeout, sudo=sudo)
        try:
            if stdin is not None:
                channel.sendall(stdin)
            channel.shutdown_write()
            out = channel.makefile("rb").read().decode(errors="replace")
            err = channel.makefile_stderr("rb").read().decode(errors="replace")
            return CommandResult(self._status(channel, argv), out, err)
        except TRANSPORT_ERRORS as exc:
            raise self._failed(argv, exc) from None
        finally:
            channel.close()

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

    def send_file(self, argv: Sequence[str], path: Path, *, timeout: float) -> CommandResult:
        """Stream a local file in chunks to a command's stdin (images can be large)."""
        channel = self._channel(argv, timeout)
        try:
            with path.open("rb") as source:
                while chunk := source.read(_CHUNK):
                    channel.sendall(chunk)
            channel.shutdown_write()
            out, err = _drain(channel)
            return CommandResult(self._status(channel, argv), out, err)
        except TRANSPORT_ERRORS as exc:
            raise self._failed(argv, exc) from None
        finally:
            channel.close()

    def stream(self, argv: Sequence[str], sink: Report) -> int:
        """Run a command, handing its output to sink as it arrives (for `logs -f`); returns its status."""
        channel = self._channel(argv, None)
        try:
            channel.set_combine_stderr(True)
            while data := channel.recv(_CHUNK):
                sink(data.decode(errors="replace"))
            return self._status(channel, argv)
        except TRANSPORT_ERRORS as exc:
            raise self._failed(argv, exc) from None
        finally:
            channel.close()

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """flock on the host, held by a session that lives as long as this block (or the connection)."""
        holder = ["flock", "-w", str(LOCK_WAIT_SECONDS), "-E", str(LOCK_BUSY_EXIT), LOCK_PATH,
                  "sh", "-c", "echo locked; exec cat >/dev/null"]
        channel = self._channel(holder, LOCK_WAIT_SECONDS + 30)
        try:
            try:
                first = channel.makefile("rb").readline().decode(errors="replace").strip()
                status = None if first == "locked" else self._status(channel, holder)
            except TRANSPORT_ERRORS as exc:
                raise RemoteError(f"could not take {LOCK_PATH}: {describe(exc)}") from None
            if status == LOCK_BUSY_EXIT:
                raise BothostError(f"another deploy holds {LOCK_PATH} on {self.target.host}; "
                                   "try again when it has finished")
            if status is not None:
                raise RemoteError(f"could not take {LOCK_PATH} (exit {status})")
            channel.settimeout(None)
            yield
        finally:
            with contextlib.suppress(*TRANSPORT_ERRORS):
                channel.shutdown_write()
            channel.close()

    def audit(self, line: str) -> None:
        """Append one line to the host's audit log."""
        self.check(["sh", "-c", _AUDIT, "audit", line, AUDIT_LOG])

    def sftp(self) -> paramiko.SFTPClient:
        """An SFTP session over this connection."""
        return self.connection.sftp()

    def _channel(self, argv: Sequence[str], timeout: float | None, *, sudo: bool = True) -> paramiko.Channel:
        return self.connection.channel(join(as_root(argv) if sudo else list(argv)), timeout)

    def _status(self, channel: paramiko.Channel, argv: Sequence[str]) -> int:
        """The command's exit status; a connection that died before the command finished is a RemoteError."""
        status = channel.recv_exit_status()
        if status == -1 and not self.connection.transport.is_active():  # -1 alone: killed by a signal
            raise RemoteError(f"{argv[0]} on {self.target.host}: the connection closed before the command "
                              "finished")
        return status

    def _failed(self, argv: Sequence[str], exc: BaseException) -> RemoteError:
        return RemoteError(f"{argv[0]} on {self.target.host}: connection failed: {describe(exc)}")


def connect(target: Target, *, wait: float = 0.0, interval: float = 3.0) -> Host:
    """A Host over a new pinned connection; with wait > 0, retry a refused or dropped login that long.

    A host key mismatch fails at once: waiting never turns an impostor into the host.
    """
    deadline = time.monotonic() + wait
    while True:
        try:
            return Host(SSHConnection(target, connect_timeout=min(15.0, max(1.0, deadline - time.monotonic()))
                                      if wait else 15.0))
        except HostKeyMismatch:
            raise
        except RemoteError as exc:
            if not wait:
                raise
            if time.monotonic() + interval > deadline:
                raise RemoteError(f"{target.host}:{target.port} did not accept SSH within {wait:.0f} s: "
                                  f"{exc}") from None
            time.sleep(interval)


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


def _drain(channel: paramiko.Channel) -> tuple[str, str]:
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
