"""Run the roles' checks: every host command in one batched round trip, probes alongside, pure parsers."""

from __future__ import annotations

import json
import marshal
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bothost.facts.system import fold_unit_commands
from bothost.role import Check, CommandResult, Outcome

if TYPE_CHECKING:
    from bothost.host import Host
    from bothost.ssh import Target

COMMAND_TIMEOUT = 60  # seconds per check command on the host
AUTH_METHODS_PROBE = "ssh-auth-methods"  # answered by the checks' own login, which asks with 'none' first

# Runs each argv of the marshalled list on stdin and prints a JSON list of [status, stdout, stderr]. Under
# emulation every process start and every import costs a tenth of a second or more, so it imports nothing that
# pulls in enum or re (no json, subprocess, socket, threading): it starts every command at once with
# posix_spawn, outputs into memory files, while it reads `cat FILE...` (no options) itself and runs each
# `python3 [-S] -c CODE ...` check inside this interpreter (main thread, output captured); then it reaps the
# commands, killing any still running TIMEOUT seconds (argv[1]) after its start, and writes the JSON by hand.
BATCH_PROGRAM = r"""
import io, marshal, os, sys, time
TIMEOUT = float(sys.argv[1])
def spawn(argv):
    out, err = os.memfd_create("stdout"), os.memfd_create("stderr")
    try:
        pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=[
            (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_DUP2, out, 1), (os.POSIX_SPAWN_DUP2, err, 2)])
    except OSError as e:
        os.close(out)
        os.close(err)
        return [127 if isinstance(e, FileNotFoundError) else 126, "", str(e)]
    return (pid, out, err, time.monotonic() + TIMEOUT)
def text(fd):
    os.lseek(fd, 0, 0)
    with open(fd, "rb") as f:
        return f.read().decode(errors="replace")
def reap(job):
    if isinstance(job, list):
        return job
    pid, out, err, deadline = job
    done, status = os.waitpid(pid, os.WNOHANG)
    while not done and time.monotonic() < deadline:
        time.sleep(0.005)
        done, status = os.waitpid(pid, os.WNOHANG)
    if not done:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        os.close(out)
        os.close(err)
        return [124, "", "timed out after %g s" % TIMEOUT]
    return [os.waitstatus_to_exitcode(status), text(out), text(err)]
def cat(argv):
    out, err, status = [], [], 0
    for path in argv[1:]:
        try:
            with open(path, "rb") as f:
                out.append(f.read())
        except OSError as e:
            err.append("cat: %s: %s\n" % (path, e.strerror))
            status = 1
    return [status, b"".join(out).decode(errors="replace"), "".join(err)]
def is_cat(argv):
    return argv[0] == "cat" and len(argv) > 1 and not any(a.startswith("-") for a in argv[1:])
def code_of(argv):
    flags = argv[1:argv.index("-c")] if argv[0] == "python3" and "-c" in argv[1:3] else None
    return argv[len(flags) + 2] if flags in ([], ["-S"]) and len(argv) > len(flags) + 2 else None
def inline(argv):
    code, saved = code_of(argv), (sys.argv, sys.stdin, sys.stdout, sys.stderr)
    out, err = io.StringIO(), io.StringIO()
    status = 0
    sys.argv, sys.stdout, sys.stderr = ["-c", *argv[argv.index(code) + 1:]], out, err
    sys.stdin = open(os.devnull)
    try:
        exec(compile(code, "<check>", "exec"), {"__name__": "__main__"})
    except SystemExit as e:
        status = e.code if isinstance(e.code, int) else 0 if e.code is None else print(e.code, file=err) or 1
    except BaseException as e:
        status = 1
        print(repr(e), file=err)
    finally:
        sys.stdin.close()
        sys.argv, sys.stdin, sys.stdout, sys.stderr = saved
    return [status, out.getvalue(), err.getvalue()]
ESCAPES = {c: "\\u%04x" % c for c in range(32)}
ESCAPES.update({34: '\\"', 92: "\\\\"})
def js(value):
    return '"%s"' % value.translate(ESCAPES)
commands = marshal.loads(sys.stdin.buffer.read())
local = [cat if is_cat(a) else inline if code_of(a) else None for a in commands]
jobs = [None if read else spawn(a) for a, read in zip(commands, local)]
done = [read(a) if read else None for a, read in zip(commands, local)]
results = [d if j is None else reap(j) for d, j in zip(done, jobs)]
body = ",".join("[%d,%s,%s]" % (s, js(o), js(e)) for s, o, e in results)
sys.stdout.buffer.write(("[%s]" % body).encode("utf-8", "backslashreplace"))
"""


