"""The one wrapper around the Pulumi CLI: stack outputs, decrypted config, state, `up`."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bothost.errors import BothostError

Run = Callable[[Sequence[str]], str]  # runs an argv, returns stdout, raises BothostError on failure


@dataclass(frozen=True)
class StackOutputs:
    """The stack outputs the host verbs read; None when the stack does not export one."""

    host: str | None
    port: int | None
    user: str | None
    host_keys: tuple[str, ...]


def run_cli(argv: Sequence[str], *, cwd: Path | None = None, timeout: float = 3600) -> str:
    """Run a CLI (pulumi, bothost); return its stdout. Errors show stderr only (stdout may hold secrets)."""
    try:
        done = subprocess.run(list(argv), cwd=cwd, capture_output=True, text=True, timeout=timeout,
                              check=False)
    except FileNotFoundError:
        raise BothostError(f"the {Path(argv[0]).name} CLI is not installed") from None
    except (OSError, subprocess.TimeoutExpired) as error:
        raise BothostError(f"could not run the {Path(argv[0]).name} CLI: {type(error).__name__}") from None
    if done.returncode != 0:
        raise BothostError(f"`{' '.join(argv[:4])} ...` failed (exit {done.returncode}): "
                           f"{done.stderr.strip()[-300:]}")
    return done.stdout


def _document(text: str, what: str) -> dict[str, Any]:
    try:
        document = json.loads(text or "{}")
    except ValueError:
        raise BothostError(f"`{what}` did not print JSON") from None
    if not isinstance(document, dict):
        raise BothostError(f"`{what}` printed {type(document).__name__}, not an object")
    return document


def outputs(stack: str | None = None, run: Run = run_cli) -> dict[str, Any]:
    """The stack outputs as `pulumi stack output --json` prints them (no secrets shown)."""
    argv = ["pulumi", "stack", "output", "--json", *(["--stack", stack] if stack else [])]
    return _document(run(argv), " ".join(argv))


def read_outputs(stack: str | None = None) -> StackOutputs:
    """The current (or given) stack's host, port, user and host keys."""
    try:
        return parse_outputs(outputs(stack))
    except BothostError as exc:
        raise BothostError(f"{exc} (or pass --host and --host-key)") from None


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


def decrypted_config(pulumi: str, stack: str, cwd: Path) -> dict[str, object]:
    """Every config value of the stack, decrypted by `pulumi config --show-secrets` (stdout only)."""
    argv = [pulumi, "config", "--show-secrets", "--json", "--stack", stack]
    return flatten_config_json(_document(run_cli(argv, cwd=cwd, timeout=120), "pulumi config --json"))


def flatten_config_json(document: dict[str, object]) -> dict[str, object]:
    """`pulumi config --json` values by key; an object value also by `key.member` (e.g. botSecrets).

    The CLI prints {"key": {"value": "<string, or the object as JSON>", "objectValue": {...}, "secret": ...}}
    (pulumi/pulumi pkg/cmd/pulumi/config configValueJSON).
    """
    values: dict[str, object] = {}
    for key, entry in document.items():
        if not isinstance(entry, dict):
            values[key] = entry
            continue
        values[key] = entry.get("value")
        members = entry.get("objectValue")
        if isinstance(members, dict):
            values.update({f"{key}.{name}": value for name, value in members.items()})
    return values


def resource_urns(stack: str, names: Sequence[str], run: Run = run_cli) -> list[str]:
    """The URNs of the named resources in the stack's state (`pulumi stack export`)."""
    state = _document(run(["pulumi", "stack", "export", "--stack", stack]), "pulumi stack export")
    return [r["urn"] for r in state.get("deployment", {}).get("resources", [])
            if any(r.get("urn", "").endswith(f"::{name}") for name in names)]


def up(stack: str, *, replace: Sequence[str] = (), run: Run = run_cli) -> None:
    """`pulumi up --yes` on the stack, replacing the given URNs."""
    run(["pulumi", "up", "--yes", "--skip-preview", "--stack", stack,
             *(part for urn in replace for part in ("--replace", urn))])
