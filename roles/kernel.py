"""kernel: dev-sec-level sysctl hardening that keeps IPv4 forwarding for Docker; IPv6 off unless asked for."""

from __future__ import annotations

from dataclasses import dataclass

from bothost.config import StackSpec
from bothost.facts.system import key_values, modules_argv, sysctl_argv
from bothost.role import Changes, Check, CommandResult, FileChange, Outcome, RenderContext, Role
from bothost.templating import BANNER, render
from roles.expect import Parser, describe, expect_mapping, failed

MODPROBE_PATH = "/etc/modprobe.d/bothost.conf"
# sysctl applies files in name order across /etc and /usr/lib, the last value winning: this name sorts
# after every distribution file, e.g. Debian's /usr/lib/sysctl.d/99-protect-links.conf (protected_fifos=1).
CONF_PATH = "/etc/sysctl.d/99-zz-bothost.conf"


@dataclass(frozen=True)
class KernelSettings:
    """sysctl values (0/1/2 as the kernel reads them)."""

    ip_forward: int = 1  # Docker needs it; without it containers have no network
    rp_filter: int = 1  # strict reverse-path filter: spoofed sources are dropped
    accept_redirects: int = 0  # ICMP redirects must not change our routes (also secure_redirects)
    send_redirects: int = 0  # we route only for our own containers, never advise others
    accept_source_route: int = 0  # senders must not pick the path through our filters
    log_martians: int = 1  # impossible source addresses are logged
    icmp_ignore_broadcasts: int = 1  # no smurf amplification
    icmp_ignore_bogus: int = 1  # no log spam from broken routers
    tcp_syncookies: int = 1  # SSH stays reachable during a SYN flood
    tcp_rfc1337: int = 1  # TIME-WAIT sockets ignore RSTs
    disable_ipv6: bool = True  # no IPv6 unless the stack enables it (bot must use the whitelisted IPv4)
    kptr_restrict: int = 2  # kernel pointers hidden even from root's tools
    dmesg_restrict: int = 1  # the kernel log is root-only
    unprivileged_bpf_disabled: int = 1  # no eBPF for unprivileged users (cannot be re-enabled until reboot)
    bpf_jit_harden: int = 2  # constant blinding for every eBPF JIT user
    sysrq: int = 0  # no magic SysRq
    ptrace_scope: int = 2  # only CAP_SYS_PTRACE may attach to another process
    randomize_va_space: int = 2  # full ASLR
    perf_event_paranoid: int = 3  # no perf events for unprivileged users
    kexec_load_disabled: int = 1  # no replacing the running kernel
    ldisc_autoload: int = 0  # no auto-loading of line disciplines
    suid_dumpable: int = 0  # setuid programs never dump core
    core_uses_pid: int = 1  # core files carry the pid: one crash cannot overwrite another's core
    protected_hardlinks: int = 1  # no hard links to files the user does not own
    protected_symlinks: int = 1  # no following others' symlinks in sticky directories
    protected_fifos: int = 2  # no writing to others' FIFOs in sticky directories
    protected_regular: int = 2  # no writing to others' files in sticky directories

    # Kernel modules a trading server never needs: rarely used network protocols with a history of remote
    # kernel bugs (dccp, sctp, rds, tipc), and removable storage a visitor could plug in (usb-storage,
    # firewire). `install M /bin/true` stops loading by name and by alias; `blacklist` stops it by alias.
    disabled_modules: tuple[str, ...] = ("dccp", "sctp", "rds", "tipc", "usb-storage", "firewire-core",
                                         "firewire-ohci")

    def groups(self) -> list[tuple[str, str, str, dict[str, str]]]:
        """The checks' groups: (id, title, rationale, sysctl key -> expected value); one place for both."""
        redirects = {f"net.ipv{v}.conf.{i}.accept_redirects": self.accept_redirects
                     for v in (4, 6) for i in ("all", "default")}
        both = ("all", "default")
        redirects |= {f"net.ipv4.conf.{i}.secure_redirects": self.accept_redirects for i in both}
        redirects |= {f"net.ipv4.conf.{i}.send_redirects": self.send_redirects for i in ("all", "default")}
        groups = [
            ("kern-01", "IPv4 forwarding on for Docker", "Containers reach the network only through it.",
             {"net.ipv4.ip_forward": self.ip_forward}),
            ("kern-02", "Anti-spoofing", "Spoofed and source-routed packets are dropped and logged.",
             {f"net.ipv4.conf.{i}.{key}": value for key, value in
              (("rp_filter", self.rp_filter), ("log_martians", self.log_martians),
               ("accept_source_route", self.accept_source_route)) for i in ("all", "default")}
             | {f"net.ipv6.conf.{i}.accept_source_route": self.accept_source_route for i in both}),
            ("kern-03", "No ICMP redirects", "Nobody can reroute the host's traffic with ICMP.", redirects),
            ("kern-04", "TCP/ICMP hardening", "SYN floods and ICMP tricks do not take the host down.",
             {"net.ipv4.tcp_syncookies": self.tcp_syncookies, "net.ipv4.tcp_rfc1337": self.tcp_rfc1337,
              "net.ipv4.icmp_echo_ignore_broadcasts": self.icmp_ignore_broadcasts,
              "net.ipv4.icmp_ignore_bogus_error_responses": self.icmp_ignore_bogus}),
            ("kern-05", "Kernel information hidden", "Kernel addresses and logs help exploits.",
             {"kernel.kptr_restrict": self.kptr_restrict, "kernel.dmesg_restrict": self.dmesg_restrict}),
            ("kern-06", "eBPF restricted", "Unprivileged eBPF is a common kernel exploit path.",
             {"kernel.unprivileged_bpf_disabled": self.unprivileged_bpf_disabled,
              "net.core.bpf_jit_harden": self.bpf_jit_harden}),
            ("kern-07", "Process isolation", "A compromised process cannot read another's memory or cores.",
             {"kernel.yama.ptrace_scope": self.ptrace_scope, "fs.suid_dumpable": self.suid_dumpable,
              "kernel.core_uses_pid": self.core_uses_pid,
              "kernel.randomize_va_space": self.randomize_va_space,
              "kernel.perf_event_paranoid": self.perf_event_paranoid}),
            ("kern-08", "Filesystem link protections", "Sticky-directory tricks on privileged programs fail.",
             {"fs.protected_hardlinks": self.protected_hardlinks,
              "fs.protected_symlinks": self.protected_symlinks,
              "fs.protected_fifos": self.protected_fifos, "fs.protected_regular": self.protected_regular}),
            ("kern-09", "Risky kernel features off", "No SysRq, no kexec, no line-discipline autoload.",
             {"kernel.sysrq": self.sysrq, "kernel.kexec_load_disabled": self.kexec_load_disabled,
              "dev.tty.ldisc_autoload": self.ldisc_autoload}),
        ]
        if self.disable_ipv6:
            groups.append(("kern-10", "IPv6 disabled",
                           "The bot can reach the exchange only from the whitelisted IPv4 address.",
                           {"net.ipv6.conf.all.disable_ipv6": 1, "net.ipv6.conf.default.disable_ipv6": 1}))
        return [(i, t, r, {key: str(value) for key, value in e.items()}) for i, t, r, e in groups]

    def expected(self) -> dict[str, str]:
        """Every sysctl this role sets, with its value."""
        return {key: value for *_, values in self.groups() for key, value in values.items()}


