"""docker: the container engine, locked down by default (no new privileges, no inter-container talk)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from bothost.config import StackSpec
from bothost.facts import python_fact
from bothost.facts.docker import DOCKER_SOCKET, ENGINE_GET
from bothost.facts.files import mode_owner_argv, parse_mode_owner
from bothost.facts.system import group_argv, process_count_argv, unit_command
from bothost.role import Changes, Check, CommandResult, FileChange, Outcome, RenderContext, Role
from bothost.templating import render
from roles.expect import Parser, expect_units, failed, json_object

DAEMON_JSON = "/etc/docker/daemon.json"
# CIS Docker Benchmark section 3: Docker's files, the owner and the loosest mode each may have. 3.7-3.14
# (registry and TLS certificates) do not apply: no certs.d, and dockerd listens on no TCP socket (fw-06).
# 3.21/3.22 (/etc/sysconfig/docker) are Red Hat's.
DOCKER_FILES = {
    "/lib/systemd/system/docker.service": ("root:root", 0o644, "3.1, 3.2"),
    "/lib/systemd/system/docker.socket": ("root:root", 0o644, "3.3, 3.4"),
    "/etc/docker": ("root:root", 0o755, "3.5, 3.6"),
    DOCKER_SOCKET: ("root:docker", 0o660, "3.15, 3.16"),
    DAEMON_JSON: ("root:root", 0o644, "3.17, 3.18"),
    "/etc/default/docker": ("root:root", 0o644, "3.19, 3.20"),
    "/run/containerd/containerd.sock": ("root:root", 0o660, "3.23, 3.24"),
}
# dockerd reads daemon.json only when it starts. At first boot it normally starts after the file exists
# (cloud-init.service, which writes files, is Before=network-online.target, docker.service After= it; or
# apt installs docker later): restart it (~9 s under emulation) only when it runs on an older file.
APPLY_DAEMON_JSON = (
    'systemctl is-active -q docker.service && [ /run/docker.pid -nt "$1" ] '
    "|| systemctl restart docker.service"
)
# One JSON document from the Engine API (what `docker info`/`inspect` show) without starting the docker CLI:
# {"info": /info, "bridge": /networks/bridge, "containers": /containers/json (the running ones),
# "no_new_privs": {container id: [the kernel's NoNewPrivs of each of its processes]}}, a process's container
# read from its cgroup (docker-ID.scope, or /docker/ID with cgroupfs). The Engine's bodies go through as they
# came, so the host parses no JSON; the JSON around them is written by hand.
DOCKER_STATE = ENGINE_GET + r"""
import os
def get(path):
    status, body = engine_get(sys.argv[1], path)
    if status != "200":
        sys.exit("GET %s: HTTP %s %r" % (path, status, body[:200]))
    return body
def container_of(cgroup):
    for line in cgroup.splitlines():
        name = line.rpartition("/")[2]
        if name.startswith("docker-") and name.endswith(".scope"):
            name = name[7:-6]
        elif "/docker/" not in line:
            continue
        if len(name) == 64 and all(c in "0123456789abcdef" for c in name):
            return name
    return None
def processes(proc):
    flags = {}
    for pid in filter(str.isdigit, os.listdir(proc)):
        try:
            with open("%s/%s/cgroup" % (proc, pid)) as f:
                container = container_of(f.read())
            if container:
                with open("%s/%s/status" % (proc, pid)) as f:
                    flag = next((line.split()[1] for line in f if line.startswith("NoNewPrivs:")), "?")
                flags.setdefault(container, []).append(flag)
        except OSError:
            pass
    return flags
try:
    parts = [get("/info"), get("/networks/bridge"), get("/containers/json")]
except OSError as error:
    sys.exit("cannot reach dockerd at %s: %s" % (sys.argv[1], error))
