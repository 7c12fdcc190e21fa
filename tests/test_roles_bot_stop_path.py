"""bot-17's parser and the script it runs (against a fake Engine API and a real private config file)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from fake_engine import fake_engine

from bothost.role import CommandResult
from roles.bot.stop_path import stop_path_check, stop_path_in_force

GOOD = {
    "cancel_open_orders_on_exit": True,
    "initial_state": "running",
    "env": ["FREQTRADE__BOT_NAME"],
    "stop_signal": None,
    "stop_timeout": 90,
}


@pytest.mark.parametrize(
    ("change", "passed", "seen"),
    [
        ({}, True, "no override"),
        ({"cancel_open_orders_on_exit": False}, False, "cancel_open_orders_on_exit False"),
        ({"cancel_open_orders_on_exit": None}, False, "cancel_open_orders_on_exit None"),
        ({"initial_state": "stopped"}, False, "initial_state stopped"),
        (
            {"env": ["FREQTRADE__CANCEL_OPEN_ORDERS_ON_EXIT"]},
            False,
            "env overrides FREQTRADE__CANCEL_OPEN_ORDERS_ON_EXIT",
        ),
        ({"env": ["FREQTRADE__API_SERVER__LISTEN_IP_ADDRESS"]}, False, "env overrides"),
        ({"stop_signal": "SIGKILL"}, False, "stop signal SIGKILL"),
        ({"stop_timeout": 10}, False, "stop timeout 10s, not 90s"),
    ],
)
def test_stop_path_parser(change: dict, passed: bool, seen: str) -> None:
    outcome = stop_path_in_force(CommandResult(0, json.dumps({**GOOD, **change})), 90)
    assert outcome.passed is passed and seen in outcome.actual


def test_the_script_reads_the_config_and_docker_without_printing_secrets(tmp_path: Path) -> None:
    private = tmp_path / "config-private.json"
    private.write_text(
        json.dumps(
            {
                "exchange": {"key": "KEY-SENTINEL-1", "secret": "SECRET-SENTINEL-2"},
                "cancel_open_orders_on_exit": True,
                "initial_state": "running",
            }
        )
    )
    engine = tmp_path / "docker.sock"
    env = ["FT_APP_ENV=bothost", "FREQTRADE__BOT_NAME=x", "PATH=/bin"]
    inspect = {"Config": {"Env": env, "StopTimeout": 90}}
    check = stop_path_check("bothost-bot", str(private), 90)
    argv = [sys.executable, *check.command[1:-3], str(engine), *check.command[-2:]]
    with fake_engine(engine, {"/containers/bothost-bot/json": inspect}):
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
    assert "SENTINEL" not in done.stdout + done.stderr
    outcome = check.evaluate(CommandResult(done.returncode, done.stdout, done.stderr))
    assert outcome.passed, outcome.actual
