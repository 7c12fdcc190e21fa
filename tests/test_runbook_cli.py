"""The runbook's CLI verbs: help works, ci-ssh and teardown run end to end against the fake Hetzner API."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from fakes.hetzner import FakeHetzner

from bothost.cli import cli

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("argv", [["ci-ssh", "open"], ["ci-ssh", "close"], ["ci-ssh", "check"],
                                  ["rotate", "ssh-key"], ["rotate", "exchange-key"], ["rotate", "host"],
                                  ["rotate", "host-keys"], ["teardown"]])
def test_help(argv) -> None:
    result = CliRunner().invoke(cli, [*argv, "--help"])
    assert result.exit_code == 0, result.output


@pytest.fixture
def fake(monkeypatch):
    with FakeHetzner() as server:
        monkeypatch.setenv("HCLOUD_TOKEN", server.state.token)
        monkeypatch.setenv("HCLOUD_ENDPOINT", server.endpoint)
        yield server


def test_open_close_check_round_trip(fake) -> None:
    fake.state.add_stack("prod")
    runner = CliRunner()
    opened = runner.invoke(cli, ["ci-ssh", "open", "--stack", "prod", "--ip", "203.0.114.44",
                                 "--run-id", "gh-1-1", "--port", "22"])
    assert opened.exit_code == 0 and "203.0.114.44/32 port 22 (run gh-1-1" in opened.output
    left = runner.invoke(cli, ["ci-ssh", "check", "--stack", "prod"])
    assert left.exit_code != 0 and "left behind" in str(left.exception)
    closed = runner.invoke(cli, ["ci-ssh", "close", "--stack", "prod", "--run-id", "gh-1-1"])
    assert closed.exit_code == 0 and "closed: 203.0.114.44/32" in closed.output
    clean = runner.invoke(cli, ["ci-ssh", "check", "--stack", "prod"])
    assert clean.exit_code == 0 and "no CI SSH opening" in clean.output
    for result in (opened, left, closed, clean):
        assert fake.state.token not in result.output + str(result.exception)


def test_teardown_asks_first_and_does_nothing_when_refused(fake, tmp_path) -> None:
    fake.state.add_stack("example")
    config = tmp_path / "Pulumi.example.yaml"
    shutil.copy(ROOT / "Pulumi.example.yaml", config)
    result = CliRunner().invoke(cli, ["teardown", "--config", str(config), "--skip-host"], input="n\n")
    assert result.exit_code != 0 and fake.state.writes() == []


def test_teardown_without_host_keeps_the_ip_and_prints_the_checklist(fake, tmp_path) -> None:
    ids = fake.state.add_stack("example")
    config = tmp_path / "Pulumi.example.yaml"
    shutil.copy(ROOT / "Pulumi.example.yaml", config)
    result = CliRunner().invoke(cli, ["teardown", "--config", str(config), "--skip-host", "--yes"])
    assert result.exit_code == 0, result.output
    assert list(fake.state.primary_ips) == [ids["primary_ip"]] and not fake.state.servers
    assert "Left for you to do at the exchange" in result.output and "pulumi refresh" in result.output
