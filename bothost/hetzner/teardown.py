"""Delete a stack's server and firewall at Hetzner; keep its protected static IP unless told to release it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bothost.hetzner.client import HetznerError, api_errors, find_stack
from bothost.progress import Report

if TYPE_CHECKING:
    from hcloud import Client


def delete_servers(client: Client, stack: str, report: Report) -> None:
    """Delete the stack's servers (each reads state first, so a rerun after a failure just continues)."""
    servers = find_stack(client, stack).servers
    if not servers:
        report("server: already deleted")
    for server in servers:
        with api_errors(f"deleting server {server.name}"):
            client.servers.delete(server).wait_until_finished()
        report(f"server: deleted {server.name} (id {server.id})")
    if find_stack(client, stack).servers:
        raise HetznerError(f"server of stack {stack} still exists after deleting it")


def delete_firewalls(client: Client, stack: str, report: Report) -> None:
    """Delete the stack's firewalls (only once no server uses them)."""
    firewalls = find_stack(client, stack).firewalls
    if not firewalls:
        report("firewall: already deleted")
    for firewall in firewalls:
        with api_errors(f"deleting firewall {firewall.name}"):
            client.firewalls.delete(firewall)
        report(f"firewall: deleted {firewall.name} (id {firewall.id})")
    if find_stack(client, stack).firewalls:
        raise HetznerError(f"firewall of stack {stack} still exists after deleting it")


def keep_or_release_ips(client: Client, stack: str, release: bool, report: Report) -> list[str]:
    """Keep the static IPs protected (default) or lift protection and delete them; returns the kept IPs."""
    kept = []
    for ip in find_stack(client, stack).primary_ips:
        if not release:
            if not ip.protection.get("delete"):
                with api_errors(f"protecting {ip.ip}"):
                    client.primary_ips.change_protection(ip, delete=True).wait_until_finished()
            report(f"static IP: kept {ip.ip} (delete-protected; the exchange whitelist stays valid)")
            kept.append(ip.ip)
            continue
        with api_errors(f"releasing {ip.ip}"):
            if ip.protection.get("delete"):
                client.primary_ips.change_protection(ip, delete=False).wait_until_finished()
            client.primary_ips.delete(ip)
        report(f"static IP: released {ip.ip} (it is gone for good; remove it from the exchange whitelist)")
    left = [ip.ip for ip in find_stack(client, stack).primary_ips]
    if release and left:
        raise HetznerError(f"static IPs of stack {stack} still exist after releasing them: {', '.join(left)}")
    if not release and sorted(left) != sorted(kept):
        raise HetznerError(f"static IPs changed while keeping them: expected {kept}, found {left}")
    if not kept and not release:
        report("static IP: none found (already released?)")
    return kept


def lift_ip_protection(client: Client, stack: str, report: Report) -> None:
    """Turn off Hetzner's delete protection of the stack's static IPs (for `pulumi destroy`)."""
    for ip in find_stack(client, stack).primary_ips:
        if ip.protection.get("delete"):
            with api_errors(f"unprotecting {ip.ip}"):
                client.primary_ips.change_protection(ip, delete=False).wait_until_finished()
            report(f"static IP: delete protection lifted on {ip.ip}")


def destroy(client: Client, stack: str, release_ip: bool, report: Report) -> list[str]:
    """Server first (it holds the IP and the firewall), then firewall, then the IP decision."""
    delete_servers(client, stack, report)
    delete_firewalls(client, stack, report)
    return keep_or_release_ips(client, stack, release_ip, report)
