"""bot: the trading bot runs in a locked-down container; a leak in the bot reaches as little as possible."""

from __future__ import annotations

import json
from collections.abc import Callable

from bothost.config import StackSpec
from bothost.deploy.deployer import HMAC_KEY_PATH, SECRET_FILE_MODE
from bothost.deploy.settings import SECRETS_DIR, SECRETS_MOUNT, BotSettings, bot_settings
from bothost.role import Changes, Check, CommandResult, Outcome, RenderContext, Role
from roles.facts import failed

EXCHANGE_FILES = ("exchange_api_key", "exchange_api_secret")  # always delivered (the passphrase is optional)
# Runs on the host as root: counts secret values found in `docker inspect` or any process's command line,
# printing only counts. A value is a whole raw secret file, or a JSON string leaf of >= 12 characters.
NO_SECRET_SCRIPT = r"""
import json, os, subprocess, sys
def strings(item):
    if isinstance(item, dict):
        return [s for v in item.values() for s in strings(v)]
    if isinstance(item, list):
        return [s for v in item for s in strings(v)]
    return [item] if isinstance(item, str) else []
name, folder = sys.argv[1], sys.argv[2]
values = set()
for entry in sorted(os.listdir(folder)):
    text = open(os.path.join(folder, entry), encoding="utf-8", errors="replace").read().strip()
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, (dict, list)):
        values.update(v for v in strings(data) if len(v) >= 12)
    elif len(text) >= 8:
        values.add(text)
shown = subprocess.run(["docker", "container", "inspect", name], capture_output=True, text=True).stdout
haystack = "\n".join(strings(json.loads(shown or "[]")))
for pid in filter(str.isdigit, os.listdir("/proc")):
    if int(pid) != os.getpid():
        try:
            haystack += "\n" + open(f"/proc/{pid}/cmdline", "rb").read().decode(errors="replace")
        except OSError:
            pass
found = sum(1 for v in values if v in haystack)
print(f"{found} of {len(values)} secret values found in docker inspect or command lines")
"""