flags = processes(sys.argv[2] if len(sys.argv) > 2 else "/proc")
shown = ", ".join('"%s": [%s]' % (c, ", ".join('"%s"' % f for f in fs)) for c, fs in sorted(flags.items()))
print('{"info": %s, "bridge": %s, "containers": %s, "no_new_privs": {%s}}' % (*parts, shown))
"""


@dataclass(frozen=True)
class DockerSettings:
    """dockerd settings (daemon.json)."""

    no_new_privileges: bool = True  # setuid binaries in an image cannot escalate inside the container
    live_restore: bool = True  # the bot keeps running while dockerd restarts for a security update
    icc: bool = False  # containers on the default bridge cannot reach each other
    userland_proxy: bool = False  # no docker-proxy process listening on host addresses
    default_bind_ip: str = "127.0.0.1"  # `-p 8080:80` binds to loopback unless an address is given
    # `local`: compressed, size-capped files, for any container that does not choose a driver. The bot
    # chooses journald (roles/bot, bot-12): its lines outlive a redeploy's container swap and teardown exports
    # them; the base role's journal cap bounds them, and journald's per-service rate limit (they arrive
    # from docker.service) keeps a chatty bot from flooding out sshd's and sudo's records.
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
            enable_units=("docker.service",),
            commands=(("sh", "-c", APPLY_DAEMON_JSON, "apply-daemon-json", DAEMON_JSON),),
        )

    def checks(self, s: DockerSettings) -> list[Check]:
        info = bridge = state = python_fact(DOCKER_STATE, DOCKER_SOCKET)
        files = ", ".join(f"{path} {owner} <= {mode:o}" for path, (owner, mode, _) in DOCKER_FILES.items())
        return [
            Check(id="dock-01", title="Containers are confined by seccomp and AppArmor (CIS 2.17, 5.2, 5.22)",
                  rationale="The default profiles limit the syscalls and files a compromised bot can use.",
                  expected="apparmor, seccomp", command=info, evaluate=security_options),
            Check(id="dock-02", title="Live restore (CIS 2.15)",
                  rationale="dockerd restarts do not stop the bot.",
                  expected=str(s.live_restore).lower(), command=info,
                  evaluate=info_field("LiveRestoreEnabled", s.live_restore)),
            Check(id="dock-03", title="Container logs are capped, not json-file (CIS 2.13)",
                  rationale="A container that picks no log driver cannot fill the disk with its logs.",
                  expected=s.log_driver, command=info, evaluate=info_field("LoggingDriver", s.log_driver)),
            Check(id="dock-04",
                  title="Default bridge: no container-to-container traffic, loopback ports (CIS 2.2, 5.14)",
                  rationale="A published port is not on the internet unless asked for; containers are apart.",
                  expected=f"enable_icc={str(s.icc).lower()}, host_binding_ipv4={s.default_bind_ip}",
                  command=bridge, evaluate=bridge_options(s.icc, s.default_bind_ip)),
            Check(id="dock-05", title="Docker enabled and running",
                  rationale="The bot comes back after every reboot.",
                  expected="docker.service: enabled,active", command=unit_command("docker.service"),
                  evaluate=expect_units({"docker.service": {"UnitFileState": "enabled",
                                                            "ActiveState": "active"}})),
            # Docker 20.10 does not report the daemon's no-new-privileges in `docker info`: ask the kernel.
            Check(id="dock-06", title="Running containers cannot gain privileges (CIS 2.14, 5.26)",
                  rationale="setuid binaries or file capabilities in an image give an attacker nothing.",
                  expected="NoNewPrivs 1 in every process of every running container", command=state,
                  evaluate=containers_no_new_privs),
            Check(id="dock-07", title="Daemon options (CIS 2.3, 2.5, 2.6, 2.11, 2.18, 5.1)",
                  rationale="No debug logging, insecure registries, aufs or device-mapper sizing, "
                            "experimental features or swarm: nothing the bot does not need.",
                  expected="debug off, registries secure, overlay2, not experimental, swarm inactive",
                  command=info, evaluate=daemon_options),
            Check(id="dock-08", title="Docker's files: owner and mode (CIS 3.1-3.6, 3.15-3.20, 3.23, 3.24)",
                  rationale="Whoever can write these files or reach the sockets controls every container.",
                  expected=files, command=mode_owner_argv(*DOCKER_FILES),
                  evaluate=file_modes),
            Check(id="dock-09", title="No userland proxy process (CIS 2.16)",
                  rationale="Published ports go through the kernel's NAT, with no extra root process "
                            "listening on the host.",
                  expected="0 docker-proxy processes", command=process_count_argv("docker-proxy"),
                  evaluate=no_processes("docker-proxy")),
            Check(id="dock-10", title="Only root controls Docker: the docker group is empty (CIS 1.1.2)",
                  rationale="A docker group member is root without sudo and without an audit record of sudo.",
                  expected="no members", command=group_argv("docker"),
                  evaluate=group_empty),
        ]


def _json(result: CommandResult, part: str) -> tuple[dict | None, Outcome | None]:
    """One part ("info", "bridge") of DOCKER_STATE's output, or the failing Outcome."""
    value, failure = json_object(result)
    if failure:
        return None, failure
    value = value.get(part)
    if not isinstance(value, dict):
        return None, Outcome(False, f"no JSON object {part!r}: {result.stdout.strip()[:100]}")
    return value, None


def security_options(result: CommandResult) -> Outcome:
    """Parser of DOCKER_STATE's info: the seccomp and AppArmor security options are on."""
    info, failure = _json(result, "info")
    if failure:
        return failure
    names = sorted({dict(p.split("=", 1) for p in o.split(",") if "=" in p).get("name", "?")
                    for o in info.get("SecurityOptions") or []})
    return Outcome({"seccomp", "apparmor"} <= set(names), ", ".join(names) or "none")


