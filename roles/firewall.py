"""firewall: nftables drops inbound but SSH from adminCidrs, and keeps containers off the metadata service."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass

from bothost.config import StackSpec
from bothost.config.exchange import egress_ports
from bothost.facts.system import is_loopback, listeners, unit_command
from bothost.role import Changes, Check, CommandResult, FileChange, Outcome, RenderContext, Role
from bothost.templating import render
from roles.expect import Parser, expect_units, failed
from roles.nft import Rule, Ruleset, collapse, parse_ruleset, ports, set_networks

CONF_PATH = "/etc/nftables.conf"
OVERRIDE_PATH = "/etc/systemd/system/nftables.service.d/10-bothost.conf"
TABLE = ("inet", "bothost")
NFT_LIST = ("nft", "-j", "list", "ruleset")
REPLIES = {"established", "related"}


@dataclass(frozen=True)
class FirewallSettings:
    """nftables settings."""

    ssh_port: int = 22  # the one inbound service; the same value sshd reads
    admin_v4: tuple[str, ...] = ()  # IPv4 CIDRs SSH may come from
    admin_v6: tuple[str, ...] = ()  # IPv6 CIDRs SSH may come from
    restrict_egress: bool = False  # outbound only to the ports below (bothost:restrictEgress)
    egress_tcp: tuple[int, ...] = (53, 80, 443)  # DNS over TCP, HTTP for apt, HTTPS; + the exchange's ports
    egress_udp: tuple[int, ...] = (53, 123)  # DNS and NTP
    metadata_ip: str = "169.254.169.254"  # Hetzner's metadata service serves user_data (with host keys)
    ci_set: str = "ci_v4"  # CI runners' /32s, admitted only with a timeout (filled by the ci_gate role)
    ssh_rate: str = "30/minute burst 30 packets"  # new SSH connections; ssh-audit and verify fit within
    icmp_rate: str = "10/second burst 20 packets"  # ping stays useful without being a flood amplifier
    listeners_allowed: tuple[tuple[str, str], ...] = (  # (protocol, process) allowed on public addresses
        ("tcp", "sshd"), ("udp", "dhclient"), ("udp", "systemd-network"))


class FirewallRole(Role):
    """One nftables table `inet bothost`, loaded at boot without touching Docker's tables."""

    name = "firewall"

    def settings(self, spec: StackSpec, context: RenderContext) -> FirewallSettings:
        cidrs = [ipaddress.ip_network(c) for c in spec.host.admin_cidrs]
        return FirewallSettings(
            ssh_port=spec.host.ssh_port,
            admin_v4=tuple(str(n) for n in cidrs if n.version == 4),
            admin_v6=tuple(str(n) for n in cidrs if n.version == 6),
            restrict_egress=spec.host.restrict_egress,
            egress_tcp=tuple(sorted({*FirewallSettings.egress_tcp, *egress_ports(spec.exchange)})),
        )

    def changes(self, s: FirewallSettings) -> Changes:
        return Changes(
            packages=("nftables",),
            files=(
                FileChange(CONF_PATH, render("firewall/nftables.conf.j2", s=s), mode="0755", compress=True),
                FileChange(OVERRIDE_PATH,
                           render("firewall/nftables-override.conf.j2", table=" ".join(TABLE))),
            ),
            enable_units=("nftables.service",),
            commands=(("systemctl", "reload-or-restart", "nftables.service"),),
        )

    def checks(self, s: FirewallSettings) -> list[Check]:
        cidrs = ", ".join((*s.admin_v4, *s.admin_v6))
        checks = [
            Check(id="fw-01", title="Inbound policy is drop",
                  rationale="Anything not explicitly allowed cannot reach the host.",
                  expected="inet bothost input: hook input, policy drop", command=NFT_LIST,
                  evaluate=input_policy_drop),
            Check(id="fw-02", title="SSH only from adminCidrs",
                  rationale="The only open service is reachable only from the admins' networks.",
                  expected=f"tcp {s.ssh_port} from {cidrs} (+ CI set {s.ci_set} with timeouts); nothing else",
                  command=NFT_LIST,
                  evaluate=ssh_only_from(s.ssh_port, s.admin_v4 + s.admin_v6, s.ci_set)),
            Check(id="fw-03", title="Metadata service blocked for containers and non-root",
                  rationale="It serves user_data with the SSH host keys to anyone who asks from the host.",
                  expected=f"{s.metadata_ip} dropped in forward, and in output unless uid 0",
                  command=NFT_LIST, evaluate=metadata_blocked(s.metadata_ip)),
        ]
        if s.restrict_egress:
            allowed = f"tcp {_join(s.egress_tcp)}; udp {_join(s.egress_udp)}"
            checks.append(Check(
                id="fw-04", title="Outbound traffic restricted",
                rationale="Malware on the host or in a container cannot call home on arbitrary ports.",
                expected=f"output and forward: policy drop; only {allowed}", command=NFT_LIST,
                evaluate=egress_restricted(s.egress_tcp, s.egress_udp)))
        return [
            *checks,
            Check(id="fw-05", title="Firewall loads at boot",
                  rationale="The rules come back after every reboot, before the network is up.",
                  expected="nftables.service: enabled,active", command=unit_command("nftables.service"),
                  evaluate=expect_units({"nftables.service": {"UnitFileState": "enabled",
                                                              "ActiveState": "active"}})),
            Check(id="fw-06", title="Only sshd listens on a public address",
                  rationale="Any other listening service is attack surface the firewall alone would hide.",
                  expected=", ".join(f"{p}:{n}" for p, n in s.listeners_allowed) + " (others on loopback)",
                  command=("ss", "-Hltnup"), evaluate=only_listeners(s.listeners_allowed)),
        ]


