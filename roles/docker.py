"""docker: the container engine, locked down by default (no new privileges, no inter-container talk)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from bothost.config import StackSpec
from bothost.facts.system import unit_command
from bothost.role import Changes, Check, CommandResult, FileChange, Outcome, RenderContext, Role
from bothost.templating import render
from roles.expect import Parser, expect_units, failed

DAEMON_JSON = "/etc/docker/daemon.json"
DOCKER_SOCKET = "/var/run/docker.sock"
# dockerd reads daemon.json only when it starts. At first boot it normally starts after the file exists
# (cloud-init.service, which writes files, is Before=network-online.target, docker.service After= it; or
# apt installs docker later): restart it (~9 s under emulation) only when it runs on an older file.
APPLY_DAEMON_JSON = (
    'systemctl is-active -q docker.service && [ /run/docker.pid -nt "$1" ] '
    "|| systemctl restart docker.service"
)
# One JSON document from the Engine API (what `docker info`/`inspect` show) without starting the docker CLI
# several times: {"info": /info, "bridge": the default bridge's Options, "containers": [[name, NoNewPrivs]]},
# the flag read from the kernel's view of each running container's init process.
# Plain HTTP/1.0 on the socket (the server closes after the body): http.client costs ~0.4 s to import.
DOCKER_STATE = """\
import json, socket, sys
def get(path):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.settimeout(30)
        connection.connect(sys.argv[1])
        connection.sendall(f"GET {path} HTTP/1.0\\r\\nHost: docker\\r\\n\\r\\n".encode())
        response = b"".join(iter(lambda: connection.recv(65536), b""))
    head, _, body = response.partition(b"\\r\\n\\r\\n")
    status = head.split(b" ", 2)[1:2] or [b"?"]
    if status != [b"200"]:
        sys.exit(f"GET {path}: HTTP {status[0].decode(errors='replace')} {body[:200]!r}")
    return json.loads(body)
def no_new_privs(pid):
    try:
        with open(f"/proc/{pid}/status") as status:
            return next((line.split()[1] for line in status if line.startswith("NoNewPrivs:")), "?")
    except OSError:
        return "?"
try:
    containers = [[c["Names"][0], no_new_privs(get(f"/containers/{c['Id']}/json")["State"]["Pid"])]
                  for c in get("/containers/json")]
    state = {"info": get("/info"), "bridge": get("/networks/bridge").get("Options"), "containers": containers}
except OSError as error:
    sys.exit(f"cannot reach dockerd at {sys.argv[1]}: {error}")
json.dump(state, sys.stdout)
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
        info = bridge = state = ("python3", "-S", "-c", DOCKER_STATE, DOCKER_SOCKET)
        return [
            Check(id="dock-01", title="Containers are confined by seccomp and AppArmor",
                  rationale="The default profiles limit the syscalls and files a compromised bot can use.",
                  expected="apparmor, seccomp", command=info, evaluate=security_options),
            Check(id="dock-02", title="Live restore", rationale="dockerd restarts do not stop the bot.",
                  expected=str(s.live_restore).lower(), command=info,
                  evaluate=info_field("LiveRestoreEnabled", s.live_restore)),
            Check(id="dock-03", title="Container logs are capped",
                  rationale="A container that picks no log driver cannot fill the disk with its logs.",
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
                  expected="NoNewPrivs 1 in every running container", command=state,
                  evaluate=containers_no_new_privs),
        ]


def _json(result: CommandResult, part: str) -> tuple[dict | None, Outcome | None]:
    """One part ("info", "bridge") of DOCKER_STATE's output, or the failing Outcome."""
    failure = failed(result)
    if failure:
        return None, failure
    try:
        value = json.loads(result.stdout)
    except ValueError:
        return None, Outcome(False, f"not JSON: {result.stdout.strip()[:100]}")
    value = value.get(part) if isinstance(value, dict) else None
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
    """Parser of DOCKER_STATE's containers ([name, flag] pairs): every running container has NoNewPrivs 1."""
    failure = failed(result)
    if failure:
        return failure
    try:
        rows = json.loads(result.stdout)["containers"]
        shown = ", ".join(f"{name}={flag}" for name, flag in rows)
    except (ValueError, KeyError, TypeError):
        return Outcome(False, f"unreadable: {result.stdout.strip()[:100]}")
    if not rows:
        return Outcome(True, "no running containers")
    return Outcome(all(flag == "1" for _, flag in rows), shown)


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
        options, failure = _json(result, "bridge")
        if failure:
            return failure
        seen_icc = options.get("com.docker.network.bridge.enable_icc")
        seen_ip = options.get("com.docker.network.bridge.host_binding_ipv4")
        passed = seen_icc == str(icc).lower() and seen_ip == bind_ip
        return Outcome(passed, f"enable_icc={seen_icc}, host_binding_ipv4={seen_ip}")

    return evaluate
