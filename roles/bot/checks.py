"""The checks that prove the bot's container on a live host (bot-01..20), read from its BotSettings."""

from __future__ import annotations

from collections.abc import Callable

from bothost.facts import HOST_JSON, python_fact
from bothost.facts.docker import DOCKER_SOCKET, ENGINE_GET, inspect_container_argv
from bothost.role import Check, CommandResult, Outcome
from roles.bot.identity import (
    BOT_IDENTITY_SCRIPT,
    DATA_DIR_SCRIPT,
    data_dir_owned,
    isolated,
    no_core_dumps,
    uid_is_no_account,
)
from roles.bot.parsers import (
    capabilities,
    inspect_field,
    memory_limit,
    mounts,
    no_secret_found,
    only_loopback_ports,
    running_healthy,
    secret_files,
    security_options,
    user_is,
)
from roles.bot.settings import (
    DATA_ROOT,
    FREQTRADE_PRIVATE_CONFIG,
    SECRET_FILE_MODE,
    SECRETS_MOUNT,
    BotSettings,
)
from roles.bot.stop_path import stop_path_check

# Runs on the host as root: counts secret values found in `docker inspect` or any process's command line,
# printing only counts. A value is a whole raw secret file, or a JSON string leaf of >= 12 characters.
NO_SECRET_SCRIPT = HOST_JSON + ENGINE_GET + r"""
import os
def strings(item):
    if isinstance(item, dict):
        return [s for v in item.values() for s in strings(v)]
    if isinstance(item, list):
        return [s for v in item for s in strings(v)]
    return [item] if isinstance(item, str) else []
socket_path, name, folder = sys.argv[1:4]
values = set()
for entry in sorted(os.listdir(folder)):
    with open(os.path.join(folder, entry), encoding="utf-8", errors="replace") as f:
        text = f.read().strip()
    try:
        data = loads(text)
    except ValueError:
        data = None
    if isinstance(data, (dict, list)):
        values.update(v for v in strings(data) if len(v) >= 12)
    elif len(text) >= 8:
        values.add(text)
status, shown = engine_get(socket_path, "/containers/%s/json" % name)
haystack = "\n".join(strings(loads(shown))) if status == "200" else ""
for pid in filter(str.isdigit, os.listdir("/proc")):
    if int(pid) != os.getpid():
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                haystack += "\n" + f.read().decode(errors="replace")
        except OSError:
            pass
found = sum(1 for v in values if v in haystack)
print("%d of %d secret values found in docker inspect or command lines" % (found, len(values)))
"""


