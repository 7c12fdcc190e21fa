"""The ssh role: its drop-in passes sshd's own validation, wins over cloud-init's, and satisfies ssh-audit."""

from __future__ import annotations

import dataclasses
import json
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from role_specs import make_spec, require_root, run
from ssh_audit.builtin_policies import BUILTIN_POLICIES
from tools import moduli_file, sshd_binary

from bothost.hostkeys import generate_host_keys
from bothost.role import CommandResult, RenderContext
from bothost.templating import render
from roles.ssh import CRYPTO, FILTER_MODULI, PLACEHOLDER, SshRole, SshSettings

AUTO_ADDED = ("ext-info-s", "kex-strict-s-v00@openssh.com")  # the server appends these itself
CLOUD_INIT_DROPIN = "PasswordAuthentication yes\nPermitRootLogin yes\nKbdInteractiveAuthentication yes\n"


@pytest.mark.parametrize("image", sorted(CRYPTO))
def test_crypto_lists_are_exactly_the_policy(image: str) -> None:
    s = SshRole().settings(make_spec(image=image), RenderContext())
    policy = BUILTIN_POLICIES[s.audit_policy]
    assert list(s.kex) == [k for k in policy["kex"] if k not in AUTO_ADDED]
    assert list(s.ciphers) == policy["ciphers"]
    assert list(s.macs) == policy["macs"]
    assert list(s.host_key_algorithms) == policy["host_keys"]
    assert policy["dh_modulus_sizes"]["diffie-hellman-group-exchange-sha256"] == s.min_dh_modulus_bits


@pytest.fixture(scope="module")
def sshd_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Host keys and filtered moduli in a temp dir, as first boot leaves them."""
    require_root("sshd -t needs /run/sshd")
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    root = tmp_path_factory.mktemp("sshd")
    keys = generate_host_keys()
    for name, text in (("ed25519", keys.ed25519_private), ("rsa", keys.rsa_private)):
        (root / f"host_{name}").write_text(text)
        (root / f"host_{name}").chmod(0o600)
    # The role's own filter, reading the moduli install.sh unpacked when the system has none.
    script = FILTER_MODULI.replace("/etc/ssh/moduli", shlex.quote(str(moduli_file())))
    result = run(["sh", "-c", script, "filter-moduli", "3072", str(root / "moduli")])
    assert result.returncode == 0, result.stderr
    return root


def local_settings(root: Path, **overrides: object) -> SshSettings:
    """Settings of the example spec, with file paths moved into the temp dir."""
    s = SshRole().settings(make_spec(**overrides), RenderContext())
    return dataclasses.replace(s, host_key_files=(str(root / "host_ed25519"), str(root / "host_rsa")),
                               moduli_file=str(root / "moduli"))


def write_config(root: Path, s: SshSettings | None, extra: str = "") -> Path:
    """A Debian-like sshd_config: drop-ins included first, cloud-init's permissive one after ours."""
    dropins = root / f"d-{id(s)}"
    dropins.mkdir(exist_ok=True)
    if s is not None:
        (dropins / "01-bothost.conf").write_text(render("ssh/01-bothost.conf.j2", s=s) + extra)
    else:
        keys = "".join(f"HostKey {root / name}\n" for name in ("host_ed25519", "host_rsa"))
        (dropins / "00-keys.conf").write_text(keys)
    (dropins / "50-cloud-init.conf").write_text(CLOUD_INIT_DROPIN)
    main = dropins / "sshd_config"
    main.write_text(f"Include {dropins}/*.conf\nPidFile {root}/sshd.pid\nUsePAM yes\n")
    return main


@pytest.mark.parametrize("overrides", [{}, {"sshPort": 2222, "adminUser": "ops"}, {"ipv6": True}])
def test_dropin_passes_sshd_t_and_every_check(sshd_dir: Path, overrides: dict) -> None:
    s = local_settings(sshd_dir, **overrides)
    main = write_config(sshd_dir, s)
    assert run([sshd_binary(), "-t", "-f", str(main)]).returncode == 0
    effective = run([sshd_binary(), "-T", "-f", str(main)])
    assert effective.returncode == 0, effective.stderr
    result = CommandResult(0, effective.stdout)
    for check in SshRole().checks(s)[:10]:
        assert check.command == ("/usr/sbin/sshd", "-T")
        assert check.evaluate(result).passed, (check.id, check.evaluate(result).actual)


FREQTRADE = {"bot": {"preset": "freqtrade"}, "botSecrets": {"apiPassword": "x"}}


