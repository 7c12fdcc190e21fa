"""The verify runner: a pure function over anything with .run(argv); one batched round trip."""

from __future__ import annotations

import marshal
import os
import subprocess
import sys
from collections.abc import Sequence

import pytest

from bothost.facts.system import unit_command
from bothost.role import Check, CommandResult, Outcome, expect_equal
from bothost.verify.runner import batch_argv, run_batch, run_checks
from roles.expect import expect_units


class LocalRemote:
    """Runs argv here (as the host would, python3 included); records every call."""

    def __init__(self, python: str = sys.executable, path_first: str | None = None) -> None:
        self.calls: list[list[str]] = []
        self.python = python
        self.env = {**os.environ, "PATH": f"{path_first}:{os.environ['PATH']}"} if path_first else None

    def run(self, argv: Sequence[str], *, stdin: bytes | None = None, sudo: bool = True,
            timeout: float = 120.0) -> CommandResult:
        self.calls.append(list(argv))
        argv = [self.python if argv[0] == "python3" else argv[0], *argv[1:]]
        try:
            done = subprocess.run(argv, input=stdin or b"", capture_output=True, timeout=timeout,
                                  env=self.env)
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
    assert remote.calls == [batch_argv()]


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


def test_cat_is_read_in_the_batch_exactly_as_cat_prints_it(tmp_path) -> None:
    """`cat FILE...` starts no process in the batch, and gives what the real cat gives."""
    (tmp_path / "a").write_text("first\n")
    (tmp_path / "b").write_bytes(b"second, no newline")
    (tmp_path / "dir").mkdir()
    argvs = [("cat", str(tmp_path / "a"), str(tmp_path / "b")),
             ("cat", str(tmp_path / "a"), str(tmp_path / "missing"), str(tmp_path / "b")),
             ("cat", str(tmp_path / "dir"))]
    remote = LocalRemote()
    results = run_batch(remote, argvs)
    for argv, result in zip(argvs, results, strict=True):
        real = subprocess.run(argv, capture_output=True, text=True)
        assert result == CommandResult(real.returncode, real.stdout, real.stderr)
    assert results[0].stdout == "first\nsecond, no newline" and results[1].exit_status == 1
    assert remote.calls == [batch_argv()]


def test_cat_in_the_batch_starts_no_process(tmp_path) -> None:
    """A fake `cat` first on the batch's PATH is never run for plain files, only for cat with options."""
    fake = tmp_path / "bin" / "cat"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho fake\n")
    fake.chmod(0o755)
    (tmp_path / "f").write_text("real\n")
    remote = LocalRemote(path_first=str(fake.parent))
    plain, option = run_batch(remote, [("cat", str(tmp_path / "f")), ("cat", "-A", str(tmp_path / "f"))])
    assert (plain.stdout, option.stdout) == ("real\n", "fake\n")


def test_unit_reads_share_one_systemctl_and_keep_their_verdicts(tmp_path) -> None:
    """Checks on different units: one `systemctl show` on the host; a disabled unit fails only its check."""
    fake = tmp_path / "systemctl"
    fake.write_text('#!/bin/sh\necho "$*" >> "$0.log"\nshift\nfor u; do case "$u" in --*) ;; *)\n'
                    'printf "Id=%s\\nUnitFileState=%s\\n\\n" "$u" "$(case $u in b.*) echo disabled;; '
                    '*) echo enabled;; esac)";; esac; done\n')
    fake.chmod(0o755)
    checks = [_check(f"u-{unit}", unit_command(unit), expect_units({unit: {"UnitFileState": "enabled"}}))
              for unit in ("a.service", "b.timer", "c.socket")]
    results = run_checks(checks, LocalRemote(path_first=str(tmp_path)), {})
    assert [r.passed for r in results] == [True, False, True]
    assert results[1].outcome.actual == "b.timer: disabled"
    assert (tmp_path / "systemctl.log").read_text().splitlines() == [
        "show a.service b.timer c.socket --property=Id,UnitFileState,ActiveState"]


def test_batch_cuts_off_a_command_at_its_time_limit_and_keeps_the_others() -> None:
    slow, quick = run_batch(LocalRemote(), [("sleep", "30"), ("echo", "x")], timeout=0.5)
    assert slow == CommandResult(124, "", "timed out after 0.5 s")
    assert quick == CommandResult(0, "x\n", "")


def test_batch_starts_every_command_before_it_waits_for_any(tmp_path) -> None:
    """Four commands that each wait for all four to have started: they finish only if run side by side."""
    wait = 'touch "$1/$2"; while [ "$(ls "$1" | wc -l)" -lt 4 ]; do sleep 0.01; done; echo "$2"'
    results = run_batch(LocalRemote(), [("sh", "-c", wait, "sh", str(tmp_path), str(n)) for n in range(4)],
                        timeout=20)
    assert [r.stdout for r in results] == ["0\n", "1\n", "2\n", "3\n"]


def test_batch_output_survives_any_text() -> None:
    """Quotes, backslashes, control characters, non-ASCII, undecodable bytes and lone surrogates."""
    weird = 'q"b\\\\c\x01\x1f\t\u00e9\u20ac'
    raw, inline = run_batch(LocalRemote(), [
        ("printf", "%s\\377", weird),
        ("python3", "-S", "-c", "import sys; sys.stdout.write(sys.argv[1] + '\\udcff')", weird),
    ])
    assert raw.stdout == weird + "\ufffd"
    assert inline.stdout == weird + "\udcff"


def test_batch_imports_nothing_that_pulls_in_re_or_enum() -> None:
    """Every in-process fact of the example stack's checks and of a Freqtrade bot's runs in the batch without
    importing the modules that cost a third of a second each under emulation (json, subprocess, socket and
    their re and enum)."""
    from pathlib import Path

    from role_specs import make_spec

    from bothost.cli.options import load_spec
    from bothost.role import RenderContext
    from bothost.userdata import role_checks
    from roles.bot import BotRole

    spec = load_spec(Path(__file__).resolve().parents[1] / "Pulumi.example.yaml")
    bot = make_spec(bot={"preset": "freqtrade"}, botSecrets={"apiPassword": "p", "configPassword": "c"})
    checks = role_checks(spec, RenderContext()) + BotRole().checks(BotRole().settings(bot, RenderContext()))
    inline = [c.command for c in checks if c.command and c.command[0] == "python3"]
    assert len(inline) >= 12 and {"bot-16", "bot-17", "bot-18", "bot-19"} <= {
        c.id for c in checks if c.command in inline}
    assert all(c[:3] == ("python3", "-S", "-c") for c in inline)  # python_fact(): no site, run in the batch
    traced = ["python3", "-S", "-X", "importtime", "-c", batch_argv()[3], "60"]
    remote = LocalRemote()
    stdin = marshal.dumps([list(c) for c in dict.fromkeys(inline)], 4)
    done = remote.run(traced, stdin=stdin)
    assert done.exit_status == 0 and done.stdout.startswith("[")
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if "|" in line}
    heavy = {"json", "subprocess", "socket", "re", "enum", "threading", "concurrent.futures", "base64",
             "hashlib"}
    assert imported and not imported & heavy
