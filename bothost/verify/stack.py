"""What verify needs from the deployed stack: `pulumi stack output --json` (host, port, user, host keys)."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from typing import Any

from bothost.errors import BothostError

OUTPUTS_ARGV = ("pulumi", "stack", "output", "--json")


@dataclass(frozen=True)
class StackOutputs:
    """The stack outputs verify reads; None when the stack does not export one."""

    host: str | None
    port: int | None
    user: str | None
    host_keys: tuple[str, ...]


def read_outputs(stack: str | None = None) -> StackOutputs:
    """Run the Pulumi CLI for the current (or given) stack's outputs."""
    argv = [*OUTPUTS_ARGV, *(["--stack", stack] if stack else [])]
    try:
        result = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=120)
    except FileNotFoundError:
        raise BothostError("the pulumi CLI is not installed: pass --host and --host-key instead") from None
    if result.returncode != 0:
        raise BothostError(f"`{' '.join(argv)}` failed: {result.stderr.strip()[-300:]} "
                           "(or pass --host and --host-key)")
    try:
        document = json.loads(result.stdout or "{}")
    except ValueError:
        raise BothostError(f"`{' '.join(argv)}` did not print JSON") from None
    if not isinstance(document, dict):
        raise BothostError(f"`{' '.join(argv)}` printed {type(document).__name__}, not an object")
    return parse_outputs(document)


def parse_outputs(document: dict[str, Any]) -> StackOutputs:
    """hostPublicKeys (list or newline-separated text), whitelistIpv4, sshPort, adminUser."""
    keys = document.get("hostPublicKeys") or []
    if isinstance(keys, str):
        keys = keys.splitlines()
    if isinstance(keys, dict):
        keys = list(keys.values())
    lines = tuple(" ".join(str(k).split()[:2]) for k in keys if str(k).strip())
    port = document.get("sshPort")
    return StackOutputs(
        host=str(document["whitelistIpv4"]) if document.get("whitelistIpv4") else None,
        port=int(port) if port is not None else None,
        user=str(document["adminUser"]) if document.get("adminUser") else None,
        host_keys=lines,
    )
