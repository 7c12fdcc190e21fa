"""The Hetzner firewall is derived from the firewall role's settings: both admit the same traffic."""

from __future__ import annotations

from pathlib import Path

import pytest
from role_specs import make_spec
from test_roles_firewall import SPECS, load, ruleset_text

from bothost.infra.policy import ANYWHERE, firewall_rules
from bothost.role import CommandResult, RenderContext
from roles.firewall import FirewallRole, egress_restricted, ssh_only_from


@pytest.mark.parametrize("name", sorted(SPECS))
def test_hetzner_rules_admit_what_the_host_ruleset_admits(name: str, tmp_path: Path) -> None:
    s = FirewallRole().settings(make_spec(**SPECS[name]), RenderContext())
    rules = firewall_rules(s)
    ssh = [r for r in rules if r.direction == "in" and r.protocol == "tcp"]
    assert len(ssh) == 1 and [r.ips for r in rules if r.protocol == "icmp"] == [ssh[0].ips]
    outbound = [r for r in rules if r.direction == "out"]
    assert all(r.ips == ANYWHERE for r in outbound)
    # The host's own ruleset, loaded by the real nft, read by the role's checks with Hetzner's values.
    listing = CommandResult(0, load([ruleset_text(s)], tmp_path))
    ssh_check = ssh_only_from(int(ssh[0].port), ssh[0].ips)(listing)
    assert ssh_check.passed, ssh_check.actual
    if not s.restrict_egress:
        assert outbound == []
        return
    tcp = tuple(int(r.port) for r in outbound if r.protocol == "tcp")
    udp = tuple(int(r.port) for r in outbound if r.protocol == "udp")
    egress = egress_restricted(tcp, udp)(listing)
    # Every port nft lets out is one Hetzner lets out, and the other way round (67: DHCP, never filtered).
    assert egress.passed, egress.actual
    shown = ",".join(map(str, sorted(tcp))), ",".join(map(str, sorted({*udp, 67})))
    assert egress.actual == f"tcp {shown[0]}; udp {shown[1]}"


def test_egress_rules_keep_their_order() -> None:
    """The order Pulumi state already holds (a reorder would show as a firewall change)."""
    s = FirewallRole().settings(make_spec(restrictEgress=True), RenderContext())
    assert [(r.protocol, r.port) for r in firewall_rules(s) if r.direction == "out"] == [
        ("tcp", "53"), ("udp", "53"), ("tcp", "80"), ("udp", "123"), ("tcp", "443")]
