"""Rotate the host: replace server and SSH host keys with `pulumi up --replace`, keep the static IP."""

from __future__ import annotations

import json
from pathlib import Path

from bothost import stack as pulumi
from bothost.config.stackfile import stack_file
from bothost.errors import BothostError
from bothost.progress import Report
from bothost.stack import Run, run_cli

REPLACED = ("bothost-host-keys", "bothost-server")  # resource names the component gives (name "bothost")
STATE_DIR = Path(".bothost")  # remembers the old fingerprints: a rerun after a failure never replaces twice


def urns(run: Run, stack: str) -> list[str]:
    """The URNs of the host-key and server resources, from the state."""
    found = pulumi.resource_urns(stack, REPLACED, run)
    if len(found) != len(REPLACED):
        raise BothostError(f"stack {stack} has no deployed server and host keys to replace (found {found})")
    return found


def rotate_host(stack: str, report: Report, run: Run = run_cli, state_dir: Path = STATE_DIR) -> dict:
    """Replace (unless a previous run did), prove new keys and same IP, redeploy the bot, verify."""
    before = pulumi.outputs(stack, run)
    marker = state_dir / f"rotate-host-{stack}.json"
    old = json.loads(marker.read_text()) if marker.exists() else {
        "fingerprints": before.get("hostKeyFingerprints"), "ip": before.get("whitelistIpv4")}
    if not old["ip"]:
        raise BothostError(f"stack {stack} exports no whitelistIpv4: deploy it first")
    if before.get("hostKeyFingerprints") == old["fingerprints"]:
        state_dir.mkdir(exist_ok=True)
        marker.write_text(json.dumps(old))
        report(f"  . replacing the server of {stack} (static IP {old['ip']} stays)")
        pulumi.up(stack, replace=urns(run, stack), run=run)
        report("  + server replaced")
    else:
        report("  = server already replaced (host keys differ from before the rotation)")
    after = pulumi.outputs(stack, run)
    if after.get("whitelistIpv4") != old["ip"]:
        raise BothostError(f"the static IP changed from {old['ip']} to {after.get('whitelistIpv4')}: "
                           "update the exchange whitelist before the bot trades")
    if after.get("hostKeyFingerprints") == old["fingerprints"]:
        raise BothostError("the host keys did not change: the replacement did not happen; rerun")
    report(f"  + static IP kept: {old['ip']}; new host keys pinned: {after.get('hostKeyFingerprints')}")
    run(["bothost", "deploy", "--config", str(stack_file(stack))])
    report("  + bot redeployed")
    run(["bothost", "verify", "--config", str(stack_file(stack))])
    report("  + verify is green")
    marker.unlink(missing_ok=True)
    return after
