"""Rotate the host: replace server and SSH host keys with `pulumi up --replace`, keep the static IP."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

from bothost.errors import BothostError
from bothost.runbook.steps import Report

Run = Callable[[Sequence[str]], str]  # runs an argv, returns stdout, raises BothostError on failure
REPLACED = ("bothost-host-keys", "bothost-server")  # resource names the component gives (name "bothost")
STATE_DIR = Path(".bothost")  # remembers the old fingerprints: a rerun after a failure never replaces twice


def run_cli(argv: Sequence[str]) -> str:
    """Run a CLI (pulumi, bothost) and return its stdout; stderr ends up in the error."""
    try:
        done = subprocess.run(list(argv), capture_output=True, text=True, timeout=3600, check=False)
    except FileNotFoundError:
        raise BothostError(f"{argv[0]} is not installed") from None
    if done.returncode != 0:
        raise BothostError(f"`{' '.join(argv[:4])} ...` failed (exit {done.returncode}): "
                           f"{done.stderr.strip()[-400:]}")
    return done.stdout


def outputs(run: Run, stack: str) -> dict:
    """The stack outputs (no secrets shown)."""
    return json.loads(run(["pulumi", "stack", "output", "--json", "--stack", stack]) or "{}")


def urns(run: Run, stack: str) -> list[str]:
    """The URNs of the host-key and server resources, from the state."""
    state = json.loads(run(["pulumi", "stack", "export", "--stack", stack]))
    found = [r["urn"] for r in state.get("deployment", {}).get("resources", [])
             if any(r.get("urn", "").endswith(f"::{name}") for name in REPLACED)]
    if len(found) != len(REPLACED):
        raise BothostError(f"stack {stack} has no deployed server and host keys to replace (found {found})")
    return found


def rotate_host(stack: str, report: Report, run: Run = run_cli, state_dir: Path = STATE_DIR) -> dict:
    """Replace (unless a previous run did), prove new keys and same IP, redeploy the bot, verify."""
    before = outputs(run, stack)
    marker = state_dir / f"rotate-host-{stack}.json"
    old = json.loads(marker.read_text()) if marker.exists() else {
        "fingerprints": before.get("hostKeyFingerprints"), "ip": before.get("whitelistIpv4")}
    if not old["ip"]:
        raise BothostError(f"stack {stack} exports no whitelistIpv4: deploy it first")
    if before.get("hostKeyFingerprints") == old["fingerprints"]:
        state_dir.mkdir(exist_ok=True)
        marker.write_text(json.dumps(old))
        report(f"  . replacing the server of {stack} (static IP {old['ip']} stays)")
        run(["pulumi", "up", "--yes", "--skip-preview", "--stack", stack,
             *(part for urn in urns(run, stack) for part in ("--replace", urn))])
        report("  + server replaced")
    else:
        report("  = server already replaced (host keys differ from before the rotation)")
    after = outputs(run, stack)
    if after.get("whitelistIpv4") != old["ip"]:
        raise BothostError(f"the static IP changed from {old['ip']} to {after.get('whitelistIpv4')}: "
                           "update the exchange whitelist before the bot trades")
    if after.get("hostKeyFingerprints") == old["fingerprints"]:
        raise BothostError("the host keys did not change: the replacement did not happen; rerun")
    report(f"  + static IP kept: {old['ip']}; new host keys pinned: {after.get('hostKeyFingerprints')}")
    run(["bothost", "deploy", "--config", f"Pulumi.{stack}.yaml"])
    report("  + bot redeployed")
    run(["bothost", "verify", "--config", f"Pulumi.{stack}.yaml"])
    report("  + verify is green")
    marker.unlink(missing_ok=True)
    return after