class BotRole(Role):
    """The bot container: its host directories at first boot, its confinement proven on the live host."""

    name = "bot"

    def settings(self, spec: StackSpec, context: RenderContext) -> BotSettings | None:
        if spec.bot is None:
            return None
        return bot_settings(spec.bot, exchange=spec.exchange is not None)

    def changes(self, s: BotSettings | None) -> Changes:
        commands: list[tuple[str, ...]] = [("install", "-d", "-m", "0700", "-o", "0", "-g", "0", SECRETS_DIR)]
        if s is None:
            return Changes(commands=tuple(commands))
        uid, gid = s.file_owner.split(":")
        for path in (s.secrets_dir, s.data_dir, *(m.source for m in s.data_mounts)):
            mode = "0700" if path == s.secrets_dir else "0750"
            commands.append(("install", "-d", "-m", mode, "-o", uid, "-g", gid, path))
        # The key for the secret digests in the container's label (no secret itself; deploys reuse it).
        commands.append(("sh", "-c", 'umask 077; [ -s "$1" ] || head -c 32 /dev/urandom > "$1"', "hmac-key",
                         HMAC_KEY_PATH))
        return Changes(commands=tuple(commands))  # docker itself (package, daemon.json, enabled) is roles/docker

    def checks(self, s: BotSettings | None) -> list[Check]:
        if s is None:
            return []  # no bot configured: nothing runs, nothing to prove
        inspect = ("docker", "container", "inspect", s.container)
        host = "HostConfig"
        user_expected = "root, reported: the hummingbot image needs it" if s.runs_as_root else f"{s.user}"
        ports = sorted(f"{ip}:{hp}->{cp}/tcp" for ip, hp, cp in s.published)
        return [
            _check("bot-01", "Bot container running and healthy", "The bot trades only while its health "
                   "check passes; an unhealthy bot is restarted or shows in verify.",
                   "running healthy", inspect, _running_healthy),
            _check("bot-02", "Read-only root filesystem", "A compromised bot cannot modify its own code.",
                   "true", inspect, _field(host, "ReadonlyRootfs", lambda v: v is True)),
            _check("bot-03", "All capabilities dropped, not privileged", "A bot needs no kernel privileges.",
                   "CapDrop [ALL], CapAdd none, Privileged false", inspect, _caps),
            _check("bot-04", "no-new-privileges, default seccomp and AppArmor", "setuid binaries cannot raise "
                   "privileges; syscalls and file access stay confined by docker's default profiles.",
                   "no-new-privileges, no unconfined profile, AppArmor docker-default", inspect, _security),
            _check("bot-05", "Runs as a non-root user", "Root in the container is one kernel bug from root on "
                   "the host.", user_expected, inspect, _user(s)),
            _check("bot-06", "Process limit", "A fork bomb or runaway thread pool stays contained.",
                   str(s.pids_limit), inspect, _field(host, "PidsLimit", lambda v: v == s.pids_limit)),
            _check("bot-07", "Memory limit without extra swap", "A leaking bot is killed before it starves "
                   "sshd.", f"{s.memory_bytes} bytes", inspect, _memory(s.memory_bytes)),
            _check("bot-08", "CPU limit", "The host stays responsive to SSH and updates.", f"{s.cpus} cpus",
                   inspect, _field(host, "NanoCpus", lambda v: v == round(s.cpus * 1e9))),
            _check("bot-09", "No port published beyond 127.0.0.1, no host network", "The bot's API is reached "
                   "only through an SSH tunnel.", ", ".join(ports) or "no ports", inspect, _ports(ports)),
            _check("bot-10", "Restart policy", "The bot comes back after a crash and after the reboots "
                   "unattended-upgrades does.", s.restart, inspect,
                   _field(host, "RestartPolicy", lambda v: (v or {}).get("Name") == s.restart)),
            _check("bot-11", "Health check configured", "Deploys wait for it; verify reports it.", s.health_cmd,
                   inspect, _field("Config", "Healthcheck", lambda v: (v or {}).get("Test") ==
                                   ["CMD-SHELL", s.health_cmd])),
            _check("bot-12", "Logs go to journald", "Logs rotate with the journal instead of filling the disk.",
                   s.log_driver, inspect, _field(host, "LogConfig", lambda v: (v or {}).get("Type") == s.log_driver)),
            _check("bot-13", "Stop timeout is the grace period", "On stop and on reboot the bot gets time to "
                   "cancel its open orders.", f"{s.stop_grace_period}s", inspect,
                   _field("Config", "StopTimeout", lambda v: v == s.stop_grace_period)),
            _check("bot-14", "Mounts: secrets read-only, no docker socket", "The bot cannot change its secrets "
                   "or reach the docker daemon.", f"{SECRETS_MOUNT} read-only", inspect, _mounts),
            _check("bot-15", "Secret files private to the bot", "Other host users cannot read exchange keys.",
                   f"dir 0700, files {SECRET_FILE_MODE}, owner {s.file_owner}",
                   ("find", s.secrets_dir, "-maxdepth", "1", "-printf", "%p %m %U:%G %y\\n"), _secret_files(s)),
            _check("bot-16", "No secret in docker inspect or command lines", "Env, labels and argv are readable "
                   "by more people and tools than a 0400 file.", "0 secret values found",
                   ("python3", "-c", NO_SECRET_SCRIPT, s.container, s.secrets_dir), _no_secret_found),
        ]


def _check(id_: str, title: str, rationale: str, expected: str, command: tuple[str, ...],
           evaluate: Callable[[CommandResult], Outcome]) -> Check:
    return Check(id=id_, title=title, rationale=rationale, expected=expected, command=command, evaluate=evaluate)


def _inspected(result: CommandResult) -> dict | Outcome:
    """The container's inspect object, or a failing Outcome."""
    bad = failed(result)
    if bad is not None:
        return bad
    try:
        return json.loads(result.stdout)[0]
    except (ValueError, IndexError, KeyError, TypeError):
        return Outcome(False, "docker inspect output is not one JSON object")


def _field(section: str, key: str, ok: Callable[[object], bool]) -> Callable[[CommandResult], Outcome]:
    """Parser: section.key of the inspect object satisfies ok."""

    def evaluate(result: CommandResult) -> Outcome:
        data = _inspected(result)
        if isinstance(data, Outcome):
            return data
        value = (data.get(section) or {}).get(key)
        return Outcome(ok(value), json.dumps(value))

    return evaluate


def _running_healthy(result: CommandResult) -> Outcome:
    data = _inspected(result)
    if isinstance(data, Outcome):
        return data
    state = data.get("State") or {}
    actual = f"{state.get('Status')} {(state.get('Health') or {}).get('Status', 'no-healthcheck')}"
    return Outcome(state.get("Running") is True and actual == "running healthy", actual)


def _caps(result: CommandResult) -> Outcome:
    data = _inspected(result)
    if isinstance(data, Outcome):
        return data
    host = data.get("HostConfig") or {}
    drop, add, privileged = host.get("CapDrop") or [], host.get("CapAdd") or [], host.get("Privileged")
    passed = [c.upper() for c in drop] == ["ALL"] and not add and privileged is False
    return Outcome(passed, f"CapDrop {drop}, CapAdd {add or 'none'}, Privileged {privileged}")


