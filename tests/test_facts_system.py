"""System facts (bothost/facts/system.py) and the check parsers built on them (roles/expect.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from tools import require

from bothost.facts.system import (
    TIMEDATE_SHOW,
    apt_config,
    core_limit_argv,
    fold_unit_commands,
    group_argv,
    is_loopback,
    key_values,
    listeners,
    modules_argv,
    password_status_argv,
    process_count_argv,
    sshd_options,
    sysctl_argv,
    unit_command,
    unit_states,
    units_read_by,
)
from bothost.role import CommandResult
from roles.expect import expect_mapping, expect_units

SSHD_T = "port 22\nhostkey /etc/ssh/a\nhostkey /etc/ssh/b\nPermitRootLogin no\n"
SYSTEMCTL = ("Id=apt-daily.timer\nUnitFileState=enabled\nActiveState=active\n\n"
             "Id=apt-daily-upgrade.timer\nUnitFileState=disabled\nActiveState=inactive\n")
SS = (
    'tcp   LISTEN 0      128          0.0.0.0:22        0.0.0.0:*    users:(("sshd",pid=512,fd=3))\n'
    'tcp   LISTEN 0      4096   127.0.0.53%lo:53   0.0.0.0:*    users:(("systemd-resolve",pid=1,fd=14))\n'
    'tcp   LISTEN 0      128             [::]:2222         [::]:*    users:(("sshd",pid=512,fd=4))\n'
    'udp   UNCONN 0      0      0.0.0.0%eth0:68        0.0.0.0:*    users:(("dhclient",pid=300,fd=7))\n'
)


def test_sshd_options_collects_repeated_keys_and_lowercases() -> None:
    assert sshd_options(SSHD_T) == {"port": ["22"], "hostkey": ["/etc/ssh/a", "/etc/ssh/b"],
                                    "permitrootlogin": ["no"]}


def test_apt_config_lists_scalars_and_case() -> None:
    dump = ('DPkg::Options "";\nDPkg::Options:: "--force-confdef";\nDPkg::Options:: "--force-confold";\n'
            'Unattended-Upgrade::Origins-Pattern "";\nAPT::Periodic::Unattended-Upgrade "1";\n')
    config = apt_config(dump)
    assert config.get("Dpkg::Options") == ["--force-confdef", "--force-confold"]
    assert config.get("apt::periodic::unattended-upgrade") == ["1"]
    assert config.get("Unattended-Upgrade::Origins-Pattern") is None  # cleared list: header only


def test_key_values_and_units() -> None:
    assert key_values("kernel.sysrq = 0\nnet.ipv4.ip_forward = 1\n") == {"kernel.sysrq": "0",
                                                                         "net.ipv4.ip_forward": "1"}
    assert unit_states(SYSTEMCTL)["apt-daily-upgrade.timer"]["ActiveState"] == "inactive"


@pytest.mark.parametrize(("stdout", "status", "passed"), [
    ("port 22\nhostkey /etc/ssh/a\nhostkey /etc/ssh/b\n", 0, True),
    ("port 2222\nhostkey /etc/ssh/a\nhostkey /etc/ssh/b\n", 0, False),
    ("port 22\nhostkey /etc/ssh/a\n", 0, False),  # a missing host key
    ("port 22\nhostkey /etc/ssh/a\nhostkey /etc/ssh/b\nhostkey /etc/ssh/c\n", 0, False),  # an extra one
    ("", 255, False),
])
def test_expect_mapping(stdout: str, status: int, passed: bool) -> None:
    evaluate = expect_mapping(sshd_options, {"port": "22", "hostkey": ["/etc/ssh/a", "/etc/ssh/b"]})
    assert evaluate(CommandResult(status, stdout, "boom")).passed is passed


@pytest.mark.parametrize(("expected", "passed"), [
    ({"apt-daily.timer": {"UnitFileState": "enabled", "ActiveState": "active"}}, True),
    ({"apt-daily-upgrade.timer": {"UnitFileState": "enabled", "ActiveState": "active"}}, False),
    ({"missing.timer": {"ActiveState": "active"}}, False),
])
def test_expect_units(expected: dict, passed: bool) -> None:
    assert expect_units(expected)(CommandResult(0, SYSTEMCTL)).passed is passed


def test_listeners_parse_ss_lines() -> None:
    assert listeners(SS) == [("tcp", "0.0.0.0", 22, "sshd"), ("tcp", "127.0.0.53", 53, "systemd-resolve"),
                             ("tcp", "::", 2222, "sshd"), ("udp", "0.0.0.0", 68, "dhclient")]
    assert is_loopback("127.0.0.53") and is_loopback("::1") and not is_loopback("0.0.0.0")


def test_unit_commands_fold_into_one_and_each_gets_its_own_blocks() -> None:
    """Every role's `systemctl show` is read by one systemctl start; each check sees only its units."""
    docker, timers = unit_command("docker.service"), unit_command("apt-daily.timer", "a.timer")
    other = ("cat", "/etc/issue")
    commands, unfold = fold_unit_commands([docker, other, timers])
    shared = unit_command("docker.service", "apt-daily.timer", "a.timer")
    assert commands == [other, shared]
    shown = "".join(f"Id={unit}\nUnitFileState=enabled\nActiveState=active\n\n"
                    for unit in ("docker.service", "apt-daily.timer", "a.timer"))
    outputs = {other: CommandResult(0, "x"), shared: CommandResult(0, shown)}
    unfold(outputs)
    assert set(outputs) == {other, docker, timers}
    assert list(unit_states(outputs[docker].stdout)) == ["docker.service"]
    assert list(unit_states(outputs[timers].stdout)) == ["apt-daily.timer", "a.timer"]
    assert units_read_by(other) == () and units_read_by(("systemctl", "show", "x.service")) == ()


