"""The firewall role: the ruleset loads with nft, and the checks read nft's real JSON correctly."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from role_specs import make_spec, require_root, run
from tools import nft_binary, require

from bothost.role import CommandResult, RenderContext
from bothost.templating import render
from roles.firewall import FirewallRole, FirewallSettings

SPECS = {
    "example": {},
    "egress": {"restrictEgress": True},
    "v4+v6": {"adminCidrs": ["203.0.113.7/32", "198.51.100.0/24", "2001:db8::/48"], "ipv6": True},
    "v6-only, port 2222, egress": {"adminCidrs": ["2001:db8:1::/64"], "sshPort": 2222,
                                   "restrictEgress": True},
    "overlapping": {"adminCidrs": ["10.0.0.0/8", "10.1.0.0/16", "192.0.2.1/32"]},
    "egress, binance streams": {"restrictEgress": True, "exchange": "binance", "exchangeApiKey": "k",
                                "exchangeApiSecret": "s"},
}
EXCHANGE_KEYS = {"exchangeApiKey": "k-123", "exchangeApiSecret": "s-456"}


@pytest.mark.parametrize(("exchange", "base", "tcp"), [
    (None, None, (53, 80, 443)),
    ("binance", None, (53, 80, 443, 9443)),  # spot streams on 9443
    ("okx", None, (53, 80, 443, 8443)),  # public and private websockets on 8443
    ("bybit", None, (53, 80, 443)),
    ("binance", "http://10.0.2.2:18443", (53, 80, 443, 9443, 18443)),  # an API base's own port
])
def test_egress_allows_the_ports_the_exchange_really_uses(exchange, base, tcp) -> None:
    extra = {} if exchange is None else {"exchange": exchange, **EXCHANGE_KEYS}
    if exchange == "okx":
        extra["exchangePassphrase"] = "p-789"
    if base:  # a local fake exchange: only with allowLocalApiBase
        extra.update(exchangeApiBase=base, allowLocalApiBase=True)
    s = settings(restrictEgress=True, **extra)
    assert s.egress_tcp == tcp
    assert f"tcp dport {{ {', '.join(map(str, tcp))} }}" in ruleset_text(s) or len(tcp) == 1


def settings(**overrides: object) -> FirewallSettings:
    return FirewallRole().settings(make_spec(**overrides), RenderContext())


def ruleset_text(s: FirewallSettings) -> str:
    return render("firewall/nftables.conf.j2", s=s)


@pytest.mark.parametrize("name", sorted(SPECS))
def test_ruleset_passes_nft_check(name: str, tmp_path: Path) -> None:
    path = tmp_path / "nftables.conf"
    path.write_text(ruleset_text(settings(**SPECS[name])))
    result = run([nft_binary(), "-c", "-f", str(path)])
    assert result.returncode == 0, result.stderr


def test_ruleset_never_flushes_other_tables() -> None:
    text = ruleset_text(settings(restrictEgress=True))
    statements = [line.strip() for line in text.splitlines() if not line.strip().startswith("#")]
    assert not any(line.startswith("flush") for line in statements)
    assert text.index("delete table inet bothost") < text.index("table inet bothost {")


def load(texts: list[str], tmp_path: Path) -> str:
    """Load rulesets one after another in a fresh network namespace; nft's JSON listing of the result."""
    require_root("a network namespace for nft")
    require("unshare (util-linux)", shutil.which("unshare"))
    files = []
    for index, text in enumerate(texts):
        path = tmp_path / f"r{index}.nft"
        path.write_text(text)
        files.append(f"nft -f {path}")
    result = run(["unshare", "--net", "sh", "-c", " && ".join([*files, "nft -j list ruleset"])])
    if result.returncode != 0 and "unshare" in result.stderr:
        pytest.skip(f"no network namespaces here: {result.stderr.strip()}")
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("name", sorted(SPECS))
def test_checks_pass_on_the_loaded_ruleset(name: str, tmp_path: Path) -> None:
    s = settings(**SPECS[name])
    text = ruleset_text(s)
    # Loaded twice (a reload), next to a table like Docker's, which must survive.
    docker = "table ip filter {\n chain FORWARD { type filter hook forward priority 0; policy drop; }\n}\n"
    listing = load([docker, text, text], tmp_path)
    assert '"name": "FORWARD"' in listing.replace('":"', '": "')
    result = CommandResult(0, listing)
    checks = [c for c in FirewallRole().checks(s) if c.command == ("nft", "-j", "list", "ruleset")]
    assert {c.id for c in checks} == ({"fw-01", "fw-02", "fw-03", "fw-04"} if s.restrict_egress
                                      else {"fw-01", "fw-02", "fw-03"})
    for check in checks:
        outcome = check.evaluate(result)
        assert outcome.passed, (check.id, outcome.actual)


