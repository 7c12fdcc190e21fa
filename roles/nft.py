"""Pure reading of `nft -j list ruleset` output: chains, sets and rules as simple terms."""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass, field
from typing import Any

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
VERDICTS = ("accept", "drop", "reject", "jump", "goto", "return", "queue")


@dataclass(frozen=True)
class Rule:
    """One rule: its matches as (left, op, right) terms, and its verdict."""

    matches: tuple[tuple[str, str, Any], ...]
    verdict: str | None
    text: str  # a compact rendering for reports

    def value(self, left: str) -> Any:
        """The right-hand side of the first match on `left` (e.g. "tcp dport"), or None."""
        return next((right for key, _, right in self.matches if key == left), None)

    def has(self, left: str) -> bool:
        """True if the rule matches on `left`."""
        return any(key == left for key, _, _ in self.matches)


@dataclass
class Ruleset:
    """The parts of a ruleset the firewall checks look at."""

    chains: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    rules: dict[tuple[str, str, str], list[Rule]] = field(default_factory=dict)
    sets: dict[tuple[str, str, str], list[Any]] = field(default_factory=dict)
    set_flags: dict[tuple[str, str, str], set[str]] = field(default_factory=dict)


def parse_ruleset(stdout: str) -> Ruleset:
    """Parse `nft -j list ruleset`; raises ValueError on anything that is not nft's JSON."""
    document = json.loads(stdout)
    if not isinstance(document, dict) or not isinstance(document.get("nftables"), list):
        raise ValueError("no 'nftables' list")
    ruleset = Ruleset()
    for item in document["nftables"]:
        if "chain" in item:
            c = item["chain"]
            ruleset.chains[(c["family"], c["table"], c["name"])] = c
        elif "set" in item:
            s = item["set"]
            ruleset.sets[(s["family"], s["table"], s["name"])] = list(s.get("elem", []))
            flags = s.get("flags", [])
            key = (s["family"], s["table"], s["name"])
            ruleset.set_flags[key] = {flags} if isinstance(flags, str) else set(flags)
        elif "rule" in item:
            r = item["rule"]
            ruleset.rules.setdefault((r["family"], r["table"], r["chain"]), []).append(_rule(r["expr"]))
    return ruleset


def set_networks(elements: list[Any]) -> list[Network]:
    """Elements of an address set (addresses, prefixes, ranges) as collapsed networks."""
    networks: list[Network] = []
    for element in elements:
        if isinstance(element, dict) and "elem" in element:
            element = element["elem"]["val"]
        if isinstance(element, str):
            networks.append(ipaddress.ip_network(element))
        elif isinstance(element, dict) and "prefix" in element:
            prefix = element["prefix"]
            networks.append(ipaddress.ip_network(f"{prefix['addr']}/{prefix['len']}"))
        elif isinstance(element, dict) and "range" in element:
            low, high = (ipaddress.ip_address(a) for a in element["range"])
            networks.extend(ipaddress.summarize_address_range(low, high))
    return collapse(networks)


def collapse(networks: list[Network]) -> list[Network]:
    """Networks merged and sorted, IPv4 before IPv6."""
    v4 = [n for n in networks if n.version == 4]
    v6 = [n for n in networks if n.version == 6]
    return [*ipaddress.collapse_addresses(v4), *ipaddress.collapse_addresses(v6)]


def ports(value: Any) -> set[int] | None:
    """A port match's right-hand side as a set of ports (None for anything but literal ports)."""
    if isinstance(value, int):
        return {value}
    if isinstance(value, dict) and isinstance(value.get("set"), list):
        found = {v for v in value["set"] if isinstance(v, int)}
        return found if len(found) == len(value["set"]) else None
    return None


def _rule(exprs: list[dict[str, Any]]) -> Rule:
    matches, verdict, words = [], None, []
    for expr in exprs:
        if "match" in expr:
            m = expr["match"]
            left = _left(m["left"])
            matches.append((left, m["op"], m["right"]))
            words.append(f"{left} {m['op']} {json.dumps(m['right'])}")
        elif any(v in expr for v in VERDICTS):
            verdict = next(v for v in VERDICTS if v in expr)
            words.append(verdict)
        else:
            words.append(next(iter(expr), "?"))
    return Rule(tuple(matches), verdict, " ".join(words))


def _left(left: dict[str, Any]) -> str:
    if "payload" in left:
        return f"{left['payload'].get('protocol', '?')} {left['payload'].get('field', '?')}"
    for kind in ("meta", "ct"):
        if kind in left:
            return f"{kind} {left[kind].get('key', '?')}"
    return json.dumps(left, sort_keys=True)