def test_a_single_unit_command_is_left_alone() -> None:
    commands, unfold = fold_unit_commands([unit_command("a.service"), ("true",)])
    assert commands == [unit_command("a.service"), ("true",)]
    outputs = {unit_command("a.service"): CommandResult(0, "Id=a.service\n")}
    unfold(outputs)
    assert outputs == {unit_command("a.service"): CommandResult(0, "Id=a.service\n")}



def _both(fact: tuple[str, ...], tool: list[str], env: dict[str, str] | None = None) -> list[CommandResult]:
    """The in-process fact and the tool it stands for, run here: [fact, tool] results."""
    import subprocess
    import sys

    ran = [subprocess.run(argv, capture_output=True, text=True, env=env)
           for argv in ([sys.executable, *fact[1:]], tool)]
    return [CommandResult(r.returncode, r.stdout, "") for r in ran]


def test_python_facts_print_what_the_tools_print(tmp_path) -> None:
    """Each in-process fact gives the parsers the same text and status as the tool it replaces."""

    names = ("kernel.pid_max", "net.ipv4.ip_local_port_range", "no.such.key", "kernel.ostype")
    fact, tool = _both(sysctl_argv(*names), ["sysctl", "-e", *names])
    assert fact == tool and "kernel.ostype = Linux" in fact.stdout
    for group in ("root", "no-such-group-here"):
        fact, tool = _both(group_argv(group), ["getent", "group", group])
        assert fact == tool
    for name in ("sh", "systemd", "no-such-process"):
        fact, tool = _both(process_count_argv(name), ["pgrep", "-c", "-x", name])
        assert fact.exit_status == tool.exit_status and fact.stdout.strip().isdigit()
    fact, tool = _both(process_count_argv("no-such-process"), ["pgrep", "-c", "-x", "no-such-process"])
    assert fact == tool == CommandResult(1, "0\n", "")
    fact, tool = _both(core_limit_argv(), ["sh", "-c", "ulimit -H -c"])
    assert fact == tool
    for user in ("root", "nobody", "no-such-user"):
        fact, tool = _both(password_status_argv(user), ["passwd", "--status", user])
        assert fact.exit_status == tool.exit_status and fact.stdout.split() == tool.stdout.split()[:2]


def test_modules_fact_reads_modprobe_config_as_kmod_does(tmp_path) -> None:
    """The in-process reading of modprobe.d gives the install/blacklist lines of the real `modprobe
    --showconfig` (kmod), in its order, over directories with the shapes kmod handles: a file hidden by the
    same name earlier, sorting across directories, hidden and non-.conf files, continuations, indentation,
    comments, words kmod ignores, tabs, dashes in names; then /proc/modules."""
    import os
    import shutil

    modprobe = shutil.which("modprobe", path=f"{os.environ['PATH']}:/usr/sbin:/sbin")
    require("modprobe (kmod)", modprobe)
    first, second, empty = tmp_path / "etc", tmp_path / "lib", tmp_path / "modules"
    for folder in (first, second, empty):
        folder.mkdir()
    (first / "a.conf").write_text(
        "blacklist foo-bar\ninstall foo-bar /bin/true  # kept\n# comment\ninstall  dccp   /bin/false \\\n"
        "  --and more\nblacklist\tusb-storage\noptions x y=1\nalias a b\n  blacklist indented\n"
        "   # indented comment\nblacklist trailing   \nblacklist a b\ninstall no-command\nBlacklist upper\n"
        "install tab\t/bin/true\t\n\nblacklist   \ninstall sp-ace  \t /bin/true x\\\ny\n")
    (second / "a.conf").write_text("blacklist hidden-by-etc\n")
    (second / "0.conf").write_text("install sctp /bin/true\nblacklist sctp\n")
    (first / ".dot.conf").write_text("blacklist dotfile\n")
    (first / "b.txt").write_text("blacklist not-conf\n")
    fact = subprocess.run([sys.executable, *modules_argv()[1:], str(first), str(second)],
                          capture_output=True, text=True).stdout  # exit 1 after it without /proc/modules
    shown = subprocess.run([modprobe, "-C", str(first), "-C", str(second), "-d", str(empty), "--showconfig"],
                           capture_output=True, text=True, check=True).stdout
    config, _, loaded = fact.partition("---\n")
    assert config.splitlines() == [line for line in shown.splitlines()
                                   if line.startswith(("install ", "blacklist "))]
    assert "blacklist usb_storage" in config and "install sctp /bin/true" in config
    if os.path.exists("/proc/modules"):  # not in every container
        assert loaded == Path("/proc/modules").read_text()


def test_timedate_fact_reads_the_zone_link_and_the_kernel_clock_state() -> None:
    """Timezone from /etc/localtime's link (as timedated), NTPSynchronized from adjtimex: yes or no."""
    import os
    import subprocess
    import sys

    done = subprocess.run([sys.executable, *TIMEDATE_SHOW[1:]], capture_output=True, text=True, check=True)
    values = key_values(done.stdout)
    link = os.readlink("/etc/localtime") if os.path.islink("/etc/localtime") else ""
    absent = "" if os.path.lexists("/etc/localtime") else "UTC"
    assert values["Timezone"] == (link.split("zoneinfo/", 1)[1] if "zoneinfo/" in link else absent)
    assert values["NTPSynchronized"] in ("yes", "no") and set(values) == {"Timezone", "NTPSynchronized"}
