"""The roles: one concern each, its change on the host next to the check that proves it."""

from __future__ import annotations

from bothost.role import Role


def all_roles() -> list[Role]:
    """Every role, in the order it applies at first boot."""
    from roles.audit import AuditRole
    from roles.base import BaseRole
    from roles.bot import BotRole
    from roles.ci_gate import CiGateRole
    from roles.docker import DockerRole
    from roles.firewall import FirewallRole
    from roles.kernel import KernelRole
    from roles.ssh import SshRole
    from roles.time import TimeRole
    from roles.updates import UpdatesRole
    from roles.watch import WatchRole

    # base first (the admin user exists before sshd allows only it); the firewall is up before
    # docker starts publishing anything; docker after its sysctls and firewall are in place;
    # audit once the bot's directories that its rules watch exist; the watcher last, watching all of it.
    return [BaseRole(), KernelRole(), SshRole(), FirewallRole(), CiGateRole(), TimeRole(), UpdatesRole(),
            DockerRole(), BotRole(), AuditRole(), WatchRole()]
