"""Pure decisions for the Hetzner side: firewall rules, resource names and labels (no Pulumi calls)."""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass

from bothost.config.host import HostSpec

ANYWHERE = ("0.0.0.0/0", "::/0")
# Outbound ports a hardened host needs when egress is restricted: DNS, apt over HTTP, NTP, HTTPS.
EGRESS_PORTS = (("tcp", "53"), ("udp", "53"), ("tcp", "80"), ("udp", "123"), ("tcp", "443"))


@dataclass(frozen=True)
class Rule:
    """One Hetzner firewall rule; `ips` are sources (in) or destinations (out)."""

    direction: str
    protocol: str
    port: str | None
    ips: tuple[str, ...]
    description: str


def firewall_rules(host: HostSpec) -> list[Rule]:
    """Inbound: SSH and ICMP from adminCidrs only. Outbound: open, or the few needed ports when restricted."""
    rules = [
        Rule("in", "tcp", str(host.ssh_port), host.admin_cidrs, "SSH from admin CIDRs"),
        Rule("in", "icmp", None, host.admin_cidrs, "ping from admin CIDRs"),
    ]
    if host.restrict_egress:
        # Hetzner allows all outbound traffic until the first outbound rule exists; then only what is listed.
        rules += [Rule("out", proto, port, ANYWHERE, f"egress {proto}/{port}")
                  for proto, port in EGRESS_PORTS]
    return rules


def slug(text: str, limit: int = 63) -> str:
    """A Hetzner-safe name or label value: lower-case letters, digits and '-', alphanumeric at both ends."""
    cleaned = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")
    return cleaned[:limit].strip("-") or "bothost"


def key_id(public_line: str) -> str:
    """A short stable id of an OpenSSH public key (hex of its SHA256), so adding keys renames none."""
    blob = base64.b64decode(public_line.split()[1])
    return hashlib.sha256(blob).hexdigest()[:12]


def labels(stack: str) -> dict[str, str]:
    """Labels on every Hetzner resource, so a project shows what bothost owns."""
    return {"managed-by": "bothost", "stack": slug(stack)}
