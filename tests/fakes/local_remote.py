"""A stand-in for bothost.host.Host that runs commands on this machine and records what it was sent."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path
from types import SimpleNamespace

from bothost.role import CommandResult
from bothost.shell import join


class LocalRemote:
    """Records every command line (as the SSH channel would carry it) and runs the probe locally."""

    def __init__(self, host: str = "203.0.113.10") -> None:
        self.target = SimpleNamespace(host=host, port=22, user="bothost")
        self.commands: list[str] = []  # exactly what would travel as the SSH exec request
        self.stdins: list[bytes] = []
        self._dir = tempfile.TemporaryDirectory(prefix="bothost-fake-host-")
        self.files: dict[str, Path] = {}

    def __enter__(self) -> LocalRemote:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Remove the fake host's files."""
        self._dir.cleanup()

    def run(
        self, argv: list[str], *, stdin: bytes | None = None, sudo: bool = True, timeout: float = 120.0
    ) -> CommandResult:
        """Record the command line; run it here with remote paths mapped to local files."""
        self.commands.append(join(argv))
        self.stdins.append(stdin or b"")
        local = [str(self.files.get(arg, arg)) for arg in argv]
        if local[0] == "install":
            return CommandResult(0, "")
        done = subprocess.run(local, input=stdin, capture_output=True, timeout=timeout, check=False)
        return CommandResult(done.returncode, done.stdout.decode(), done.stderr.decode())

    def check(self, argv: list[str], **kwargs: object) -> CommandResult:
        """Like Remote.check."""
        result = self.run(argv, **kwargs)
        assert result.exit_status == 0, result
        return result

    def write_file(self, path: str, data: bytes, *, mode: str = "0600", owner: str = "root:root") -> None:
        """Record the write (its command line carries no content) and keep the bytes."""
        self.commands.append(join(["sh", "-c", "<write-file>", "write-file", path, mode, owner]))
        self.stdins.append(data)
        local = Path(self._dir.name) / Path(path).name
        local.write_bytes(data)
        self.files[path] = local
