"""The composed user_data of all roles: valid for cloud-init, small enough, stable, and only our keys."""

from __future__ import annotations

import os
import re
from functools import cache
from pathlib import Path

import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from role_specs import ROOT, admin_key, make_spec, run
from tools import cloud_init_schema_command

from bothost.cli.options import load_spec
from bothost.hostkeys import HostKeys, generate_host_keys
from bothost.role import RenderContext
from bothost.userdata import (
    APPLY_UNITS,
    ENSURE_PACKAGES,
    MAX_USER_DATA_BYTES,
    compose,
    file_text,
    render_user_data,
    role_checks,
)
from roles import all_roles
from roles.ssh import PLACEHOLDER

GOLDEN = Path(__file__).parent / "golden" / "example-user-data.yaml"
REGENERATE = "BOTHOST_REGEN_GOLDEN"  # set to 1 to rewrite the golden file after an intended change
PUBLIC_KEY = re.compile(r"(?:ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp\d+|sk-\S+@openssh\.com) "
                        r"(AAAA[0-9A-Za-z+/=]+)")


@cache
def host_keys() -> HostKeys:
    return generate_host_keys()


def rsa_admin_key(comment: str) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=4096).public_key()
    text = key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    return f"{text} {comment}"


@cache
def largest_spec():
    """The biggest realistic config: 10 admin keys (half RSA-4096), 20 CIDRs, Ubuntu, every option on."""
    keys = [admin_key(f"admin{i}@laptop-{i:02d}.example.org") for i in range(5)]
    keys += [rsa_admin_key(f"admin{i}@workstation-{i:02d}.example.org") for i in range(5, 10)]
    cidrs = [f"198.51.{i}.0/24" for i in range(10)] + [f"2001:db8:{i:x}::/48" for i in range(10)]
    return make_spec(image="ubuntu-24.04", adminSshKeys=keys, adminCidrs=cidrs, ipv6=True,
                     restrictEgress=True, sshPort=2222, adminUser="operations",
                     timezone="America/Argentina/Buenos_Aires")


SPECS = {
    "example": lambda: load_spec(ROOT / "Pulumi.example.yaml"),
    "egress+ipv6": lambda: make_spec(restrictEgress=True, ipv6=True,
                                     adminCidrs=["203.0.113.7/32", "2001:db8::/64"]),
    "ubuntu": lambda: make_spec(image="ubuntu-24.04", sshPort=2200),
    "largest": largest_spec,
}


@pytest.mark.parametrize("name", sorted(SPECS))
def test_cloud_init_accepts_user_data_with_real_host_keys(name: str, tmp_path: Path) -> None:
    text = render_user_data(SPECS[name](), RenderContext(host_keys()))
    path = tmp_path / "user-data"
    path.write_text(text)
    result = run([*cloud_init_schema_command(), str(path)])
    assert result.returncode == 0 and "Valid cloud-config" in result.stdout, result.stdout + result.stderr


def test_largest_config_fits_hetzner_limit() -> None:
    size = len(render_user_data(largest_spec(), RenderContext(host_keys())).encode())
    assert size <= MAX_USER_DATA_BYTES
    print(f"largest user_data: {size} bytes of {MAX_USER_DATA_BYTES}")


def test_render_is_byte_identical() -> None:
    spec = SPECS["egress+ipv6"]()
    keys = RenderContext(host_keys())
    assert render_user_data(spec, keys) == render_user_data(spec, keys)
    assert render_user_data(spec, RenderContext()) == render_user_data(spec, RenderContext())


def test_golden_example() -> None:
    text = render_user_data(load_spec(ROOT / "Pulumi.example.yaml"), RenderContext())
    if os.environ.get(REGENERATE):
        GOLDEN.write_text(text)
    assert GOLDEN.read_text() == text, f"user_data changed; if intended, rerun with {REGENERATE}=1"


@pytest.mark.parametrize("name", sorted(SPECS))
def test_only_configured_admin_keys_and_our_host_keys(name: str) -> None:
    spec = SPECS[name]()
    keys = host_keys()
    text = render_user_data(spec, RenderContext(keys))
    allowed = {line.split()[1] for line in (*spec.host.admin_ssh_keys, keys.ed25519_public, keys.rsa_public)}
    found = set(PUBLIC_KEY.findall(text))
    assert found == allowed
    document = yaml.safe_load(text)
    (user,) = document["users"]
    assert user["ssh_authorized_keys"] == list(spec.host.admin_ssh_keys)
    assert "ssh_authorized_keys" not in document  # nothing for the default user or root


def test_host_keys_real_or_placeholder() -> None:
    spec = SPECS["example"]()
    keys = host_keys()
    real = render_user_data(spec, RenderContext(keys))
    assert PLACEHOLDER not in real
    assert yaml.safe_load(real)["ssh_keys"]["rsa_private"] == keys.rsa_private
    preview = render_user_data(spec, RenderContext())
    assert PLACEHOLDER in preview and "PRIVATE KEY" not in preview