def _join(values: tuple[int, ...]) -> str:
    return ",".join(map(str, values))


def _with_ruleset(check: Callable[[Ruleset], Outcome]) -> Parser:
    """Wrap a check on a parsed ruleset into a parser of `nft -j list ruleset`."""

    def evaluate(result: CommandResult) -> Outcome:
        failure = failed(result)
        if failure:
            return failure
        try:
            ruleset = parse_ruleset(result.stdout)
        except (ValueError, KeyError, TypeError) as exc:
            return Outcome(False, f"unreadable nft output: {exc}"[:200])
        return check(ruleset)

    return evaluate


def _opens_nothing(rule: Rule) -> bool:
    """True for accept rules that open no service: loopback, replies, ICMP, DHCP replies."""
    state = rule.value("ct state")
    states = {state} if isinstance(state, str) else set(state) if isinstance(state, list) else None
    return (
        rule.value("meta iif") == "lo" or rule.value("meta oif") == "lo"
        or (states is not None and states <= REPLIES)
        or ((rule.has("icmp type") or rule.has("icmpv6 type")) and not rule.has("tcp dport"))
        or (rule.value("udp sport") == 67 and rule.value("udp dport") == 68)
    )


def _chain(ruleset: Ruleset, name: str) -> tuple[dict | None, list[Rule]]:
    key = (*TABLE, name)
    return ruleset.chains.get(key), ruleset.rules.get(key, [])


def _input_policy(ruleset: Ruleset) -> Outcome:
    chain, _ = _chain(ruleset, "input")
    if chain is None:
        return Outcome(False, "no inet bothost input chain (firewall not loaded)")
    actual = f"hook {chain.get('hook')}, policy {chain.get('policy')}"
    return Outcome(chain.get("hook") == "input" and chain.get("policy") == "drop", actual)


input_policy_drop = _with_ruleset(_input_policy)


