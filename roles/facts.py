"""Pure parsers of host command output (facts), shared by the roles' checks."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from bothost.role import CommandResult, Outcome

Parser = Callable[[CommandResult], Outcome]

# One timedated query (K=V lines) that the base and time roles' checks share: verify runs it once.
TIMEDATE_SHOW = ("timedatectl", "show")


def failed(result: CommandResult) -> Outcome | None:
    """A failing Outcome when the command itself failed, else None."""
    if result.exit_status == 0:
        return None
    text = (result.stderr.strip() or result.stdout.strip())[:200]
    return Outcome(False, f"exit {result.exit_status}" + (f": {text}" if text else ""))


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


def key_values(stdout: str, separator: str = "=") -> dict[str, str]:
    """Lines of `key<sep>value` (sysctl's `k = v`, systemctl show's `K=V`) as a dict."""
    values: dict[str, str] = {}
    for line in stdout.splitlines():
        key, sep, value = line.partition(separator)
        if sep:
            values[key.strip()] = value.strip()
    return values


def expect_property(name: str, expected: str) -> Parser:
    """Parser of `K=V` lines (`timedatectl show`): property `name` equals `expected`."""

    def evaluate(result: CommandResult) -> Outcome:
        failure = failed(result)
        if failure:
            return failure
        actual = key_values(result.stdout).get(name)
        return Outcome(actual == expected, f"{name}={actual}" if actual is not None else f"{name} unset")

    return evaluate


def unit_states(stdout: str) -> dict[str, dict[str, str]]:
    """`systemctl show UNIT... --property=Id,...` output: unit id -> its properties."""
    units: dict[str, dict[str, str]] = {}
    for block in re.split(r"\n\s*\n", stdout.strip()):
        props = key_values(block)
        if "Id" in props:
            units[props["Id"]] = props
    return units


def expect_mapping(parse: Callable[[str], Mapping[str, object]], expected: Mapping[str, object]) -> Parser:
    """Parser: each expected key has exactly the expected value (a str, or a list for multi-valued keys)."""

    def evaluate(result: CommandResult) -> Outcome:
        failure = failed(result)
        if failure:
            return failure
        seen = parse(result.stdout)
        wrong = [f"{key}={_show(seen.get(key))}" for key, value in expected.items()
                 if _normal(seen.get(key)) != _normal(value)]
        if wrong:
            return Outcome(False, "; ".join(wrong)[:400])
        return Outcome(True, "; ".join(f"{key}={_show(seen.get(key))}" for key in expected)[:400])

    return evaluate


def describe(expected: Mapping[str, object]) -> str:
    """The human-readable form of an expected mapping."""
    return "; ".join(f"{key}={_show(value)}" for key, value in expected.items())


def expect_units(expected: Mapping[str, Mapping[str, str]]) -> Parser:
    """Parser for `systemctl show`: each unit has the expected property values."""

    def evaluate(result: CommandResult) -> Outcome:
        failure = failed(result)
        if failure:
            return failure
        units = unit_states(result.stdout)
        parts, passed = [], True
        for unit, props in expected.items():
            seen = units.get(unit, {})
            shown = ",".join(seen.get(p, "?") for p in props)
            parts.append(f"{unit}: {shown}")
            passed = passed and all(seen.get(p) == v for p, v in props.items())
        return Outcome(passed, "; ".join(parts))

    return evaluate


def unit_command(*units: str) -> tuple[str, ...]:
    """The `systemctl show` argv that reads enablement and activity of units."""
    return ("systemctl", "show", *units, "--property=Id,UnitFileState,ActiveState")


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


def _normal(value: object) -> object:
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    if value is None:
        return []
    return [str(value)]


def _show(value: object) -> str:
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value) if value else "(none)"
    return "(missing)" if value is None else str(value)
