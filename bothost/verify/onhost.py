"""verify on the host itself, for the watcher's drift alarm: the roles' host-side checks, run as root by a
timer from the verify bundle, their verdicts written to a file the watcher reads (no SSH, no secret)."""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import pickle
import subprocess
import sys
import time
from collections.abc import Sequence

from bothost.config.raw import Encrypted
from bothost.role import CommandResult, RenderContext
from bothost.secret import Secret

REDACTED = "<redacted>"


def redacted(value: object) -> object:
    """The value with every secret in it (a Secret, or Pulumi's encrypted config) replaced by a placeholder
    that nothing can decrypt: the checks read secrets' names and files, never their values (and a Secret
    refuses to be pickled, so one left behind fails encode_spec)."""
    if isinstance(value, Secret | Encrypted):
        return Encrypted(REDACTED)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(value, **{f.name: redacted(getattr(value, f.name))
                                             for f in dataclasses.fields(value) if f.init})
    if isinstance(value, tuple):
        return tuple(redacted(item) for item in value)
    if isinstance(value, list):
        return [redacted(item) for item in value]
    if isinstance(value, dict):
        return {key: redacted(item) for key, item in value.items()}
    return value


def encode_spec(spec: object) -> str:
    """The stack spec, secrets redacted, as the text the host's verify reads its checks from."""
    return base64.b64encode(pickle.dumps(redacted(spec), protocol=4)).decode()


class LocalHost:
    """The Host that verify's batch needs, on this machine: commands run here, as this process's user."""

    def run(self, argv: Sequence[str], *, stdin: bytes | None = None, sudo: bool = True,
            timeout: float = 120.0) -> CommandResult:
        """Run argv here and collect its result (exit 124 on timeout, 127 when it does not exist)."""
        try:
            done = subprocess.run(list(argv), input=stdin or b"", capture_output=True, timeout=timeout,
                                  check=False)
        except subprocess.TimeoutExpired:
            return CommandResult(124, "", f"timed out after {timeout:g} s")
        except OSError as exc:
            return CommandResult(127, "", str(exc))
        return CommandResult(done.returncode, done.stdout.decode(errors="replace"),
                             done.stderr.decode(errors="replace"))


def verify_here(spec: object) -> dict[str, object]:
    """Every host-side check's verdict on this host; checks that need a login from outside (the client's
    probes, and what only an SSH session has) are skipped."""
    from bothost.userdata import role_checks
    from bothost.verify.runner import run_checks

    checks = role_checks(spec, RenderContext())
    here = [c for c in checks if c.command is not None and not c.login_session]
    results = run_checks(here, LocalHost(), {})
    return {
        "written_s": int(time.time()),
        "checked": len(here),
        "skipped": [c.id for c in checks if c.command is None or c.login_session],
        "failed": [{"id": r.check.id, "title": r.check.title, "expected": r.check.expected,
                    "actual": r.outcome.actual} for r in results if not r.passed],
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Argv: SPEC_FILE (encode_spec's text) REPORT_FILE: write the report atomically, readable by all."""
    spec_path, report_path = sys.argv[1:] if argv is None else argv
    with open(spec_path, encoding="ascii") as handle:
        spec = pickle.loads(base64.b64decode(handle.read()))
    report = verify_here(spec)
    with open(report_path + ".new", "w", encoding="utf-8") as handle:
        json.dump(report, handle)
    os.chmod(report_path + ".new", 0o644)
    os.replace(report_path + ".new", report_path)
    return 0