def ssh_only_from(port: int, cidrs: tuple[str, ...], ci_set: str | None = None) -> Parser:
    """Parser: input accepts new TCP only on `port` from sets holding exactly `cidrs` (plus the CI set, whose
    elements must expire); nothing else opens."""
    expected = collapse([ipaddress.ip_network(c) for c in cidrs])

    def check(ruleset: Ruleset) -> Outcome:
        chain, rules = _chain(ruleset, "input")
        if chain is None or chain.get("policy") != "drop":
            return Outcome(False, "input chain missing or not policy drop")
        problems, sources, temporary = [], [], []
        for rule in (r for r in rules if r.verdict == "accept"):
            if rule.has("tcp dport"):
                source = rule.value("ip saddr") or rule.value("ip6 saddr")
                name = source[1:] if isinstance(source, str) and source.startswith("@") else None
                if ports(rule.value("tcp dport")) != {port} or name is None:
                    problems.append(f"opens: {rule.text}")
                elif name == ci_set:
                    if "timeout" not in ruleset.set_flags.get((*TABLE, name), set()):
                        problems.append(f"set {name} admits SSH without timeouts")
                    temporary.extend(ruleset.sets.get((*TABLE, name), []))
                else:
                    sources.extend(ruleset.sets.get((*TABLE, name), []))
            elif not _opens_nothing(rule):
                problems.append(f"opens: {rule.text}")
        seen = set_networks(sources)
        if seen != expected:
            problems.append("SSH sources " + (", ".join(map(str, seen)) or "none"))
        if problems:
            return Outcome(False, "; ".join(problems)[:400])
        ci = f" (+ CI, expiring: {len(temporary)})" if temporary else ""
        return Outcome(True, f"tcp {port} from {', '.join(map(str, seen))}{ci}")

    return _with_ruleset(check)


def metadata_blocked(address: str) -> Parser:
    """Parser: forward drops everything to `address`; output drops it for uid != 0; both before any accept."""

    def first_drop(rules: list[Rule], owner_only: bool) -> bool:
        for rule in rules:
            if rule.verdict == "accept" and not _opens_nothing(rule):
                return False
            if rule.verdict == "drop" and rule.value("ip daddr") == address:
                if not owner_only:
                    return len(rule.matches) == 1
                return any(k == "meta skuid" and op == "!=" and v == 0 for k, op, v in rule.matches)
        return False

    def check(ruleset: Ruleset) -> Outcome:
        forward = first_drop(_chain(ruleset, "forward")[1], owner_only=False)
        output = first_drop(_chain(ruleset, "output")[1], owner_only=True)
        shown = {True: "dropped", False: "OPEN"}
        actual = f"forward: {shown[forward]}; output (non-root): {shown[output]}"
        return Outcome(forward and output, actual)

    return _with_ruleset(check)


def egress_restricted(tcp: tuple[int, ...], udp: tuple[int, ...]) -> Parser:
    """Parser: output and forward drop by default and accept new traffic only to the allowed ports."""
    allowed = {"tcp": set(tcp), "udp": {*udp, 67}}  # 67: DHCP renewals from the host itself

    def check(ruleset: Ruleset) -> Outcome:
        problems, seen = [], {"tcp": set(), "udp": set()}
        for name in ("output", "forward"):
            chain, rules = _chain(ruleset, name)
            if chain is None or chain.get("policy") != "drop":
                problems.append(f"{name}: policy {chain.get('policy') if chain else 'missing'}")
                continue
            for rule in (r for r in rules if r.verdict == "accept"):
                protocol = "tcp" if rule.has("tcp dport") else "udp" if rule.has("udp dport") else None
                found = ports(rule.value(f"{protocol} dport")) if protocol else None
                if found is not None and found <= allowed[protocol]:
                    seen[protocol] |= found
                elif not _opens_nothing(rule):
                    problems.append(f"{name} opens: {rule.text}")
        actual = f"tcp {_join(tuple(sorted(seen['tcp'])))}; udp {_join(tuple(sorted(seen['udp'])))}"
        return Outcome(not problems, "; ".join(problems)[:400] or actual)

    return _with_ruleset(check)


def only_listeners(allowed: tuple[tuple[str, str], ...]) -> Parser:
    """Parser of `ss -Hltnup`: every socket on a non-loopback address belongs to an allowed process."""

    def evaluate(result: CommandResult) -> Outcome:
        failure = failed(result)
        if failure:
            return failure
        public = [(proto, host, port, name) for proto, host, port, name in listeners(result.stdout)
                  if not is_loopback(host)]
        extra = sorted({f"{proto}:{name}@{host}:{port}" for proto, host, port, name in public
                        if (proto, name) not in allowed})
        shown = sorted({f"{proto}:{name}:{port}" for proto, _, port, name in public})
        if extra:
            return Outcome(False, "unexpected: " + ", ".join(extra))
        return Outcome(True, ", ".join(shown) or "none")

    return evaluate
