"""System facts: systemd units, timedated, sshd's effective config, apt's config, listening sockets."""

from __future__ import annotations

import re
from collections.abc import Callable

from bothost.shell import CommandResult

# One timedated query (K=V lines) that the base and time roles' checks share: verify runs it once.
TIMEDATE_SHOW = ("timedatectl", "show")


def key_values(stdout: str, separator: str = "=") -> dict[str, str]:
    """Lines of `key<sep>value` (sysctl's `k = v`, systemctl show's `K=V`) as a dict."""
    values: dict[str, str] = {}
    for line in stdout.splitlines():
        key, sep, value = line.partition(separator)
        if sep:
            values[key.strip()] = value.strip()
    return values


UNIT_PROPERTIES = "--property=Id,UnitFileState,ActiveState"
Unfold = Callable[[dict[tuple[str, ...], CommandResult]], None]  # fills in folded commands' own results


def unit_command(*units: str) -> tuple[str, ...]:
    """The `systemctl show` argv that reads enablement and activity of units."""
    return ("systemctl", "show", *units, UNIT_PROPERTIES)


def units_read_by(argv: tuple[str, ...]) -> tuple[str, ...]:
    """The units a `unit_command` argv reads; () for any other argv."""
    if len(argv) > 3 and argv[:2] == ("systemctl", "show") and argv[-1] == UNIT_PROPERTIES:
        return argv[2:-1]
    return ()


def fold_unit_commands(commands: list[tuple[str, ...]]) -> tuple[list[tuple[str, ...]], Unfold]:
    """Every `unit_command` folded into one (one systemctl start reads all units: facts read once), and
    the function that gives each folded command its own units' blocks of the shared output."""
    folded = {command: units_read_by(command) for command in commands if units_read_by(command)}
    if len(folded) < 2:
        return commands, lambda outputs: None
    shared = unit_command(*dict.fromkeys(unit for units in folded.values() for unit in units))

    def unfold(outputs: dict[tuple[str, ...], CommandResult]) -> None:
        result = outputs.pop(shared)
        blocks = re.split(r"\n\s*\n", result.stdout.strip())
        for command, units in folded.items():
            mine = [block for block in blocks if key_values(block).get("Id") in units]
            outputs[command] = CommandResult(result.exit_status, "\n\n".join(mine) + "\n", result.stderr)

    return [c for c in commands if c not in folded] + [shared], unfold


def unit_states(stdout: str) -> dict[str, dict[str, str]]:
    """`systemctl show UNIT... --property=Id,...` output: unit id -> its properties."""
    units: dict[str, dict[str, str]] = {}
    for block in re.split(r"\n\s*\n", stdout.strip()):
        props = key_values(block)
        if "Id" in props:
            units[props["Id"]] = props
    return units


def sshd_options(stdout: str) -> dict[str, list[str]]:
    """`sshd -T` output: lower-case keyword -> every value given for it, in order."""
    options: dict[str, list[str]] = {}
    for line in stdout.splitlines():
        key, _, value = line.strip().partition(" ")
        if key:
            options.setdefault(key.lower(), []).append(value.strip())
    return options


def apt_config(stdout: str) -> dict[str, list[str]]:
    """`apt-config dump` output: key (case-folded, as apt compares them) -> its value, or its list items."""
    scalars: dict[str, str] = {}
    items: dict[str, list[str]] = {}
    for line in stdout.splitlines():
        match = re.fullmatch(r'\s*(\S+?)(::)?\s+"(.*)";\s*', line)
        if not match:
            continue
        key = match.group(1).lower()
        if match.group(2):
            items.setdefault(key, []).append(match.group(3))
        elif match.group(3):  # an empty scalar is only the header of a list node
            scalars[key] = match.group(3)
    config = {key: [value] for key, value in scalars.items()}
    config.update(items)
    return _Folded(config)


class _Folded(dict):
    """A dict whose lookups ignore case, like apt's configuration tree."""

    def get(self, key: object, default: object = None) -> object:
        return super().get(str(key).lower(), default)


def listeners(stdout: str) -> list[tuple[str, str, int, str]]:
    """`ss -Hltnup` lines as (protocol, local address, port, process name) tuples."""
    found = []
    for line in stdout.splitlines():
        fields = line.split()
        if len(fields) < 5:
            continue
        host, _, port = fields[4].rpartition(":")
        host = host.strip("[]").split("%")[0]
        name = re.search(r'users:\(\("([^"]+)"', line)
        if port.isdigit():
            found.append((fields[0], host, int(port), name.group(1) if name else "?"))
    return found


def is_loopback(host: str) -> bool:
    """True for addresses only reachable from the host itself."""
    return host.startswith("127.") or host in ("::1", "localhost")