def test_freqtrade_api_is_the_only_tunnel(sshd_dir: Path) -> None:
    with_api = local_settings(sshd_dir, **FREQTRADE)
    assert with_api.tunnel_ports == (8080,)
    assert local_settings(sshd_dir).tunnel_ports == ()
    effective = run([sshd_binary(), "-T", "-f", str(write_config(sshd_dir, with_api))])
    assert effective.returncode == 0, effective.stderr
    result = CommandResult(0, effective.stdout)
    assert "permitopen 127.0.0.1:8080" in effective.stdout
    check = {c.id: c for c in SshRole().checks(with_api)}["ssh-04"]
    assert check.evaluate(result).passed, check.evaluate(result).actual
    # The no-bot expectation (no forwarding at all) is not met by the tunnel config, and vice versa.
    strict = {c.id: c for c in SshRole().checks(local_settings(sshd_dir))}["ssh-04"]
    assert not strict.evaluate(result).passed
    no_tunnel = run([sshd_binary(), "-T", "-f", str(write_config(sshd_dir, local_settings(sshd_dir)))])
    assert not check.evaluate(CommandResult(0, no_tunnel.stdout)).passed


def test_stock_config_fails_the_checks(sshd_dir: Path) -> None:
    main = write_config(sshd_dir, None)
    result = CommandResult(0, run([sshd_binary(), "-T", "-f", str(main)]).stdout)
    s = local_settings(sshd_dir)
    outcomes = {check.id: check.evaluate(result) for check in SshRole().checks(s)[:10]}
    assert [i for i, o in outcomes.items() if o.passed] == []
    assert "passwordauthentication=yes" in outcomes["ssh-01"].actual


def test_sshd_t_rejects_a_broken_dropin(sshd_dir: Path) -> None:
    main = write_config(sshd_dir, local_settings(sshd_dir), extra="NoSuchDirective yes\n")
    assert run([sshd_binary(), "-t", "-f", str(main)]).returncode != 0


def test_filtered_moduli_pass_the_check(sshd_dir: Path) -> None:
    check = next(c for c in SshRole().checks(local_settings(sshd_dir)) if c.id == "ssh-11")
    output = run(list(check.command))
    assert check.evaluate(CommandResult(output.returncode, output.stdout)).passed
    unfiltered = run(["awk", "$1 !~ /^#/ {print $5 + 1}", str(moduli_file())]).stdout
    assert not check.evaluate(CommandResult(0, unfiltered + "2048\n")).passed
    assert not check.evaluate(CommandResult(0, "")).passed
    assert not check.evaluate(CommandResult(2, "", "awk: cannot open")).passed


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_live_sshd_passes_ssh_audit_policy(sshd_dir: Path) -> None:
    port = free_port()
    s = dataclasses.replace(local_settings(sshd_dir), port=port)
    main = write_config(sshd_dir, s, extra="ListenAddress 127.0.0.1\n")
    audit = audit_live_sshd(main, port, s.audit_policy)
    assert audit.returncode == 0, audit.stdout


def test_live_stock_sshd_fails_ssh_audit_policy(tmp_path: Path) -> None:
    """The control: Debian 12's sshd with its stock settings and the host keys its postinst makes (RSA 3072,
    ECDSA, Ed25519) fails the policy bothost's sshd passes, so the audit can tell the two apart."""
    require_root("sshd needs /run/sshd")
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    keys = ""
    for kind, bits in (("rsa", "3072"), ("ecdsa", "256"), ("ed25519", "256")):
        key = tmp_path / f"ssh_host_{kind}_key"
        assert run(["ssh-keygen", "-q", "-t", kind, "-b", bits, "-N", "", "-f", str(key)]).returncode == 0
        keys += f"HostKey {key}\n"
    port = free_port()
    stock = tmp_path / "sshd_config"  # Debian 12's shipped settings; every other one is OpenSSH's default
    stock.write_text(f"{keys}PidFile {tmp_path}/sshd.pid\nListenAddress 127.0.0.1\nPort {port}\n"
                     "KbdInteractiveAuthentication no\nUsePAM yes\nX11Forwarding yes\nPrintMotd no\n"
                     "AcceptEnv LANG LC_*\nSubsystem sftp /usr/lib/openssh/sftp-server\n")
    audit = audit_live_sshd(stock, port, local_settings(tmp_path).audit_policy)
    report = json.loads(audit.stdout)
    assert audit.returncode == 3 and report["passed"] is False, audit.stdout
    fields = {error.get("mismatched_field") for error in report["errors"]}
    assert {"Host keys", "Key exchanges", "Ciphers", "MACs"} <= fields, fields