def _security(result: CommandResult) -> Outcome:
    data = _inspected(result)
    if isinstance(data, Outcome):
        return data
    options = (data.get("HostConfig") or {}).get("SecurityOpt") or []
    apparmor = data.get("AppArmorProfile")
    nnp = any(o in ("no-new-privileges", "no-new-privileges:true", "no-new-privileges=true") for o in options)
    unconfined = any("unconfined" in o for o in options)
    passed = nnp and not unconfined and apparmor == "docker-default"
    return Outcome(passed, f"SecurityOpt {options}, AppArmorProfile {apparmor or 'none'}")


def _user(s: BotSettings) -> Callable[[CommandResult], Outcome]:
    def evaluate(result: CommandResult) -> Outcome:
        data = _inspected(result)
        if isinstance(data, Outcome):
            return data
        user = (data.get("Config") or {}).get("User") or ""
        root = user.split(":")[0] in ("", "0", "root")
        if s.runs_as_root:
            return Outcome(root and s.preset == "hummingbot", f"{user or 'root'} (hummingbot image; reported)")
        return Outcome(not root and user == s.user, user or "root")

    return evaluate


def _memory(limit: int) -> Callable[[CommandResult], Outcome]:
    def evaluate(result: CommandResult) -> Outcome:
        data = _inspected(result)
        if isinstance(data, Outcome):
            return data
        host = data.get("HostConfig") or {}
        memory, swap = host.get("Memory"), host.get("MemorySwap")
        return Outcome(memory == limit and swap == limit, f"Memory {memory}, MemorySwap {swap}")

    return evaluate


def _ports(expected: list[str]) -> Callable[[CommandResult], Outcome]:
    def evaluate(result: CommandResult) -> Outcome:
        data = _inspected(result)
        if isinstance(data, Outcome):
            return data
        host = data.get("HostConfig") or {}
        bound = sorted(f"{b.get('HostIp') or '0.0.0.0'}:{b.get('HostPort')}->{port}"
                       for port, bindings in (host.get("PortBindings") or {}).items() for b in bindings or [])
        network = host.get("NetworkMode")
        passed = bound == expected and all(b.startswith("127.0.0.1:") for b in bound) and network != "host"
        return Outcome(passed, f"{', '.join(bound) or 'no ports'}, network {network}")

    return evaluate


def _mounts(result: CommandResult) -> Outcome:
    data = _inspected(result)
    if isinstance(data, Outcome):
        return data
    mounts = data.get("Mounts") or []
    secrets = [m for m in mounts if m.get("Destination") == SECRETS_MOUNT]
    socket = [m for m in mounts if "docker.sock" in str(m.get("Source"))]
    passed = len(secrets) == 1 and secrets[0].get("RW") is False and not socket
    shown = ", ".join(f"{m.get('Destination')}{'' if m.get('RW') else ' (ro)'}" for m in mounts)
    return Outcome(passed, shown or "no mounts")


def _secret_files(s: BotSettings) -> Callable[[CommandResult], Outcome]:
    required = set(s.secret_names) | (set(EXCHANGE_FILES) if s.exchange_files else set())
    file_mode = SECRET_FILE_MODE.lstrip("0")

    def evaluate(result: CommandResult) -> Outcome:
        bad = failed(result)
        if bad is not None:
            return bad
        problems, names = [], set()
        for line in result.stdout.splitlines():
            path, mode, owner, kind = line.rsplit(" ", 3)
            if path == s.secrets_dir:
                if (mode, owner, kind) != ("700", s.file_owner, "d"):
                    problems.append(f"{path} {mode} {owner}")
                continue
            names.add(path.rsplit("/", 1)[-1])
            if (mode, owner, kind) != (file_mode, s.file_owner, "f"):
                problems.append(f"{path} {mode} {owner} {kind}")
        missing = sorted(required - names)
        problems += [f"missing {name}" for name in missing]
        return Outcome(not problems, "; ".join(problems) or f"{len(names)} files, all {file_mode} {s.file_owner}")

    return evaluate


def _no_secret_found(result: CommandResult) -> Outcome:
    bad = failed(result)
    if bad is not None:
        return bad
    words = result.stdout.split()
    found, total = (int(words[0]), int(words[2])) if len(words) > 2 and words[0].isdigit() else (-1, 0)
    return Outcome(found == 0 and total > 0, result.stdout.strip() or "no output")