# The firewall rate-limits new SSH connections (and sshd refuses them while it reloads): retry this long.
CONNECT_SECONDS = 60.0


@dataclass(frozen=True)
class CheckResult:
    """One check and its verdict."""

    check: Check
    outcome: Outcome

    @property
    def passed(self) -> bool:
        """Whether the check passed."""
        return self.outcome.passed


def run_checks(checks: Sequence[Check], remote: Host,
               probes: Mapping[str, Callable[[], CommandResult]]) -> list[CheckResult]:
    """Every check's verdict, in the given order; identical commands run once, unit reads as one."""
    commands, unfold = fold_unit_commands(
        list(dict.fromkeys(c.command for c in checks if c.command is not None)))
    names = list(dict.fromkeys(c.probe for c in checks if c.command is None and c.probe))
    with ThreadPoolExecutor(max(1, len(names))) as pool:
        pending = {name: pool.submit(_probe, probes.get(name), name) for name in names}
        outputs = dict(zip(commands, run_batch(remote, commands), strict=True))
        unfold(outputs)
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


def run_batch(remote: Host, commands: Sequence[Sequence[str]],
              timeout: float = COMMAND_TIMEOUT) -> list[CommandResult]:
    """All commands in one SSH round trip (python3 on the host), each cut off after `timeout` seconds; one by
    one if that is not possible."""
    if not commands:
        return []
    stdin = marshal.dumps([list(c) for c in commands], 4)  # format 4: every python3 since 3.4 reads it
    batch = remote.run(batch_argv(timeout), stdin=stdin, timeout=timeout * 2)
    if batch.exit_status == 0:
        try:
            decoded = json.loads(batch.stdout)
            if isinstance(decoded, list) and len(decoded) == len(commands):
                return [CommandResult(int(s), str(o), str(e)) for s, o, e in decoded]
        except (ValueError, TypeError):
            pass
    return [remote.run(command, timeout=timeout) for command in commands]


def batch_argv(timeout: float = COMMAND_TIMEOUT) -> list[str]:
    """The batch's command line: the program and each command's time limit in seconds."""
    return ["python3", "-S", "-c", BATCH_PROGRAM, f"{timeout:g}"]


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


def verify_target(target: Target, checks: Sequence[Check]) -> list[CheckResult]:
    """Every check's verdict on the live host: one session runs the host-side checks and, while logging in,
    sees the offered auth methods; the root-login probe runs alongside on its own connection."""
    from bothost.host import connect
    from bothost.verify.probes import client_probes

    wanted = {c.probe for c in checks if c.command is None and c.probe} - {AUTH_METHODS_PROBE}
    probes = {name: probe for name, probe in client_probes(target).items() if name in wanted}
    with ThreadPoolExecutor(max(1, len(probes))) as pool:
        started: dict[str, Callable[[], CommandResult]] = {
            name: pool.submit(probe).result for name, probe in probes.items()}
        with connect(target, wait=CONNECT_SECONDS, interval=2.0) as host:
            offered = CommandResult(0, ",".join(host.offered_auth_methods))
            return run_checks(checks, host, {**started, AUTH_METHODS_PROBE: lambda: offered})