def audit_live_sshd(config: Path, port: int, policy: str) -> subprocess.CompletedProcess:
    """ssh-audit's JSON verdict on an sshd started with `config` on 127.0.0.1:port (stopped afterwards)."""
    daemon = subprocess.Popen([sshd_binary(), "-D", "-f", str(config)], stderr=subprocess.PIPE)
    try:
        for _ in range(50):  # until it listens (5 s at most)
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        return run([sys.executable, "-m", "ssh_audit", "-j", "-P", policy, "-p", str(port), "127.0.0.1"])
    finally:
        daemon.terminate()
        daemon.wait(timeout=5)


@pytest.mark.parametrize(("stdout", "passed"), [
    ('tcp LISTEN 0 128 0.0.0.0:22 0.0.0.0:* users:(("sshd",pid=5,fd=3))\n', True),
    ('tcp LISTEN 0 128 0.0.0.0:2222 0.0.0.0:* users:(("sshd",pid=5,fd=3))\n', False),
    ('tcp LISTEN 0 128 0.0.0.0:22 0.0.0.0:* users:(("sshd",pid=5,fd=3))\n'
     'tcp LISTEN 0 128 0.0.0.0:2200 0.0.0.0:* users:(("sshd",pid=5,fd=4))\n', False),
    ("", False),
])
def test_listening_check(stdout: str, passed: bool) -> None:
    check = next(c for c in SshRole().checks(SshSettings(admin_user="bothost")) if c.id == "ssh-12")
    assert check.command == ("ss", "-Hltnup")  # -u adds the Netid column the parser reads
    assert check.evaluate(CommandResult(0, stdout)).passed is passed


@pytest.mark.parametrize(("check_id", "probe", "good", "bad"), [
    ("ssh-13", "ssh-auth-methods", "publickey", "keyboard-interactive,password,publickey"),
    ("ssh-14", "ssh-root-login", "refused", "accepted"),
])
def test_probe_checks(check_id: str, probe: str, good: str, bad: str) -> None:
    check = next(c for c in SshRole().checks(SshSettings(admin_user="bothost")) if c.id == check_id)
    assert (check.command, check.probe, check.expected) == (None, probe, good)
    assert check.evaluate(CommandResult(0, good + "\n")).passed
    assert not check.evaluate(CommandResult(0, bad)).passed
    assert not check.evaluate(CommandResult(1, "", "connection refused")).passed


def test_host_keys_placeholders_or_real() -> None:
    role = SshRole()
    preview = role.changes(role.settings(make_spec(), RenderContext())).cloud_config["ssh_keys"]
    assert set(preview.values()) == {PLACEHOLDER}
    keys = generate_host_keys()
    real = role.changes(role.settings(make_spec(), RenderContext(keys))).cloud_config["ssh_keys"]
    assert real["ed25519_private"] == keys.ed25519_private and real["rsa_public"] == keys.rsa_public


def test_ubuntu_switches_from_socket_to_service() -> None:
    role = SshRole()
    ubuntu = role.changes(role.settings(make_spec(image="ubuntu-24.04"), RenderContext())).commands
    debian = role.changes(role.settings(make_spec(), RenderContext())).commands
    assert ("systemctl", "disable", "--now", "ssh.socket") in ubuntu
    assert not any("ssh.socket" in argv for argv in debian)
    assert ubuntu[-1][:2] == ("sh", "-c") and "sshd -t" in ubuntu[-1][2]  # validated before restart, last


DROPIN_SEEN = "/etc/ssh/sshd_config.d/01-bothost.conf 0600 root:root\n"


@pytest.mark.parametrize(("stdout", "passed"), [
    ("/etc/ssh/sshd_config 0600 root:root\n" + DROPIN_SEEN, True),
    ("/etc/ssh/sshd_config 0644 root:root\n" + DROPIN_SEEN, False),  # Debian's default
    ("/etc/ssh/sshd_config 0600 bothost:root\n" + DROPIN_SEEN, False),
    ("/etc/ssh/sshd_config absent\n" + DROPIN_SEEN, False),
    ("", False),
])
def test_sshd_configuration_root_only_check(stdout: str, passed: bool) -> None:
    s = SshRole().settings(make_spec(), RenderContext())
    check = next(c for c in SshRole().checks(s) if c.id == "ssh-15")
    assert check.evaluate(CommandResult(0, stdout)).passed is passed
    changes = SshRole().changes(s)
    assert ("chmod", "0600", "/etc/ssh/sshd_config") in changes.commands
    assert next(f for f in changes.files if f.path.endswith("01-bothost.conf")).mode == "0600"