def test_every_role_appears_once_in_order() -> None:
    names = [role.name for role in all_roles()]
    host = ["base", "kernel", "ssh", "firewall", "time", "updates", "docker"]
    assert [name for name in names if name in host] == host  # other roles (the bot) may follow
    assert len(names) == len(set(names))
    ids = [check.id for check in role_checks(SPECS["largest"](), RenderContext())]
    assert len(ids) == len(set(ids))
    paths = [entry["path"] for entry in compose(SPECS["largest"](), RenderContext())["write_files"]]
    assert len(paths) == len(set(paths))


def test_firewall_and_sshd_agree_on_the_port() -> None:
    document = compose(make_spec(sshPort=2222), RenderContext())
    files = {entry["path"]: file_text(entry) for entry in document["write_files"]}
    assert "\nPort 2222\n" in files["/etc/ssh/sshd_config.d/01-bothost.conf"]
    assert "tcp dport 2222 ct state new ip saddr @admin_v4" in files["/etc/nftables.conf"]


def test_units_applied_in_one_step_before_any_role_command() -> None:
    """Every role's units in ONE step (one manager reload), after the packages and the masks."""
    runcmd = compose(make_spec(), RenderContext())["runcmd"]
    declared = [u for role in all_roles()
                for u in role.changes(role.settings(make_spec(), RenderContext())).enable_units]
    assert runcmd[0][3] == "ensure-packages"
    assert runcmd[1] == ["systemctl", "mask", "--no-reload", "systemd-journald-audit.socket"]
    assert runcmd[2] == ["sh", "-c", APPLY_UNITS, "apply-units", *dict.fromkeys(declared)]
    assert {"nftables.service", "docker.service", "bothost-ci-gate.timer"} <= set(declared)
    assert not any(c[:2] == ["systemctl", "enable"] or "mask" in c[:2] for c in runcmd[3:])
    assert ["systemctl", "daemon-reload"] not in runcmd  # the units' step reloads the manager once
    assert not any(c[:3] == ["systemctl", "restart", "docker.service"] for c in runcmd)


def fake_tools(tmp_path: Path, scripts: dict[str, str]) -> dict[str, str]:
    """PATH with fake commands that log their argv to calls.log, and the env to run a runcmd step."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, body in scripts.items():
        path = bin_dir / name
        path.write_text(f'#!/bin/sh\necho "{name} $*" >> {tmp_path}/calls.log\n{body}\n')
        path.chmod(0o755)
    return {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}


def calls(tmp_path: Path) -> list[str]:
    log = tmp_path / "calls.log"
    return log.read_text().splitlines() if log.exists() else []


def test_apply_units_enables_only_what_is_not_enabled_and_reloads_once(tmp_path: Path) -> None:
    """A unit already enabled is not enabled again (each SysV-scripted one costs two manager reloads)."""
    states = {"nftables.service": "disabled", "docker.service": "enabled", "auditd.service": "enabled",
              "bothost-ci-gate.timer": ""}
    shown = "\\n".join(f"Id={unit}\\nUnitFileState={state}\\n" for unit, state in states.items())
    env = fake_tools(tmp_path, {"systemctl": f'[ "$1" = show ] && printf "{shown}"; exit 0'})
    argv = ["sh", "-c", APPLY_UNITS, "apply-units", *states]
    assert run(argv, env=env).returncode == 0
    assert calls(tmp_path) == [
        "systemctl show -p Id,UnitFileState " + " ".join(states),
        "systemctl enable --no-reload nftables.service bothost-ci-gate.timer",
        "systemctl daemon-reload"]


def test_apply_units_with_everything_enabled_only_reloads(tmp_path: Path) -> None:
    shown = '[ "$1" = show ] && printf "Id=a.timer\\nUnitFileState=enabled\\n"; exit 0'
    env = fake_tools(tmp_path, {"systemctl": shown})
    assert run(["sh", "-c", APPLY_UNITS, "apply-units", "a.timer"], env=env).returncode == 0
    assert calls(tmp_path) == ["systemctl show -p Id,UnitFileState a.timer", "systemctl daemon-reload"]


def test_ensure_packages_installs_only_the_missing_ones(tmp_path: Path) -> None:
    """One dpkg-query for all packages; 'rc' (removed, config left) and unknown ones count as missing."""
    status = "ii sudo rc nftables ii docker.io "
    env = fake_tools(tmp_path, {"dpkg-query": f'printf "{status}"', "apt-get": "exit 0"})
    argv = ["sh", "-c", ENSURE_PACKAGES, "ensure-packages", "sudo", "nftables", "docker.io", "auditd"]
    assert run(argv, env=env).returncode == 0
    assert calls(tmp_path)[1:] == ["apt-get update -q",
                                   "apt-get install -y -q --no-install-recommends nftables auditd"]
    assert calls(tmp_path)[0].startswith("dpkg-query -W -f=")


def test_ensure_packages_with_everything_installed_touches_nothing(tmp_path: Path) -> None:
    env = fake_tools(tmp_path, {"dpkg-query": 'printf "ii sudo ii procps "', "apt-get": "exit 1"})
    assert run(["sh", "-c", ENSURE_PACKAGES, "ensure-packages", "sudo", "procps"], env=env).returncode == 0
    assert [c.split()[0] for c in calls(tmp_path)] == ["dpkg-query"]
