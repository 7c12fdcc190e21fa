"""Pure parsers of `docker container inspect` and the secret-file listing, for the bot's checks."""

from __future__ import annotations

import json
from collections.abc import Callable

from bothost.errors import RemoteError
from bothost.facts.docker import inspect_object
from bothost.role import CommandResult, Outcome
from roles.bot.settings import SECRET_FILE_MODE, SECRETS_MOUNT, BotSettings
from roles.expect import failed

EXCHANGE_FILES = ("exchange_api_key", "exchange_api_secret")  # always delivered (the passphrase is optional)


def inspected(result: CommandResult) -> dict | Outcome:
    """The container's inspect object, or a failing Outcome."""
    bad = failed(result)
    if bad is not None:
        return bad  # e.g. "No such container", in docker's words
    try:
        return inspect_object(result) or {}
    except RemoteError as exc:
        return Outcome(False, str(exc)[:200])


def inspect_field(section: str, key: str, ok: Callable[[object], bool]) -> Callable[[CommandResult], Outcome]:
    """Parser: section.key of the inspect object satisfies ok."""

    def evaluate(result: CommandResult) -> Outcome:
        data = inspected(result)
        if isinstance(data, Outcome):
            return data
        value = (data.get(section) or {}).get(key)
        return Outcome(ok(value), json.dumps(value))

    return evaluate


def running_healthy(result: CommandResult) -> Outcome:
    data = inspected(result)
    if isinstance(data, Outcome):
        return data
    state = data.get("State") or {}
    actual = f"{state.get('Status')} {(state.get('Health') or {}).get('Status', 'no-healthcheck')}"
    return Outcome(state.get("Running") is True and actual == "running healthy", actual)


def capabilities(result: CommandResult) -> Outcome:
    data = inspected(result)
    if isinstance(data, Outcome):
        return data
    host = data.get("HostConfig") or {}
    drop, add, privileged = host.get("CapDrop") or [], host.get("CapAdd") or [], host.get("Privileged")
    passed = [c.upper() for c in drop] == ["ALL"] and not add and privileged is False
    return Outcome(passed, f"CapDrop {drop}, CapAdd {add or 'none'}, Privileged {privileged}")


def security_options(result: CommandResult) -> Outcome:
    data = inspected(result)
    if isinstance(data, Outcome):
        return data
    options = (data.get("HostConfig") or {}).get("SecurityOpt") or []
    apparmor = data.get("AppArmorProfile")
    nnp = any(o in ("no-new-privileges", "no-new-privileges:true", "no-new-privileges=true") for o in options)
    unconfined = any("unconfined" in o for o in options)
    passed = nnp and not unconfined and apparmor == "docker-default"
    return Outcome(passed, f"SecurityOpt {options}, AppArmorProfile {apparmor or 'none'}")


def user_is(s: BotSettings) -> Callable[[CommandResult], Outcome]:
    def evaluate(result: CommandResult) -> Outcome:
        data = inspected(result)
        if isinstance(data, Outcome):
            return data
        user = (data.get("Config") or {}).get("User") or ""
        root = user.split(":")[0] in ("", "0", "root")
        return Outcome(not root and user == s.user, user or "root")

    return evaluate


def memory_limit(limit: int) -> Callable[[CommandResult], Outcome]:
    def evaluate(result: CommandResult) -> Outcome:
        data = inspected(result)
        if isinstance(data, Outcome):
            return data
        host = data.get("HostConfig") or {}
        memory, swap = host.get("Memory"), host.get("MemorySwap")
        return Outcome(memory == limit and swap == limit, f"Memory {memory}, MemorySwap {swap}")

    return evaluate


def only_loopback_ports(expected: list[str]) -> Callable[[CommandResult], Outcome]:
    def evaluate(result: CommandResult) -> Outcome:
        data = inspected(result)
        if isinstance(data, Outcome):
            return data
        host = data.get("HostConfig") or {}
        bound = sorted(
            f"{b.get('HostIp') or '0.0.0.0'}:{b.get('HostPort')}->{port}"
            for port, bindings in (host.get("PortBindings") or {}).items()
            for b in bindings or []
        )
        network = host.get("NetworkMode")
        passed = bound == expected and all(b.startswith("127.0.0.1:") for b in bound) and network != "host"
        return Outcome(passed, f"{', '.join(bound) or 'no ports'}, network {network}")

    return evaluate


def mounts(result: CommandResult) -> Outcome:
    data = inspected(result)
    if isinstance(data, Outcome):
        return data
    mounts = data.get("Mounts") or []
    secrets = [m for m in mounts if m.get("Destination") == SECRETS_MOUNT]
    socket = [m for m in mounts if "docker.sock" in str(m.get("Source"))]
    passed = len(secrets) == 1 and secrets[0].get("RW") is False and not socket
    shown = ", ".join(f"{m.get('Destination')}{'' if m.get('RW') else ' (ro)'}" for m in mounts)
    return Outcome(passed, shown or "no mounts")


def secret_files(s: BotSettings) -> Callable[[CommandResult], Outcome]:
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
        return Outcome(
            not problems, "; ".join(problems) or f"{len(names)} files, all {file_mode} {s.file_owner}"
        )

    return evaluate


def no_secret_found(result: CommandResult) -> Outcome:
    bad = failed(result)
    if bad is not None:
        return bad
    words = result.stdout.split()
    found, total = (int(words[0]), int(words[2])) if len(words) > 2 and words[0].isdigit() else (-1, 0)
    return Outcome(found == 0 and total > 0, result.stdout.strip() or "no output")
