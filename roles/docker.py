"""docker: the container engine, locked down by default (no new privileges, no inter-container talk)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from bothost.config import StackSpec
from bothost.role import Changes, Check, CommandResult, FileChange, Outcome, RenderContext, Role
from bothost.templating import render
from roles.facts import Parser, expect_units, failed, unit_command

DAEMON_JSON = "/etc/docker/daemon.json"
# Prints "NAME NOPRIVS" for each running container, from the kernel's view of its init process.
NO_NEW_PRIVS = (
    "docker ps -q | while read -r id; do "
    "docker inspect --format '{{.Name}} {{.State.Pid}}' \"$id\" | { read -r name pid; "
    "printf '%s %s\\n' \"$name\" \"$(awk '/^NoNewPrivs:/ {print $2}' /proc/$pid/status)\"; }; done"
)


@dataclass(frozen=True)
class DockerSettings:
    """dockerd settings (daemon.json)."""

    no_new_privileges: bool = True  # setuid binaries in an image cannot escalate inside the container
    live_restore: bool = True  # the bot keeps running while dockerd restarts for a security update
    icc: bool = False  # containers on the default bridge cannot reach each other
    userland_proxy: bool = False  # no docker-proxy process listening on host addresses
    default_bind_ip: str = "127.0.0.1"  # `-p 8080:80` binds to loopback unless an address is given
    # `local`: per-container, compressed, size-capped files that `docker logs` reads. Not journald: a chatty
    # bot would push sshd and sudo records out of the size-capped system journal.
    log_driver: str = "local"
    log_max_size: str = "10m"  # rotate each container log file at this size
    log_max_files: int = 5  # and keep this many: at most 50 MB of logs per container

    def daemon_config(self) -> dict[str, object]:
        """daemon.json as a dict (what the template renders)."""
        return {"no-new-privileges": self.no_new_privileges, "live-restore": self.live_restore,
                "icc": self.icc, "userland-proxy": self.userland_proxy, "ip": self.default_bind_ip,
                "log-driver": self.log_driver,
                "log-opts": {"max-size": self.log_max_size, "max-file": str(self.log_max_files)}}


class DockerRole(Role):
    """Docker from the distribution (docker.io) with a hardened daemon.json."""

    name = "docker"

    def settings(self, spec: StackSpec, context: RenderContext) -> DockerSettings:
        return DockerSettings()

    def changes(self, s: DockerSettings) -> Changes:
        return Changes(
            packages=("docker.io", "apparmor"),
            files=(FileChange(DAEMON_JSON, render("docker/daemon.json.j2", s=s)),),
            commands=(
                ("systemctl", "enable", "docker.service"),
                ("systemctl", "restart", "docker.service"),
            ),
        )

    def checks(self, s: DockerSettings) -> list[Check]:
        info = ("docker", "info", "--format", "{{json .}}")
        bridge = ("docker", "network", "inspect", "bridge", "--format", "{{json .Options}}")
        return [
            Check(id="dock-01", title="Containers are confined by seccomp and AppArmor",
                  rationale="The default profiles limit the syscalls and files a compromised bot can use.",
                  expected="apparmor, seccomp", command=info, evaluate=security_options),
            Check(id="dock-02", title="Live restore", rationale="dockerd restarts do not stop the bot.",
                  expected=str(s.live_restore).lower(), command=info,
                  evaluate=info_field("LiveRestoreEnabled", s.live_restore)),
            Check(id="dock-03", title="Container logs are capped",
                  rationale="Logs cannot fill the disk or crowd out the system journal.",
                  expected=s.log_driver, command=info, evaluate=info_field("LoggingDriver", s.log_driver)),
            Check(id="dock-04", title="Default bridge: no inter-container traffic, ports on loopback",
                  rationale="A published port is not on the internet unless asked for; containers are apart.",
                  expected=f"enable_icc={str(s.icc).lower()}, host_binding_ipv4={s.default_bind_ip}",
                  command=bridge, evaluate=bridge_options(s.icc, s.default_bind_ip)),
            Check(id="dock-05", title="Docker enabled and running",
                  rationale="The bot comes back after every reboot.",
                  expected="docker.service: enabled,active", command=unit_command("docker.service"),
                  evaluate=expect_units({"docker.service": {"UnitFileState": "enabled",
                                                            "ActiveState": "active"}})),
            # Docker 20.10 does not report the daemon's no-new-privileges in `docker info`: ask the kernel.
            Check(id="dock-06", title="Running containers cannot gain privileges",
                  rationale="setuid binaries or file capabilities in an image give an attacker nothing.",
                  expected="NoNewPrivs 1 in every running container", command=("sh", "-c", NO_NEW_PRIVS),
                  evaluate=containers_no_new_privs),
        ]


def _json(result: CommandResult) -> tuple[dict | None, Outcome | None]:
    failure = failed(result)
    if failure:
        return None, failure
    try:
        value = json.loads(result.stdout)
    except ValueError:
        return None, Outcome(False, f"not JSON: {result.stdout.strip()[:100]}")
    if not isinstance(value, dict):
        return None, Outcome(False, f"not a JSON object: {result.stdout.strip()[:100]}")
    return value, None


def security_options(result: CommandResult) -> Outcome:
    """Parser of `docker info`: the seccomp and AppArmor security options are on."""
    info, failure = _json(result)
    if failure:
        return failure
    names = sorted({dict(p.split("=", 1) for p in o.split(",") if "=" in p).get("name", "?")
                    for o in info.get("SecurityOptions") or []})
    return Outcome({"seccomp", "apparmor"} <= set(names), ", ".join(names) or "none")


def containers_no_new_privs(result: CommandResult) -> Outcome:
    """Parser of NO_NEW_PRIVS output (`NAME FLAG` lines): every running container has NoNewPrivs 1."""
    failure = failed(result)
    if failure:
        return failure
    rows = [line.split() for line in result.stdout.splitlines() if line.strip()]
    if not rows:
        return Outcome(True, "no running containers")
    shown = ", ".join(f"{row[0]}={row[1] if len(row) > 1 else '?'}" for row in rows)
    return Outcome(all(len(row) == 2 and row[1] == "1" for row in rows), shown)


def info_field(key: str, expected: object) -> Parser:
    """Parser of `docker info`: one top-level field equals `expected`."""

    def evaluate(result: CommandResult) -> Outcome:
        info, failure = _json(result)
        if failure:
            return failure
        value = info.get(key)
        return Outcome(value == expected, json.dumps(value))

    return evaluate


def bridge_options(icc: bool, bind_ip: str) -> Parser:
    """Parser of the default bridge's options: inter-container traffic and the default host binding."""

    def evaluate(result: CommandResult) -> Outcome:
        options, failure = _json(result)
        if failure:
            return failure
        seen_icc = options.get("com.docker.network.bridge.enable_icc")
        seen_ip = options.get("com.docker.network.bridge.host_binding_ipv4")
        passed = seen_icc == str(icc).lower() and seen_ip == bind_ip
        return Outcome(passed, f"enable_icc={seen_icc}, host_binding_ipv4={seen_ip}")

    return evaluate
