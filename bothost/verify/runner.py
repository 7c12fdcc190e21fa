"""Run the roles' checks: every host command in one batched round trip, probes alongside, pure parsers."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

from bothost.role import Check, CommandResult, Outcome

COMMAND_TIMEOUT = 60  # seconds per check command on the host

# Runs each argv from stdin (a JSON list) in parallel, without a shell, and prints a JSON list of results.
BATCH_PROGRAM = f"""\
import json, subprocess, sys
from concurrent.futures import ThreadPoolExecutor
def run(argv):
    try:
        p = subprocess.run(argv, capture_output=True, timeout={COMMAND_TIMEOUT}, stdin=subprocess.DEVNULL)
        return [p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")]
    except FileNotFoundError as e:
        return [127, "", str(e)]
    except subprocess.TimeoutExpired:
        return [124, "", "timed out after {COMMAND_TIMEOUT} s"]
    except Exception as e:
        return [126, "", repr(e)]
with ThreadPoolExecutor(4) as pool:
    json.dump(list(pool.map(run, json.load(sys.stdin))), sys.stdout)
"""


class Runs(Protocol):
    """Anything that runs an argv on the host (bothost.remote.Remote, or a fake in tests)."""

    def run(self, argv: Sequence[str], *, stdin: bytes | None = None, sudo: bool = True,
            timeout: float = 120.0) -> CommandResult: ...


@dataclass(frozen=True)
class CheckResult:
    """One check and its verdict."""

    check: Check
    outcome: Outcome

    @property
    def passed(self) -> bool:
        """Whether the check passed."""
        return self.outcome.passed


def run_checks(checks: Sequence[Check], remote: Runs,
               probes: Mapping[str, Callable[[], CommandResult]]) -> list[CheckResult]:
    """Every check's verdict, in the given order; identical commands run once."""
    commands = list(dict.fromkeys(c.command for c in checks if c.command is not None))
    names = list(dict.fromkeys(c.probe for c in checks if c.command is None and c.probe))
    with ThreadPoolExecutor(max(1, len(names))) as pool:
        pending = {name: pool.submit(_probe, probes.get(name), name) for name in names}
        outputs = dict(zip(commands, run_batch(remote, commands), strict=True))
        probed = {name: future.result() for name, future in pending.items()}
    results = []
    for check in checks:
        if check.command is not None:
            result = outputs[check.command]
        elif check.probe:
            result = probed[check.probe]
        else:
            result = CommandResult(127, "", "check has neither a command nor a probe")
        results.append(CheckResult(check, _evaluate(check, result)))
    return results


def run_batch(remote: Runs, commands: Sequence[Sequence[str]]) -> list[CommandResult]:
    """All commands in one SSH round trip (python3 on the host); one by one if that is not possible."""
    if not commands:
        return []
    stdin = json.dumps([list(c) for c in commands]).encode()
    batch = remote.run(["python3", "-S", "-c", BATCH_PROGRAM], stdin=stdin, timeout=COMMAND_TIMEOUT * 2)
    if batch.exit_status == 0:
        try:
            decoded = json.loads(batch.stdout)
            if isinstance(decoded, list) and len(decoded) == len(commands):
                return [CommandResult(int(s), str(o), str(e)) for s, o, e in decoded]
        except (ValueError, TypeError):
            pass
    return [remote.run(command, timeout=COMMAND_TIMEOUT) for command in commands]


def _probe(probe: Callable[[], CommandResult] | None, name: str) -> CommandResult:
    """Run a client-side probe; an unknown name is a failed result."""
    if probe is None:
        return CommandResult(127, "", f"unknown client-side probe {name!r}")
    return probe()


def _evaluate(check: Check, result: CommandResult) -> Outcome:
    """The parser's verdict; a parser that raises fails its check instead of aborting the run."""
    try:
        return check.evaluate(result)
    except Exception as exc:
        return Outcome(False, f"cannot parse the output ({type(exc).__name__}: {exc})"[:200])
