"""The kernel role: the sysctl file and the checks carry the same values; forwarding stays on for Docker."""

from __future__ import annotations

import pytest
from role_specs import make_spec

from bothost.facts.system import sysctl_argv
from bothost.role import CommandResult, RenderContext
from bothost.templating import render
from roles.kernel import MODPROBE_PATH, KernelRole, KernelSettings


def rendered_values(s: KernelSettings) -> dict[str, str]:
    text = render("kernel/sysctl.conf.j2", s=s)
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    pairs = [line.split("=", 1) for line in lines]
    keys = [key.strip() for key, _ in pairs]
    assert len(keys) == len(set(keys)), "a key is set twice"
    return {key.strip(): value.strip() for key, value in pairs}


@pytest.mark.parametrize("ipv6", [False, True])
def test_file_and_checks_agree(ipv6: bool) -> None:
    s = KernelRole().settings(make_spec(ipv6=ipv6), RenderContext())
    assert rendered_values(s) == s.expected()
    checked = {}
    for check in sysctl_checks(s):
        assert check.command[:4] == sysctl_argv()  # reads only: the in-process `sysctl -e`
        checked.update(dict.fromkeys(check.command[4:]))
    assert set(checked) == set(s.expected())


def test_docker_forwarding_kept_and_ipv6_follows_spec() -> None:
    off = KernelRole().settings(make_spec(), RenderContext()).expected()
    on = KernelRole().settings(make_spec(ipv6=True), RenderContext()).expected()
    assert off["net.ipv4.ip_forward"] == on["net.ipv4.ip_forward"] == "1"
    assert off["net.ipv6.conf.all.disable_ipv6"] == "1"
    assert "net.ipv6.conf.all.disable_ipv6" not in on


def sysctl_checks(s: KernelSettings) -> list:
    return [check for check in KernelRole().checks(s) if check.command[:4] == sysctl_argv()]


def sysctl_output(values: dict[str, str]) -> str:
    return "".join(f"{key} = {value}\n" for key, value in values.items())


def test_each_check_passes_on_hardened_and_fails_on_stock_values() -> None:
    s = KernelSettings()
    stock = {"net.ipv4.ip_forward": "0", "kernel.kptr_restrict": "0", "kernel.sysrq": "438",
             "kernel.yama.ptrace_scope": "0",
             "kernel.core_uses_pid": "0", "fs.protected_fifos": "1", "net.ipv4.conf.all.rp_filter": "0",
             "net.ipv4.conf.all.accept_redirects": "1", "net.core.bpf_jit_harden": "0",
             "net.ipv4.tcp_rfc1337": "0", "net.ipv6.conf.all.disable_ipv6": "0"}
    everything = sysctl_output(s.expected())
    for check, (*_, group) in zip(sysctl_checks(s), s.groups(), strict=True):
        keys = list(group)
        assert check.evaluate(CommandResult(0, everything)).passed, check.id
        good = sysctl_output({key: s.expected()[key] for key in keys})
        assert check.evaluate(CommandResult(0, good)).passed, check.id
        bad = {key: stock.get(key, s.expected()[key]) for key in keys}
        assert bad != {key: s.expected()[key] for key in keys}, f"{check.id}: no stock value to test against"
        assert not check.evaluate(CommandResult(0, sysctl_output(bad))).passed, check.id
        missing = CommandResult(255, "", f"sysctl: cannot stat /proc/sys/{keys[0]}: No such file")
        assert not check.evaluate(missing).passed
        unknown = {key: value for key, value in s.expected().items() if key != keys[0]}  # what -e prints
        assert not check.evaluate(CommandResult(0, sysctl_output(unknown))).passed, check.id


# modules_argv()'s output on a stock Debian 12 cloud kernel: no install lines, a few modules loaded.
STOCK_MODULES = "blacklist evbug\n---\nsctp 434176 2 - Live 0x0\noverlay 163840 0 - Live 0x0\n"


def test_module_file_and_check_agree() -> None:
    s = KernelSettings()
    changes = KernelRole().changes(s)
    text = next(f.content for f in changes.files if f.path == MODPROBE_PATH)
    config = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    wanted = {"install dccp /bin/true", "install usb-storage /bin/true", "blacklist tipc"}
    assert wanted <= set(config.splitlines())
    check = next(c for c in KernelRole().checks(s) if c.id == "kern-11")
    modprobe_shows = config.replace("usb-storage", "usb_storage").replace("firewire-", "firewire_")
    assert check.evaluate(CommandResult(0, f"{modprobe_shows}\n---\noverlay 163840 0 - Live 0x0\n")).passed
    stock = check.evaluate(CommandResult(0, STOCK_MODULES))
    assert not stock.passed and "sctp loaded" in stock.actual and "dccp loadable" in stock.actual
    loaded = check.evaluate(CommandResult(0, f"{modprobe_shows}\n---\nsctp 434176 2 - Live 0x0\n"))
    assert not loaded.passed and loaded.actual == "sctp loaded"
