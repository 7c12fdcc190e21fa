#!/usr/bin/python3
"""bothost CI gate: mirror the stack's Hetzner firewall CI openings into nftables, each with a timeout.

Runs on the host from a systemd timer. It reads the firewall with a READ-ONLY Hetzner token (it can change
nothing at Hetzner), admits each `bothost-ci run=... until=...` source /32 to the nft set until that time, and
removes elements whose rule is gone. Without the token file it does nothing (systemd skips it).
"""

import json
import subprocess
import sys
import urllib.request
from datetime import UTC, datetime

PREFIX = "bothost-ci run="


def wanted(firewalls, port, now, max_seconds):
    """{address: seconds left} for the CI openings on `port` that have not expired."""
    found = {}
    for firewall in firewalls:
        for rule in firewall.get("rules") or []:
            text = rule.get("description") or ""
            ours = rule.get("direction") == "in" and text.startswith(PREFIX)
            if not ours or str(rule.get("port")) != str(port):
                continue
            try:
                stamp = text.rsplit("until=", 1)[1]
                until = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            except (IndexError, ValueError):
                continue
            left = int((until - now).total_seconds())
            for source in rule.get("source_ips") or []:
                address, _, prefix = source.partition("/")
                if prefix in ("", "32") and address.count(".") == 3 and left > 0:
                    found[address] = min(max(found.get(address, 0), left), max_seconds)
    return found


def plan(want, current, table, set_name):
    """nft argv lists that add the wanted addresses and delete the others."""
    family, name = table.split()
    commands = [["nft", "add", "element", family, name, set_name, f"{{ {ip} timeout {seconds}s }}"]
                for ip, seconds in sorted(want.items()) if ip not in current]
    commands += [["nft", "delete", "element", family, name, set_name, f"{{ {ip} }}"]
                 for ip in sorted(current) if ip not in want]
    return commands


def current_elements(table, set_name):
    """The addresses in the nft set now."""
    family, name = table.split()
    done = subprocess.run(["nft", "-j", "list", "set", family, name, set_name], capture_output=True,
                          text=True, check=True)
    found = set()
    for item in json.loads(done.stdout).get("nftables", []):
        for element in (item.get("set") or {}).get("elem", []):
            value = element.get("elem", {}).get("val") if isinstance(element, dict) else element
            if isinstance(value, str):
                found.add(value)
    return found


def fetch(api, token, selector):
    """The stack's firewalls from the Hetzner API."""
    request = urllib.request.Request(f"{api}/firewalls?label_selector={selector}",
                                     headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=15) as response:
        return json.load(response).get("firewalls", [])


def main(config_path="/etc/bothost/ci-gate.json"):
    """One sync: read, compare, change, log what changed."""
    with open(config_path, encoding="utf-8") as stream:
        config = json.load(stream)
    with open(config["token_path"], encoding="utf-8") as stream:
        token = stream.read().strip()
    firewalls = fetch(config["api"], token, config["selector"])
    want = wanted(firewalls, config["ssh_port"], datetime.now(UTC), config["max_seconds"])
    for argv in plan(want, current_elements(config["table"], config["set"]), config["table"], config["set"]):
        subprocess.run(argv, check=True)
        print(" ".join(argv[1:3]), argv[-1])
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
