"""Where the probe runs: on the host over SSH (the key's whitelisted IP) or here (the rejection proof)."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from bothost.errors import BothostError, RemoteError
from bothost.keyaudit.bundle import probe_bundle

if TYPE_CHECKING:
    from bothost.host import Host

REMOTE_DIR = "/usr/local/lib/bothost"  # root-owned; the probe holds no secret, so it may stay there
REMOTE_PATH = f"{REMOTE_DIR}/keyaudit.pyz"
# -I: ignore PYTHON* variables and the user's site; -S: no site-packages, so only the stdlib is importable.
PYTHON_FLAGS = ("-I", "-S")


class ProbeRunner(Protocol):
    """Runs the probe with a request on stdin and returns its report."""

    where: str

    def probe(self, request: bytes, timeout: float) -> dict:
        """Run the probe once."""


def parse_report(stdout: str, stderr: str, status: int, where: str) -> dict:
    """The report the probe printed, or a clear error naming where it ran."""
    try:
        report = json.loads(stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        detail = (stderr.strip() or stdout.strip() or "no output")[-300:]
        raise BothostError(f"the key-audit probe failed on {where} (exit {status}): {detail}") from None
    if not isinstance(report, dict) or "status" not in report:
        raise BothostError(f"the key-audit probe on {where} printed something that is not a report")
    return report


class RemoteRunner:
    """The probe on the host, as the admin user (no sudo), via the pinned SSH connection."""

    def __init__(self, remote: Host) -> None:
        self.remote = remote
        self.where = f"the host {remote.target.host}"

    def command(self) -> list[str]:
        """The argv sent over SSH: no secret in it, by construction."""
        return ["python3", *PYTHON_FLAGS, REMOTE_PATH]

    def probe(self, request: bytes, timeout: float) -> dict:
        """Install the probe, run it with the request on stdin, parse its report."""
        self.remote.check(["install", "-d", "-m", "0755", "-o", "root", "-g", "root", REMOTE_DIR])
        self.remote.write_file(REMOTE_PATH, probe_bundle(), mode="0644", owner="root:root")
        result = self.remote.run(self.command(), stdin=request, sudo=False, timeout=timeout + 30)
        if result.exit_status == 127:
            raise RemoteError(f"python3 is missing on {self.remote.target.host}; the key audit needs it")
        return parse_report(result.stdout, result.stderr, result.exit_status, self.where)


class LocalRunner:
    """The same probe on this machine, with this machine's python3."""

    where = "this machine"

    def __init__(self, python: str | None = None) -> None:
        self.python = python or shutil.which("python3") or "python3"

    def probe(self, request: bytes, timeout: float) -> dict:
        """Run the zipapp from a private temporary directory."""
        with tempfile.TemporaryDirectory(prefix="bothost-keyaudit-") as directory:
            path = Path(directory) / "keyaudit.pyz"
            path.write_bytes(probe_bundle())
            try:
                done = subprocess.run(
                    [self.python, *PYTHON_FLAGS, str(path)],
                    input=request,
                    capture_output=True,
                    timeout=timeout + 30,
                    check=False,
                )
            except (OSError, subprocess.TimeoutExpired) as error:
                raise BothostError(
                    f"could not run the key-audit probe here: {type(error).__name__}"
                ) from None
        return parse_report(
            done.stdout.decode(errors="replace"),
            done.stderr.decode(errors="replace"),
            done.returncode,
            self.where,
        )