WEAKENED = [
    ("fw-01", "policy drop;\n        # The host talks", "policy accept;\n        # The host talks"),
    ("fw-02", "udp sport 67 udp dport 68 accept", "tcp dport 80 accept"),
    ("fw-02", "ct state established,related accept\n        # Packets",
     "ct state established,related,new accept\n        # Packets"),
    ("fw-02", "elements = { 203.0.113.7/32 }", "elements = { 203.0.113.0/24 }"),
    ("fw-02", "tcp dport 22 ct state new ip saddr @admin_v4", "tcp dport 22 ct state new"),
    ("fw-02", "type ipv4_addr\n        flags timeout\n", "type ipv4_addr\n"),  # CI set that never expires
    ("fw-03", "        ip daddr 169.254.169.254 drop\n", "        ip daddr 169.254.169.254 accept\n"),
    ("fw-03", "ip daddr 169.254.169.254 meta skuid != 0 drop", "ip daddr 169.254.169.254 meta skuid 0 drop"),
    ("fw-04", "tcp dport { 53, 80, 443 } accept", "tcp dport { 53, 80, 443, 6667 } accept"),
    ("fw-04", "udp sport 68 udp dport 67 accept", "ip daddr 192.0.2.1 accept"),
]


@pytest.mark.parametrize(("check_id", "old", "new"), WEAKENED)
def test_checks_fail_on_a_weakened_ruleset(check_id: str, old: str, new: str, tmp_path: Path) -> None:
    s = settings(restrictEgress=True)
    text = ruleset_text(s)
    assert old in text
    check = next(c for c in FirewallRole().checks(s) if c.id == check_id)
    outcome = check.evaluate(CommandResult(0, load([text.replace(old, new, 1)], tmp_path)))
    assert not outcome.passed, outcome.actual


def test_ci_runner_admitted_while_its_element_lives(tmp_path: Path) -> None:
    s = settings()
    text = ruleset_text(s) + "add element inet bothost ci_v4 { 198.51.100.99 timeout 10m }\n"
    outcome = next(c for c in FirewallRole().checks(s) if c.id == "fw-02").evaluate(
        CommandResult(0, load([text], tmp_path)))
    assert outcome.passed and "CI, expiring: 1" in outcome.actual, outcome.actual


def test_checks_fail_without_our_table() -> None:
    empty = CommandResult(0, '{"nftables": [{"metainfo": {"version": "1.0.6", "json_schema_version": 1}}]}')
    for check in FirewallRole().checks(settings(restrictEgress=True)):
        if check.command == ("nft", "-j", "list", "ruleset"):
            assert not check.evaluate(empty).passed, check.id
            assert not check.evaluate(CommandResult(1, "", "Operation not permitted")).passed
            assert not check.evaluate(CommandResult(0, "not json")).passed


SS_OK = (
    'tcp LISTEN 0 128 0.0.0.0:22 0.0.0.0:* users:(("sshd",pid=612,fd=3))\n'
    'tcp LISTEN 0 4096 127.0.0.1:8080 0.0.0.0:* users:(("docker-proxy",pid=900,fd=4))\n'
    'udp UNCONN 0 0 0.0.0.0%eth0:68 0.0.0.0:* users:(("dhclient",pid=431,fd=7))\n'
    'udp UNCONN 0 0 127.0.0.53%lo:53 0.0.0.0:* users:(("systemd-resolve",pid=401,fd=13))\n'
)


@pytest.mark.parametrize(("stdout", "passed"), [
    (SS_OK, True),
    (SS_OK + 'tcp LISTEN 0 4096 0.0.0.0:8080 0.0.0.0:* users:(("docker-proxy",pid=901,fd=4))\n', False),
    (SS_OK + 'tcp LISTEN 0 4096 [::]:9100 [::]:* users:(("node_exporter",pid=77,fd=3))\n', False),
    (SS_OK + 'udp UNCONN 0 0 0.0.0.0:5353 0.0.0.0:* users:(("avahi-daemon",pid=5,fd=12))\n', False),
])
def test_only_sshd_listens_publicly(stdout: str, passed: bool) -> None:
    check = next(c for c in FirewallRole().checks(settings()) if c.id == "fw-06")
    assert check.command == ("ss", "-Hltnup")
    assert check.evaluate(CommandResult(0, stdout)).passed is passed


@pytest.mark.parametrize(("stdout", "passed"), [
    ("Id=nftables.service\nUnitFileState=enabled\nActiveState=active\n", True),
    ("Id=nftables.service\nUnitFileState=disabled\nActiveState=active\n", False),
    ("Id=nftables.service\nUnitFileState=enabled\nActiveState=failed\n", False),
])
def test_nftables_enabled(stdout: str, passed: bool) -> None:
    check = next(c for c in FirewallRole().checks(settings()) if c.id == "fw-05")
    assert check.evaluate(CommandResult(0, stdout)).passed is passed


def test_unit_override_keeps_docker_tables_on_stop() -> None:
    files = {f.path: f.content for f in FirewallRole().changes(settings()).files}
    override = files["/etc/systemd/system/nftables.service.d/10-bothost.conf"]
    assert "ExecStop=\n" in override and "nft delete table inet bothost" in override
    assert "flush" not in override.split("[Service]")[1].replace("nft flush ruleset\" on stop", "")
