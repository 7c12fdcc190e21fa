"""A time-boxed SSH opening for one CI runner's /32 on the stack's Hetzner firewall; open, close, list."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from bothost.hetzner.client import HetznerError, api_errors, find_stack

if TYPE_CHECKING:
    from hcloud import Client
    from hcloud.firewalls import FirewallRule

PREFIX = "bothost-ci"  # every rule we add starts with this; nothing else on the firewall is ever touched
DEFAULT_MINUTES = 30  # longer than a redeploy, short enough that a forgotten opening expires on the host
MAX_MINUTES = 120  # a window is for one deploy, never a standing rule
_DESCRIPTION = re.compile(r"bothost-ci run=(?P<run>[A-Za-z0-9._-]{1,64}) until=(?P<until>\d{8}T\d{6}Z)")


@dataclass(frozen=True)
class Opening:
    """One CI rule found on the firewall."""

    run_id: str
    source: str
    port: str
    until: datetime

    def expired(self, now: datetime) -> bool:
        """True when its window is over (the host side has dropped it already)."""
        return now >= self.until


def runner_cidr(address: str) -> str:
    """The runner's address as one public IPv4 /32 (or IPv6 /128); anything wider or private is refused."""
    try:
        network = ipaddress.ip_network(address.strip(), strict=True)
    except ValueError:
        raise HetznerError(f"runner address {address!r} is not an IP address") from None
    if network.num_addresses != 1:
        raise HetznerError(f"runner address {address} is a range: a CI window admits exactly one address")
    if not network.network_address.is_global:
        raise HetznerError(f"runner address {address} is not a public address")
    return str(network)


def description(run_id: str, until: datetime) -> str:
    """The rule description that marks a CI opening, with its run and its end (UTC)."""
    text = f"{PREFIX} run={run_id} until={until.astimezone(UTC):%Y%m%dT%H%M%SZ}"
    if not _DESCRIPTION.fullmatch(text):
        raise HetznerError(f"run id {run_id!r} must be 1-64 characters of letters, digits, '.', '_' or '-'")
    return text


def parse(rule: FirewallRule) -> Opening | None:
    """The CI opening a rule stands for, or None when it is not ours."""
    match = _DESCRIPTION.fullmatch(rule.description or "")
    if not match or rule.direction != "in":
        return None
    until = datetime.strptime(match["until"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    return Opening(match["run"], ",".join(rule.source_ips or []), str(rule.port), until)


def with_opening(rules: list[FirewallRule], cidr: str, port: int, run_id: str,
                 until: datetime) -> list[FirewallRule]:
    """The rules plus one SSH rule for `cidr`; an opening for the same run is replaced, not duplicated."""
    from hcloud.firewalls import FirewallRule

    kept = [r for r in rules if (o := parse(r)) is None or o.run_id != run_id]
    return [*kept, FirewallRule(direction="in", protocol="tcp", port=str(port), source_ips=[cidr],
                                description=description(run_id, until))]


def without_openings(rules: list[FirewallRule], run_id: str | None = None) -> list[FirewallRule]:
    """The rules minus our CI openings (those of one run, or all of them)."""
    return [r for r in rules if (o := parse(r)) is None or (run_id is not None and o.run_id != run_id)]


def openings(client: Client, stack: str) -> list[Opening]:
    """Every CI opening on the stack's firewall right now."""
    firewall = find_stack(client, stack).firewall(stack)
    return [o for o in (parse(r) for r in firewall.rules or []) if o is not None]


def open_ssh(client: Client, stack: str, address: str, port: int, run_id: str,
             minutes: int = DEFAULT_MINUTES, now: datetime | None = None) -> Opening:
    """Admit `address` to SSH for `minutes`; safe to rerun; verifies the rule is there afterwards."""
    if not 1 <= minutes <= MAX_MINUTES:
        raise HetznerError(f"a CI window lasts 1-{MAX_MINUTES} minutes, not {minutes}")
    cidr = runner_cidr(address)
    until = (now or datetime.now(UTC)).replace(microsecond=0) + timedelta(minutes=minutes)
    firewall = find_stack(client, stack).firewall(stack)
    rules = with_opening(list(firewall.rules or []), cidr, port, run_id, until)
    with api_errors(f"adding {cidr} to firewall {firewall.name}"):
        for action in client.firewalls.set_rules(firewall, rules):
            action.wait_until_finished()
    found = [o for o in openings(client, stack) if o.run_id == run_id and o.source == cidr]
    if not found:
        raise HetznerError(f"firewall {firewall.name} does not show the opening for {cidr} after adding it")
    return found[0]


def close_ssh(client: Client, stack: str, run_id: str | None = None) -> list[Opening]:
    """Remove the openings of one run (or all); returns what was removed; verifies none is left."""
    firewall = find_stack(client, stack).firewall(stack)
    rules = list(firewall.rules or [])
    removed = [o for o in (parse(r) for r in rules) if o and (run_id is None or o.run_id == run_id)]
    if removed:
        with api_errors(f"removing CI openings from firewall {firewall.name}"):
            for action in client.firewalls.set_rules(firewall, without_openings(rules, run_id)):
                action.wait_until_finished()
    left = [o for o in openings(client, stack) if run_id is None or o.run_id == run_id]
    if left:
        raise HetznerError(f"CI openings still on firewall {firewall.name}: {describe(left)}")
    return removed


def describe(found: list[Opening]) -> str:
    """A one-line list of openings for messages."""
    return "; ".join(f"{o.source} port {o.port} (run {o.run_id}, until {o.until:%Y-%m-%d %H:%M}Z)"
                     for o in found)