def containers_no_new_privs(result: CommandResult) -> Outcome:
    """Parser of DOCKER_STATE's containers: every process of every running container has NoNewPrivs 1."""
    state, failure = json_object(result)
    if failure:
        return failure
    containers, flags = state.get("containers"), state.get("no_new_privs")
    if not isinstance(containers, list) or not isinstance(flags, dict):
        return Outcome(False, f"unreadable: {result.stdout.strip()[:100]}")
    if not containers:
        return Outcome(True, "no running containers")
    shown = {}
    for container in containers:
        name = (container.get("Names") or ["?"])[0]
        seen = flags.get(container.get("Id"), [])
        shown[name] = "1" if seen and set(seen) == {"1"} else f"{seen.count('1')} of {len(seen)} processes"
    return Outcome(all(v == "1" for v in shown.values()), ", ".join(f"{n}={v}" for n, v in shown.items()))


def info_field(key: str, expected: object) -> Parser:
    """Parser of DOCKER_STATE's info: one top-level field equals `expected`."""

    def evaluate(result: CommandResult) -> Outcome:
        info, failure = _json(result, "info")
        if failure:
            return failure
        value = info.get(key)
        return Outcome(value == expected, json.dumps(value))

    return evaluate


def bridge_options(icc: bool, bind_ip: str) -> Parser:
    """Parser of the default bridge's options: inter-container traffic and the default host binding."""

    def evaluate(result: CommandResult) -> Outcome:
        network, failure = _json(result, "bridge")
        if failure:
            return failure
        options = network.get("Options") or {}
        seen_icc = options.get("com.docker.network.bridge.enable_icc")
        seen_ip = options.get("com.docker.network.bridge.host_binding_ipv4")
        passed = seen_icc == str(icc).lower() and seen_ip == bind_ip
        return Outcome(passed, f"enable_icc={seen_icc}, host_binding_ipv4={seen_ip}")

    return evaluate


def daemon_options(result: CommandResult) -> Outcome:
    """Parser of DOCKER_STATE's info: the CIS section 2 and 5.1 options a daemon reports."""
    info, failure = _json(result, "info")
    if failure:
        return failure
    registries = info.get("RegistryConfig") or {}
    insecure = [cidr for cidr in registries.get("InsecureRegistryCIDRs") or [] if cidr != "127.0.0.0/8"]
    insecure += [name for name, index in (registries.get("IndexConfigs") or {}).items()
                 if not (index or {}).get("Secure", True)]
    swarm = (info.get("Swarm") or {}).get("LocalNodeState", "?")
    seen = {"debug": info.get("Debug"), "insecure registries": insecure or "none",
            "storage": info.get("Driver"), "experimental": info.get("ExperimentalBuild"), "swarm": swarm}
    passed = (seen["debug"] is False and not insecure and seen["storage"] == "overlay2"
              and seen["experimental"] is False and swarm == "inactive")
    return Outcome(passed, ", ".join(f"{key} {json.dumps(value)}" for key, value in seen.items()))


def file_modes(result: CommandResult) -> Outcome:
    """Parser of `mode_owner_argv(FILES)`: each file exists with its owner and no looser mode."""
    seen = {path: (owner, int(mode, 8)) for path, (mode, owner) in parse_mode_owner(result).items()
            if mode != "absent"}
    wrong = []
    for path, (owner, mode, items) in DOCKER_FILES.items():
        if path not in seen:
            wrong.append(f"{path} missing (CIS {items})")
        elif seen[path][0] != owner or seen[path][1] & ~mode:
            wrong.append(f"{path} {seen[path][0]} {seen[path][1]:o} (CIS {items})")
    return Outcome(not wrong, "; ".join(wrong) or f"{len(seen)} files as expected")


def no_processes(name: str) -> Parser:
    """Parser of `process_count_argv(NAME)` (as `pgrep -c -x`): no such process (exit 1, count 0)."""

    def evaluate(result: CommandResult) -> Outcome:
        count = result.stdout.strip() or "?"
        return Outcome(result.exit_status == 1 and count == "0", f"{count} {name} processes")

    return evaluate


def group_empty(result: CommandResult) -> Outcome:
    """Parser of `group_argv(NAME)` (as `getent group`): the group has no members (or does not exist)."""
    if result.exit_status == 2:  # getent: no such group
        return Outcome(True, "no such group")
    failure = failed(result)
    if failure:
        return failure
    members = result.stdout.strip().split(":")[-1]
    return Outcome(members == "", f"members: {members}" if members else "no members")
