"""updates: security updates install themselves daily, and the host reboots for them in a set window."""

from __future__ import annotations

from dataclasses import dataclass

from bothost.config import StackSpec
from bothost.facts.system import apt_config, unit_command
from bothost.role import Changes, Check, FileChange, RenderContext, Role, expect_equal
from bothost.templating import BANNER, render
from roles.expect import describe, expect_mapping, expect_units

CONF_PATH = "/etc/apt/apt.conf.d/52bothost-unattended-upgrades"  # after the package's 50unattended-upgrades
NEEDRESTART_PATH = "/etc/needrestart/conf.d/50-bothost.conf"
TIMERS = ("apt-daily.timer", "apt-daily-upgrade.timer")
ORIGINS_KEYS = ("Unattended-Upgrade::Origins-Pattern", "Unattended-Upgrade::Allowed-Origins")

# Security origins only, per distribution; unattended-upgrades expands ${distro_codename} itself.
SECURITY_ORIGINS = {
    "debian-12": ("Unattended-Upgrade::Origins-Pattern",
                  ("origin=Debian,codename=${distro_codename}-security,label=Debian-Security",)),
    "ubuntu-24.04": ("Unattended-Upgrade::Allowed-Origins",
                     ("${distro_id}:${distro_codename}-security",
                      "${distro_id}ESMApps:${distro_codename}-apps-security",
                      "${distro_id}ESM:${distro_codename}-infra-security")),
}


@dataclass(frozen=True)
class UpdatesSettings:
    """unattended-upgrades settings."""

    origins_key: str = SECURITY_ORIGINS["debian-12"][0]  # Debian matches origins by pattern, Ubuntu by name
    origins: tuple[str, ...] = SECURITY_ORIGINS["debian-12"][1]  # security archives only
    reboot_time: str = "04:30"  # local time (bothost:rebootWindow) to reboot when an update needs it
    automatic_reboot: bool = True  # a patched kernel or libc only protects after a reboot
    update_lists_days: int = 1  # refresh package lists daily, so fixes are seen within a day
    upgrade_days: int = 1  # install security fixes daily
    autoclean_days: int = 7  # clean the package cache weekly
    # After each upgrade needrestart restarts the services still running old libraries (an OpenSSL fix
    # protects sshd only once sshd restarts); `a` = automatically, as nobody answers a prompt here.
    needrestart_mode: str = "a"

    def expected(self) -> dict[str, object]:
        """What `apt-config dump` must show; the other origins list stays empty so nothing else sneaks in."""
        other = next(key for key in ORIGINS_KEYS if key != self.origins_key)
        return {
            "APT::Periodic::Update-Package-Lists": str(self.update_lists_days),
            "APT::Periodic::Unattended-Upgrade": str(self.upgrade_days),
            self.origins_key: list(self.origins),
            other: [],
            "Unattended-Upgrade::Automatic-Reboot": str(self.automatic_reboot).lower(),
            "Unattended-Upgrade::Automatic-Reboot-Time": self.reboot_time,
            "Dpkg::Options": ["--force-confdef", "--force-confold"],
        }


class UpdatesRole(Role):
    """unattended-upgrades for the security archive, with automatic reboots."""

    name = "updates"

    def settings(self, spec: StackSpec, context: RenderContext) -> UpdatesSettings:
        key, origins = SECURITY_ORIGINS[spec.host.image]
        return UpdatesSettings(origins_key=key, origins=origins, reboot_time=spec.host.reboot_window)

    def changes(self, s: UpdatesSettings) -> Changes:
        return Changes(
            packages=("unattended-upgrades", "needrestart"),
            files=(FileChange(CONF_PATH, render("updates/auto-upgrades.conf.j2", s=s), compress=True),
                   FileChange(NEEDRESTART_PATH, needrestart_conf(s))),
            enable_units=TIMERS,
            commands=(("systemctl", "start", *TIMERS),),
        )

    def checks(self, s: UpdatesSettings) -> list[Check]:
        e = s.expected()
        groups = [
            ("upd-01", "Daily package list refresh and upgrade",
             "Security fixes are fetched and installed within a day of release.",
             {k: e[k] for k in ("APT::Periodic::Update-Package-Lists", "APT::Periodic::Unattended-Upgrade")}),
            ("upd-02", "Only security archives are upgraded automatically",
             "Security fixes land unattended; feature updates wait for a human.",
             {k: e[k] for k in ORIGINS_KEYS}),
            ("upd-03", "Automatic reboot in the window",
             "A patched kernel or libc only protects after a reboot.",
             {k: e[k] for k in ("Unattended-Upgrade::Automatic-Reboot",
                                "Unattended-Upgrade::Automatic-Reboot-Time")}),
            ("upd-04", "Managed config files never block upgrades",
             "Without --force-confold an edited conffile (nftables.conf) holds its package's fixes back.",
             {"Dpkg::Options": e["Dpkg::Options"]}),
        ]
        checks = [Check(id=i, title=t, rationale=r, expected=describe(x), command=("apt-config", "dump"),
                        evaluate=expect_mapping(apt_config, x)) for i, t, r, x in groups]
        states = {timer: {"UnitFileState": "enabled", "ActiveState": "active"} for timer in TIMERS}
        return [
            *checks,
            Check(id="upd-05", title="apt timers enabled and running",
                  rationale="The daily refresh and upgrade only happen if their timers run.",
                  expected="; ".join(f"{t}: enabled,active" for t in TIMERS), command=unit_command(*TIMERS),
                  evaluate=expect_units(states)),
            Check(id="upd-06", title="Services on old libraries restart after upgrades",
                  rationale="A library fix protects a running daemon only once that daemon restarts.",
                  expected=f"needrestart restart mode {s.needrestart_mode!r}",
                  command=("cat", NEEDRESTART_PATH), evaluate=expect_equal(needrestart_conf(s).strip())),
        ]


def needrestart_conf(s: UpdatesSettings) -> str:
    """needrestart's drop-in (Perl): restart mode; kernel hints off, as reboots follow the reboot window."""
    return f"# {BANNER}\n$nrconf{{restart}} = '{s.needrestart_mode}';\n$nrconf{{kernelhints}} = 0;\n"
