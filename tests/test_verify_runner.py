"""The verify runner: a pure function over anything with .run(argv); one batched round trip."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence

import pytest

from bothost.role import Check, CommandResult, Outcome, expect_equal
from bothost.verify.runner import BATCH_PROGRAM, run_batch, run_checks


class LocalRemote:
    """Runs argv here (as the host would, python3 included); records every call."""

    def __init__(self, python: str = sys.executable) -> None:
        self.calls: list[list[str]] = []
        self.python = python

    def run(self, argv: Sequence[str], *, stdin: bytes | None = None, sudo: bool = True,
            timeout: float = 120.0) -> CommandResult:
        self.calls.append(list(argv))
        argv = [self.python if argv[0] == "python3" else argv[0], *argv[1:]]
        try:
            done = subprocess.run(argv, input=stdin or b"", capture_output=True, timeout=timeout)
        except FileNotFoundError as exc:
            return CommandResult(127, "", str(exc))
        return CommandResult(done.returncode, done.stdout.decode(), done.stderr.decode())


def expect_exit_zero(result: CommandResult) -> Outcome:
    """Parser: the command succeeds."""
    return Outcome(result.exit_status == 0, f"exit {result.exit_status}")


def _check(id_: str, command: tuple[str, ...] | None, evaluate=expect_exit_zero, probe: str | None = None,
           expected: str = "") -> Check:
    return Check(id=id_, title=f"title {id_}", rationale="why", expected=expected, command=command,
                 evaluate=evaluate, probe=probe)


def _raises(result: CommandResult) -> Outcome:
    raise ValueError("unexpected output")


CASES = [
    # (check, probe results, passed, actual contains)
    (_check("c-01", ("echo", "yes"), expect_equal("yes")), {}, True, "yes"),
    (_check("c-02", ("echo", "no"), expect_equal("yes")), {}, False, "no"),
    (_check("c-03", ("sh", "-c", "exit 3")), {}, False, "exit 3"),
    (_check("c-04", ("/nonexistent/tool",)), {}, False, "exit 127"),
    (_check("c-05", ("printf", "%s", "a; $(echo x)"), expect_equal("a; $(echo x)")), {}, True, "$(echo"),
    (_check("c-06", ("echo", "x"), _raises), {}, False, "cannot parse the output"),
    (_check("p-01", None, expect_equal("publickey"), "ssh-auth-methods"),
     {"ssh-auth-methods": CommandResult(0, "publickey")}, True, "publickey"),
    (_check("p-02", None, expect_equal("publickey"), "ssh-auth-methods"),
     {"ssh-auth-methods": CommandResult(0, "password,publickey")}, False, "password,publickey"),
    (_check("p-03", None, expect_equal("refused"), "no-such-probe"), {}, False, "unknown client-side probe"),
]


@pytest.mark.parametrize(("check", "probes", "passed", "actual"), CASES, ids=[c[0].id for c in CASES])
def test_verdicts(check: Check, probes: dict[str, CommandResult], passed: bool, actual: str) -> None:
    [result] = run_checks([check], LocalRemote(), {k: (lambda v=v: v) for k, v in probes.items()})
    assert result.passed is passed
    assert actual in result.outcome.actual


def test_all_host_commands_share_one_round_trip_and_run_once() -> None:
    remote = LocalRemote()
    checks = [_check("a", ("echo", "1"), expect_equal("1")), _check("b", ("echo", "1"), expect_equal("1")),
              _check("c", ("echo", "2"), expect_equal("2")), _check("d", None, probe="x")]
    results = run_checks(checks, remote, {"x": lambda: CommandResult(0, "ok")})
    assert [r.check.id for r in results] == ["a", "b", "c", "d"]  # report order = check order
    assert all(r.passed for r in results)
    assert remote.calls == [["python3", "-S", "-c", BATCH_PROGRAM]]


def test_probes_run_once_each() -> None:
    calls: list[str] = []
    checks = [_check("a", None, probe="x"), _check("b", None, probe="x")]
    run_checks(checks, LocalRemote(), {"x": lambda: calls.append("x") or CommandResult(0, "")})
    assert calls == ["x"]


def test_without_python_on_the_host_commands_run_one_by_one() -> None:
    remote = LocalRemote(python="/nonexistent/python3")
    results = run_batch(remote, [("echo", "1"), ("echo", "2")])
    assert [r.stdout for r in results] == ["1\n", "2\n"]
    assert remote.calls[1:] == [["echo", "1"], ["echo", "2"]]


def test_no_commands_no_round_trip() -> None:
    remote = LocalRemote()
    assert run_checks([_check("p", None, probe="x")], remote, {"x": lambda: CommandResult(0, "")})[0].passed
    assert remote.calls == []


def test_batch_keeps_stdout_stderr_and_status_apart() -> None:
    [result] = run_batch(LocalRemote(), [("sh", "-c", "echo out; echo err >&2; exit 4")])
    assert result == CommandResult(4, "out\n", "err\n")


def test_python_checks_run_inside_the_batch_interpreter_with_the_same_results() -> None:
    """One interpreter start for the whole verify: a `python3 -c` check runs in the batch's own process."""
    exits = ("import sys; print(sys.argv[1:]); print('warn', file=sys.stderr); sys.exit(3)")
    results = run_batch(LocalRemote(), [
        ("python3", "-S", "-c", "import os; print(os.getpid())"),
        ("sh", "-c", "echo $PPID"),  # the batch's pid, as its children see it
        ("python3", "-c", exits, "arg"),
        ("python3", "-c", "import sys; sys.exit('refused')"),
        ("python3", "-c", "raise ValueError('bad')"),
        ("python3", "-I", "-c", "import os; print(os.getpid())"),  # other flags: its own interpreter
    ])
    inline, parent, exited, message, raised, isolated = results
    assert inline.stdout == parent.stdout and inline.exit_status == 0
    assert exited == CommandResult(3, "['arg']\n", "warn\n")
    assert (message.exit_status, message.stderr) == (1, "refused\n")
    assert raised.exit_status == 1 and "ValueError('bad')" in raised.stderr
    assert isolated.stdout != parent.stdout
