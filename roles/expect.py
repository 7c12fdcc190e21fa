"""Check parsers: turn a fact (a command's result) into a check's Outcome, with what was seen."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping

from bothost.facts.system import key_values, unit_states
from bothost.role import CommandResult, Outcome

Parser = Callable[[CommandResult], Outcome]


def failed(result: CommandResult) -> Outcome | None:
    """A failing Outcome when the command itself failed, else None."""
    if result.exit_status == 0:
        return None
    text = (result.stderr.strip() or result.stdout.strip())[:200]
    return Outcome(False, f"exit {result.exit_status}" + (f": {text}" if text else ""))


def json_object(result: CommandResult) -> tuple[dict | None, Outcome | None]:
    """The command's stdout as a JSON object, or the failing Outcome (command failed, not JSON, no object)."""
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


def expect_property(name: str, expected: str) -> Parser:
    """Parser of `K=V` lines (`timedatectl show`): property `name` equals `expected`."""

    def evaluate(result: CommandResult) -> Outcome:
        failure = failed(result)
        if failure:
            return failure
        actual = key_values(result.stdout).get(name)
        return Outcome(actual == expected, f"{name}={actual}" if actual is not None else f"{name} unset")

    return evaluate


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