class KernelRole(Role):
    """sysctl hardening in /etc/sysctl.d, applied at once and at every boot."""

    name = "kernel"

    def settings(self, spec: StackSpec, context: RenderContext) -> KernelSettings:
        return KernelSettings(disable_ipv6=not spec.host.ipv6)

    def changes(self, s: KernelSettings) -> Changes:
        modprobe = "".join(f"install {m} /bin/true\nblacklist {m}\n" for m in s.disabled_modules)
        return Changes(
            packages=("procps",),
            files=(FileChange(CONF_PATH, render("kernel/sysctl.conf.j2", s=s), compress=True),
                   FileChange(MODPROBE_PATH, f"# {BANNER}\n{modprobe}")),
            commands=(("sysctl", "--system"),),
        )

    def checks(self, s: KernelSettings) -> list[Check]:
        # One read of every key, shared by the checks (one process, not one per check); -e: an unknown key
        # is left out of the output, so only the checks that expect it fail.
        command = sysctl_argv(*s.expected())
        return [
            *(Check(id=i, title=t, rationale=r, expected=describe(e), command=command,
                    evaluate=expect_mapping(key_values, e)) for i, t, r, e in s.groups()),
            Check(id="kern-11", title="Unused protocols and removable-storage drivers cannot load",
                  rationale="dccp, sctp, rds and tipc had remotely reachable kernel bugs; USB and FireWire "
                            "storage would let a visitor copy data in or out.",
                  expected=", ".join(s.disabled_modules) + ": install /bin/true, not loaded",
                  command=modules_argv(), evaluate=modules_disabled(s.disabled_modules)),
        ]


def modules_disabled(modules: tuple[str, ...]) -> Parser:
    """Parser of `modules_argv()`: each module is installed as /bin/true and blacklisted, and not loaded."""

    def evaluate(result: CommandResult) -> Outcome:
        failure = failed(result)
        if failure:
            return failure
        config, _, loaded = result.stdout.partition("---")
        lines = {" ".join(line.replace("-", "_").split()) for line in config.splitlines()}
        running = {line.split()[0] for line in loaded.splitlines() if line.strip()}
        wrong = []
        for module in (m.replace("-", "_") for m in modules):
            if f"install {module} /bin/true" not in lines or f"blacklist {module}" not in lines:
                wrong.append(f"{module} loadable")
            if module in running:
                wrong.append(f"{module} loaded")
        return Outcome(not wrong, "; ".join(wrong) or f"{len(modules)} modules disabled, none loaded")

    return evaluate
