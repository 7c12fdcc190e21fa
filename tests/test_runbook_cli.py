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


def test_teardown_asks_first_and_does_nothing_when_refused(fake, pulumi_cli, tmp_path) -> None:
    fake.state.add_stack("example")
    config = tmp_path / "Pulumi.example.yaml"
    shutil.copy(ROOT / "Pulumi.example.yaml", config)
    result = CliRunner().invoke(cli, ["teardown", "--config", str(config), "--skip-host"], input="n\n")
    assert result.exit_code != 0 and "Aborted" in result.output
    assert fake.state.writes() == [] and pulumi_cli() == []


def test_teardown_without_host_keeps_the_ip_and_prints_the_checklist(fake, tmp_path) -> None:
    ids = fake.state.add_stack("example")
    config = tmp_path / "Pulumi.example.yaml"
    shutil.copy(ROOT / "Pulumi.example.yaml", config)
    argv = ["teardown", "--config", str(config), "--skip-host", "--yes", "--api-only"]
    result = CliRunner().invoke(cli, argv)
    assert result.exit_code == 0, result.output
    assert list(fake.state.primary_ips) == [ids["primary_ip"]] and not fake.state.servers
    assert "Left for you to do at the exchange" in result.output and "pulumi refresh" in result.output


@pytest.fixture
def pulumi_cli(tmp_path, monkeypatch):
    """A fake `pulumi` on PATH (tests/fakes/pulumi_cli.py); returns a reader of its calls."""
    import json
    import sys

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "pulumi"
    script.write_text(f"#!/bin/sh\nexec {sys.executable} {ROOT / 'tests/fakes/pulumi_cli.py'} \"$@\"\n")
    script.chmod(0o755)
    (tmp_path / "state.json").write_text(json.dumps({"protected": True}))
    monkeypatch.setenv("FAKE_PULUMI_STATE", str(tmp_path / "state.json"))
    monkeypatch.setenv("FAKE_PULUMI_LOG", str(tmp_path / "pulumi.log"))
    monkeypatch.setenv("PATH", f"{bin_dir}:{__import__('os').environ['PATH']}")

    def calls() -> list[dict]:
        log = tmp_path / "pulumi.log"
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []

    return calls


def stack_file(tmp_path) -> Path:
    config = tmp_path / "stack" / "Pulumi.example.yaml"
    config.parent.mkdir()
    shutil.copy(ROOT / "Pulumi.example.yaml", config)
    return config


def test_a_plain_pulumi_destroy_deletes_nothing_while_the_ip_is_protected(fake, pulumi_cli, tmp_path) -> None:
    """Issue 12 #4, the problem itself, against the fake CLI: the engine refuses before any step."""
    import subprocess

    fake.state.add_stack("example")
    argv = ["pulumi", "destroy", "--yes", "--stack", "example"]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    assert done.returncode != 0 and "protected" in done.stderr
    assert fake.state.servers and fake.state.writes() == []


def test_teardown_runs_destroy_excluding_the_protected_ip(fake, pulumi_cli, tmp_path) -> None:
    ids = fake.state.add_stack("example")
    config = stack_file(tmp_path)
    result = CliRunner().invoke(cli, ["teardown", "--config", str(config), "--skip-host", "--yes"])
    assert result.exit_code == 0, result.output
    argvs = [call["argv"] for call in pulumi_cli()]
    assert argvs == [
        ["refresh", "--yes", "--skip-preview", "--non-interactive", "--stack", "example"],
        ["destroy", "--yes", "--skip-preview", "--non-interactive", "--exclude-protected",
         "--stack", "example"],
    ]
    assert {call["cwd"] for call in pulumi_cli()} == {str(config.parent)}  # the stack file's directory
    assert "$ pulumi destroy --yes --skip-preview --non-interactive --exclude-protected" in result.output
    assert list(fake.state.primary_ips) == [ids["primary_ip"]] and not fake.state.servers
    assert not fake.state.firewalls and fake.state.primary_ips[ids["primary_ip"]]["protection"]["delete"]
    assert "Left for you to do at the exchange" in result.output


def test_teardown_release_ip_unprotects_then_destroys_everything(fake, pulumi_cli, tmp_path) -> None:
    fake.state.add_stack("example")
    result = CliRunner().invoke(cli, ["teardown", "--config", str(stack_file(tmp_path)), "--skip-host",
                                      "--yes", "--release-ip"])
    assert result.exit_code == 0, result.output
    argvs = [call["argv"][:3] for call in pulumi_cli()]
    assert argvs == [["refresh", "--yes", "--skip-preview"], ["destroy", "--yes", "--skip-preview"],
                     ["state", "unprotect", "--all"], ["destroy", "--yes", "--skip-preview"]]
    assert "--exclude-protected" not in pulumi_cli()[-1]["argv"]
    assert not fake.state.primary_ips and not fake.state.servers and not fake.state.firewalls


def test_teardown_without_the_pulumi_cli_says_so_before_anything(fake, tmp_path, monkeypatch) -> None:
    fake.state.add_stack("example")
    monkeypatch.setenv("PATH", "/nonexistent")
    argv = ["teardown", "--config", str(stack_file(tmp_path)), "--skip-host", "--yes"]
    result = CliRunner().invoke(cli, argv)
    assert result.exit_code != 0 and "Pulumi CLI is not on PATH" in str(result.exception)
    assert fake.state.writes() == []
