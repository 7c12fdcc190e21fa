"""bot-17: the freqtrade preset's stop path is in force (orders cancelled on SIGTERM, within the grace)."""

from __future__ import annotations

import json

from bothost.config.bot_values import freqtrade_protected
from bothost.facts import HOST_JSON, python_fact
from bothost.facts.docker import DOCKER_SOCKET, ENGINE_GET
from bothost.role import Check, CommandResult, Outcome

# Runs on the host as root. Prints only non-secret facts: two settings of bothost's private config (which
# also holds the key), the FREQTRADE__* names in the container's env, and its stop signal and timeout.
STOP_PATH_SCRIPT = HOST_JSON + ENGINE_GET + r"""
socket_path, name, private = sys.argv[1:4]
try:
    with open(private) as f:
        config = loads(f.read())
except (OSError, ValueError):
    config = {}
status, shown = engine_get(socket_path, "/containers/%s/json" % name)
container = (loads(shown).get("Config") if status == "200" else None) or {}
print(dumps({
    "cancel_open_orders_on_exit": config.get("cancel_open_orders_on_exit"),
    "initial_state": config.get("initial_state"),
    "env": sorted(e.split("=", 1)[0] for e in container.get("Env") or [] if e.upper().startswith("FREQ")),
    "stop_signal": container.get("StopSignal"),
    "stop_timeout": container.get("StopTimeout"),
}))
"""


def stop_path_check(container: str, private_config: str, grace: int) -> Check:
    """The check: cancel_open_orders_on_exit set by bothost, no env override of it, SIGTERM with the grace."""
    return Check(
        id="bot-17",
        title="Freqtrade cancels its open orders on stop",
        rationale="A stop, redeploy or teardown must not leave orders open on the exchange: bothost's "
        "private config sets cancel_open_orders_on_exit, no FREQTRADE__ env overrides it, and docker "
        "sends SIGTERM and waits the grace period before SIGKILL.",
        expected=f"cancel_open_orders_on_exit true, initial_state running, no override, SIGTERM, {grace}s",
        command=python_fact(STOP_PATH_SCRIPT, DOCKER_SOCKET, container, private_config),
        evaluate=lambda result: stop_path_in_force(result, grace),
    )


def stop_path_in_force(result: CommandResult, grace: int) -> Outcome:
    """Parser of STOP_PATH_SCRIPT's output."""
    try:
        facts = json.loads(result.stdout)
    except ValueError:
        return Outcome(False, f"no answer (exit {result.exit_status}): {result.stderr.strip()[-200:]}")
    overrides = [name for name in facts.get("env", []) if freqtrade_protected(name)]
    problems = []
    if facts.get("cancel_open_orders_on_exit") is not True:
        problems.append(f"cancel_open_orders_on_exit {facts.get('cancel_open_orders_on_exit')}")
    if facts.get("initial_state") != "running":
        problems.append(f"initial_state {facts.get('initial_state')}")
    if overrides:
        problems.append(f"env overrides {', '.join(overrides)}")
    if facts.get("stop_signal") not in (None, "", "SIGTERM", "15", "TERM"):
        problems.append(f"stop signal {facts.get('stop_signal')}")
    if facts.get("stop_timeout") != grace:
        problems.append(f"stop timeout {facts.get('stop_timeout')}s, not {grace}s")
    if problems:
        return Outcome(False, "; ".join(problems))
    return Outcome(
        True, f"cancel_open_orders_on_exit true, initial_state running, no override, SIGTERM, {grace}s"
    )

