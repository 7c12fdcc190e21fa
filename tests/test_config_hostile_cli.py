"""Hostile input through the real command line: one line on stderr, exit 2, nothing printed or created;
plain-text key material refused by every verb; admin networks that pass always render a ruleset nft loads."""

from __future__ import annotations

import ipaddress
import random
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hostile_stack import EXCHANGE, SENTINEL, load, write_stack
from role_specs import make_spec, run
from test_roles_firewall import ruleset_text
from tools import nft_binary

from bothost.cli import cli
from bothost.config.cidrs import parse_cidrs
from bothost.errors import ConfigError
from bothost.role import RenderContext
from roles.firewall import FirewallRole

ED25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHM8p2zW3ZlsbqQcNq2BNa0RDk8vg9k3Jw+VslVkRqDs"


def bothost(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The installed entry point (`bothost.cli:main`), as a user runs it."""
    return subprocess.run([sys.executable, "-c", "from bothost.cli import main; main()", *args], cwd=cwd,
                          capture_output=True, text=True, check=False, timeout=120)


@pytest.mark.parametrize("snippet", [
    "  bothost:bot:\n    image: busybox\n    dataDir: /./etc\n",
    "  bothost:sshPort: 22\n  bothost:sshPort: 23\n",
    f"  bothost:bot:\n    image: busybox\n  bothost:botSecrets: '{SENTINEL}\n  x'\n",
    "  bothost:location: \"fsn1\\n\\rERROR: forged\"\n",
], ids=["dataDir", "duplicate", "secret", "newline"])
def test_render_fails_in_one_line_and_prints_nothing(snippet: str, tmp_path: Path) -> None:
    path = write_stack(tmp_path, snippet)
    before = sorted(tmp_path.iterdir())
    done = bothost("render", "--config", str(path), cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert done.stderr.startswith("Error: ") and done.stderr.count("\n") == 1, done.stderr
    assert "Traceback" not in done.stderr and SENTINEL not in done.stderr
    assert sorted(tmp_path.iterdir()) == before


VERBS = {
    "render": [],
    "deploy": ["--host", "127.0.0.1", "--host-key", ED25519],
    "audit-key": ["--host", "127.0.0.1", "--host-key", ED25519],
    "verify": ["--host", "127.0.0.1", "--host-key", ED25519],
    "status": ["--host", "127.0.0.1", "--host-key", ED25519],
    "logs": ["--host", "127.0.0.1", "--host-key", ED25519],
    "stop": ["--host", "127.0.0.1", "--host-key", ED25519],
    "rehearse": [],
}


@pytest.mark.parametrize("verb", sorted(VERBS))
def test_every_verb_refuses_plain_key_material(verb: str, tmp_path: Path) -> None:
    plain = EXCHANGE.replace("bothost:exchangeApiSecret:\n    secure: v1:BBBB",
                             f"bothost:exchangeApiSecret: {SENTINEL}")
    path = write_stack(tmp_path, "  bothost:bot:\n    image: busybox\n" + plain)
    result = CliRunner().invoke(cli, [verb, "--config", str(path), *VERBS[verb]])
    assert isinstance(result.exception, ConfigError), result.output
    assert result.exception.key == "bothost:exchangeApiSecret" and "plain text" in str(result.exception)
    assert SENTINEL not in result.output + str(result.exception)


@pytest.mark.parametrize("line", [
    "garbage",
    "ssh-ed25519",
    "ssh-ed25519 !!!notbase64",
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA",  # truncated
    "ssh-rsa " + ED25519.split()[1],  # an ed25519 blob labelled RSA
    "ssh-dss AAAAB3NzaC1kc3MAAACBAP",
    "sk-ssh-ed25519@openssh.com AAAA",
    ED25519 + "\nssh-ed25519 AAAA",
    "-oProxyCommand=sh",
])
def test_malformed_host_key_is_one_line(line: str, tmp_path: Path) -> None:
    path = write_stack(tmp_path, "")
    done = bothost("verify", "--config", str(path), "--host", "127.0.0.1", "--host-key", line, cwd=tmp_path)
    assert done.returncode == 2
    assert "Invalid value for '--host-key'" in done.stderr and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("Error: Invalid value for '--host-key'")


@pytest.mark.parametrize("networks", [
    ["203.0.113.7/32"],
    ["10.0.0.0/8", "203.0.113.7/32", "203.0.113.8/31"],
    ["172.16.0.0/16", "100.64.0.0/10"],
    ["2001:db8::/48", "2001:db8:1::/64", "198.51.100.0/24"],
    ["1.0.0.0/8", "2.0.0.0/8"],
], ids=["one", "private+overlap", "near-docker", "v6", "two-/8s"])
def test_accepted_admin_networks_render_a_ruleset_nft_loads(networks: list[str], tmp_path: Path) -> None:
    snippet = "  bothost:ipv6: true\n  bothost:adminCidrs:\n" + "".join(f"    - '{n}'\n" for n in networks)
    spec = load(write_stack(tmp_path, snippet))
    ruleset = tmp_path / "nftables.conf"
    ruleset.write_text(ruleset_text(FirewallRole().settings(spec, RenderContext())))
    result = run([nft_binary(), "-c", "-f", str(ruleset)])
    assert result.returncode == 0, result.stderr


def random_network(rng: random.Random) -> str:
    """A network as a user might write it, sometimes with a zone id, host bits, or in a special range."""
    if rng.random() < 0.5:
        address = ipaddress.IPv4Address(rng.getrandbits(32))
        prefix = rng.randint(6, 32)
    else:
        base = rng.choice([0x2001 << 112, 0xFE80 << 112, 0xFFFF << 32, 0x2A01 << 112, 0])
        address = ipaddress.IPv6Address(base | rng.getrandbits(96))
        prefix = rng.randint(28, 128)
    network = ipaddress.ip_network(f"{address}/{prefix}", strict=False)
    text = str(network) if rng.random() < 0.8 else f"{address}/{prefix}"
    return text.replace("/", "%eth0/") if rng.random() < 0.05 else text


def test_random_networks_that_pass_render_a_ruleset_nft_loads(tmp_path: Path) -> None:
    rng = random.Random(20261129)
    accepted = []
    for _ in range(600):
        text = random_network(rng)
        try:
            accepted.extend(parse_cidrs("bothost:adminCidrs", (text,), False))
        except ConfigError as error:
            assert "\n" not in str(error)
    assert len(accepted) > 100  # the generator mostly writes usable networks
    for start in range(0, len(accepted), 50):
        chunk = list(dict.fromkeys(accepted[start:start + 50]))
        spec = make_spec(adminCidrs=chunk, allowSshFromAnywhere=True, ipv6=True)
        ruleset = tmp_path / f"nftables-{start}.conf"
        ruleset.write_text(ruleset_text(FirewallRole().settings(spec, RenderContext())))
        result = run([nft_binary(), "-c", "-f", str(ruleset)])
        assert result.returncode == 0, result.stderr
