"""The few ways a rehearsal's spec differs from what Hetzner gets, each one printed with its reason."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from bothost.config import StackSpec

HOST_GATEWAY = "10.0.2.2"  # qemu user networking: this machine as the guest sees it
GATEWAY_CIDR = f"{HOST_GATEWAY}/32"
KEY_COMMENT = "bothost-rehearsal"


@dataclass(frozen=True)
class Override:
    """One config value changed for the rehearsal."""

    key: str
    value: str
    why: str


def generate_admin_key(directory: Path) -> tuple[Path, str]:
    """A fresh ed25519 login key for this run: private file (0600) and its public line."""
    key = ed25519.Ed25519PrivateKey.generate()
    private = directory / "id_ed25519"
    fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                       serialization.NoEncryption()))
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                           serialization.PublicFormat.OpenSSH).decode()
    line = f"{public} {KEY_COMMENT}"
    (directory / "id_ed25519.pub").write_text(line + "\n")
    return private, line


def rehearsal_spec(spec: StackSpec, admin_key: str) -> tuple[StackSpec, list[Override]]:
    """The spec the VM boots: the user's, plus a run key, the slirp gateway and a local NTP server."""
    host = spec.host
    overrides = [Override("bothost:adminSshKeys", f"+ {_short_key(admin_key)}",
                          "an ephemeral key for this run, so bothost can log in and verify")]
    cidrs = host.admin_cidrs
    if GATEWAY_CIDR not in cidrs:
        cidrs = (*cidrs, GATEWAY_CIDR)
        overrides.append(Override("bothost:adminCidrs", f"+ {GATEWAY_CIDR}",
                                  "forwarded SSH reaches the VM from qemu's gateway address"))
    ntp = (HOST_GATEWAY,)
    if host.ntp_servers != ntp:
        overrides.append(Override("bothost:ntpServers", f"{' '.join(host.ntp_servers)} -> {HOST_GATEWAY}",
                                  "the VM is offline; this machine serves its clock over SNTP"))
    rehearsed = replace(spec, host=replace(host, admin_ssh_keys=(*host.admin_ssh_keys, admin_key),
                                           admin_cidrs=cidrs, ntp_servers=ntp))
    return rehearsed, overrides


def format_overrides(overrides: list[Override]) -> str:
    """The overrides as lines for the user; everything else in user_data is what Hetzner would get."""
    lines = ["Rehearsal overrides (the rest of user_data is byte-for-byte what Hetzner would get):"]
    lines += [f"  {o.key}: {o.value}  ({o.why})" for o in overrides]
    return "\n".join(lines)


def _short_key(line: str) -> str:
    """A public key shortened for display."""
    kind, blob = line.split()[:2]
    return f"{kind} {blob[:12]}...{blob[-6:]} {KEY_COMMENT}"
