"""Pure decisions for the Hetzner side: firewall rules, resource names and labels (no Pulumi calls)."""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass

from roles.firewall import FirewallSettings

ANYWHERE = ("0.0.0.0/0", "::/0")


@dataclass(frozen=True)
class Rule:
    """One Hetzner firewall rule; `ips` are sources (in) or destinations (out)."""

    direction: str
    protocol: str
    port: str | None
    ips: tuple[str, ...]
    description: str


def firewall_rules(s: FirewallSettings) -> list[Rule]:
    """The host's nftables policy again at Hetzner, from the same settings: SSH and ICMP from adminCidrs only;
    outbound open, or only the firewall role's egress ports when restricted."""
    admins = s.admin_v4 + s.admin_v6
    rules = [
        Rule("in", "tcp", str(s.ssh_port), admins, "SSH from admin CIDRs"),
        Rule("in", "icmp", None, admins, "ping from admin CIDRs"),
    ]
    if s.restrict_egress:
        # Hetzner allows all outbound traffic until the first outbound rule exists; then only what is listed.
        egress = sorted([(port, "tcp") for port in s.egress_tcp] + [(port, "udp") for port in s.egress_udp])
        rules += [Rule("out", proto, str(port), ANYWHERE, f"egress {proto}/{port}") for port, proto in egress]
    return rules


def slug(text: str, limit: int = 63) -> str:
    """A Hetzner-safe name or label value: lower-case letters, digits and '-', alphanumeric at both ends."""
    cleaned = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")
    return cleaned[:limit].strip("-") or "bothost"


def key_id(public_line: str) -> str:
    """A short stable id of an OpenSSH public key (hex of its SHA256), so adding keys renames none."""
    blob = base64.b64decode(public_line.split()[1])
    return hashlib.sha256(blob).hexdigest()[:12]


def hetzner_fingerprint(public_line: str) -> str:
    """The fingerprint Hetzner shows and refuses duplicates of: MD5 of the key blob, hex pairs with ':'."""
    blob = base64.b64decode(public_line.split()[1])
    digest = hashlib.md5(blob, usedforsecurity=False).hexdigest()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def without_comment(public_line: str) -> str:
    """`type base64` of an OpenSSH public key line: a comment edit must not replace the Hetzner key."""
    return " ".join(public_line.split()[:2])


def labels(stack: str) -> dict[str, str]:
    """Labels on every Hetzner resource, so a project shows what bothost owns."""
    return {"managed-by": "bothost", "stack": slug(stack)}


def selector(stack: str) -> str:
    """The Hetzner label selector of one stack's resources: exactly the labels above."""
    return ",".join(f"{key}={value}" for key, value in sorted(labels(stack).items()))