def bot_checks(s: BotSettings) -> list[Check]:
    """Every check of the running bot: its state, confinement and secrets, as the settings say."""
    inspect = tuple(inspect_container_argv(s.container))
    identity = python_fact(BOT_IDENTITY_SCRIPT, DOCKER_SOCKET, s.container)  # the kernel's view of it
    host = "HostConfig"
    ports = sorted(f"{ip}:{hp}->{cp}/tcp" for ip, hp, cp in s.published)
    return [
        _check(
            "bot-01",
            "Bot container running and healthy",
            "The bot trades only while its health "
            "check passes; an unhealthy bot is restarted or shows in verify.",
            "running healthy",
            inspect,
            running_healthy,
        ),
        _check(
            "bot-02",
            "Read-only root filesystem",
            "A compromised bot cannot modify its own code.",
            "true",
            inspect,
            inspect_field(host, "ReadonlyRootfs", lambda v: v is True),
        ),
        _check(
            "bot-03",
            "All capabilities dropped, not privileged",
            "A bot needs no kernel privileges.",
            "CapDrop [ALL], CapAdd none, Privileged false",
            inspect,
            capabilities,
        ),
        _check(
            "bot-04",
            "no-new-privileges, default seccomp and AppArmor",
            "setuid binaries cannot raise "
            "privileges; syscalls and file access stay confined by docker's default profiles.",
            "no-new-privileges, no unconfined profile, AppArmor docker-default",
            inspect,
            security_options,
        ),
        _check(
            "bot-05",
            "Runs as a non-root user",
            "Root in the container is one kernel bug from root on the host.",
            f"{s.user}",
            inspect,
            user_is(s),
        ),
        _check(
            "bot-06",
            "Process limit",
            "A fork bomb or runaway thread pool stays contained.",
            str(s.pids_limit),
            inspect,
            inspect_field(host, "PidsLimit", lambda v: v == s.pids_limit),
        ),
        _check(
            "bot-07",
            "Memory limit without extra swap",
            "A leaking bot is killed before it starves sshd.",
            f"{s.memory_bytes} bytes",
            inspect,
            memory_limit(s.memory_bytes),
        ),
        _check(
            "bot-08",
            "CPU limit",
            "The host stays responsive to SSH and updates.",
            f"{s.cpus} cpus",
            inspect,
            inspect_field(host, "NanoCpus", lambda v: v == round(s.cpus * 1e9)),
        ),
        _check(
            "bot-09",
            "No port published beyond 127.0.0.1, no host network",
            "The bot's API is reached only through an SSH tunnel.",
            ", ".join(ports) or "no ports",
            inspect,
            only_loopback_ports(ports),
        ),
        _check(
            "bot-10",
            "Restart policy",
            "The bot comes back after a crash and after the reboots unattended-upgrades does.",
            s.restart,
            inspect,
            inspect_field(host, "RestartPolicy", lambda v: (v or {}).get("Name") == s.restart),
        ),
        _check(
            "bot-11",
            "Health check configured",
            "Deploys wait for it; verify reports it.",
            s.health_cmd,
            inspect,
            inspect_field(
                "Config", "Healthcheck", lambda v: (v or {}).get("Test") == ["CMD-SHELL", s.health_cmd]
            ),
        ),
        _check(
            "bot-12",
            "Logs go to journald",
            "Logs rotate with the journal instead of filling the disk.",
            s.log_driver,
            inspect,
            inspect_field(host, "LogConfig", lambda v: (v or {}).get("Type") == s.log_driver),
        ),
        _check(
            "bot-13",
            "Stop timeout is the grace period",
            "On stop and on reboot the bot gets time to cancel its open orders.",
            f"{s.stop_grace_period}s",
            inspect,
            inspect_field("Config", "StopTimeout", lambda v: v == s.stop_grace_period),
        ),
        _check(
            "bot-14",
            "Mounts: secrets read-only, no docker socket",
            "The bot cannot change its secrets or reach the docker daemon.",
            f"{SECRETS_MOUNT} read-only",
            inspect,
            mounts,
        ),
        _check(
            "bot-15",
            "Secret files private to the bot",
            "Other host users cannot read exchange keys.",
            f"dir 0700, files {SECRET_FILE_MODE}, owner {s.file_owner}",
            ("find", s.secrets_dir, "-maxdepth", "1", "-printf", "%p %m %U:%G %y\\n"),
            secret_files(s),
        ),
        _check(
            "bot-16",
            "No secret in docker inspect or command lines",
            "Env, labels and argv are readable by more people and tools than a 0400 file.",
            "0 secret values found",
            python_fact(NO_SECRET_SCRIPT, DOCKER_SOCKET, s.container, s.secrets_dir),
            no_secret_found,
        ),
        *stop_path_checks(s),
        _check(
            "bot-18",
            "The bot's uid and gid belong to no host account (CIS 2.9's compensation, 4.1)",
            "An escape from the container, or a file the bot writes, is not one step from the admin's sudo.",
            f"{s.file_owner}, no account",
            identity,
            uid_is_no_account(s.user),
        ),
        _check(
            "bot-19",
            f"Data directory under {DATA_ROOT}, owned by the bot, never a symlink (CIS 5.6)",
            "The bot owns its own state and nothing else: not /etc, a home or a log directory.",
            f"{DATA_ROOT} root 0755; {s.data_dir} a directory owned by {s.file_owner}",
            python_fact(DATA_DIR_SCRIPT, DATA_ROOT, s.data_dir),
            data_dir_owned(DATA_ROOT, s.data_dir, s.file_owner),
        ),
        _check(
            "bot-20",
            "No shared namespaces, devices or mount propagation (CIS 5.16-5.18, 5.20, 5.21, 5.25, 5.31)",
            "The bot sees only its own processes, hostname, IPC, devices and mounts.",
            "private namespaces, no devices, no propagation",
            inspect,
            isolated,
        ),
        _check(
            "bot-21",
            "No core dumps of the bot",
            "A core file of the bot would hold its exchange keys in plain text; dockerd, a service, gives "
            "its containers no core limit (the login limit of base-09 does not reach them).",
            "core file size 0/0",
            identity,
            no_core_dumps,
        ),
    ]


def stop_path_checks(s: BotSettings) -> list[Check]:
    """bot-17 for freqtrade (its stop path is bothost's private config); other presets have none yet."""
    if s.preset != "freqtrade":
        return []
    private = f"{s.secrets_dir}/{FREQTRADE_PRIVATE_CONFIG}"
    return [stop_path_check(s.container, private, s.stop_grace_period)]


def _check(
    id_: str,
    title: str,
    rationale: str,
    expected: str,
    command: tuple[str, ...],
    evaluate: Callable[[CommandResult], Outcome],
) -> Check:
    return Check(
        id=id_, title=title, rationale=rationale, expected=expected, command=command, evaluate=evaluate
    )
