"""`bothost verify`: where the target comes from, the report formats, and the exit status."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_stack import ED, RSA, fake_pulumi

from bothost.cli import cli
from bothost.role import Outcome
from bothost.verify import runner as verify_runner
from bothost.verify.runner import CheckResult

ROOT = Path(__file__).resolve().parent.parent
CONFIG = str(ROOT / "Pulumi.example.yaml")


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> dict:
    """Replaces the SSH part: records the target and checks; fails the checks listed in seen['fail']."""
    record: dict = {"fail": set()}

    def fake_verify(target, checks):
        record["target"], record["checks"] = target, list(checks)
        return [CheckResult(c, Outcome(c.id not in record["fail"], "seen")) for c in checks]

    monkeypatch.setattr(verify_runner, "verify_target", fake_verify)
    return record


def test_explicit_target_needs_no_pulumi(seen: dict, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no pulumi at all
    result = CliRunner().invoke(cli, ["verify", "--host", "203.0.113.7", "--port", "2222", "--user", "ops",
                                      "--host-key", ED + " comment", "--host-key", RSA, "--config", CONFIG])
    assert result.exit_code == 0, result.output
    target = seen["target"]
    assert (target.host, target.port, target.user) == ("203.0.113.7", 2222, "ops")
    assert target.host_keys == (ED, RSA)
    assert "checks passed" in result.output and "FAIL" not in result.output


def test_defaults_come_from_the_stack_outputs(seen: dict, monkeypatch: pytest.MonkeyPatch,
                                              tmp_path: Path) -> None:
    outputs = {"whitelistIpv4": "198.51.100.4", "sshPort": 22, "adminUser": "bothost", "hostPublicKeys": [ED]}
    monkeypatch.setenv("PATH", f"{fake_pulumi(tmp_path / 'bin', json.dumps(outputs))}:{os.environ['PATH']}")
    result = CliRunner().invoke(cli, ["verify", "--config", CONFIG])
    assert result.exit_code == 0, result.output
    assert (seen["target"].host, seen["target"].host_keys) == ("198.51.100.4", (ED,))


def test_checks_are_exactly_the_roles_checks(seen: dict) -> None:
    from bothost.cli.options import load_spec
    from bothost.role import RenderContext
    from bothost.userdata import role_checks

    CliRunner().invoke(cli, ["verify", "--host", "h", "--host-key", ED, "--config", CONFIG])
    expected = [c.id for c in role_checks(load_spec(Path(CONFIG)), RenderContext())]
    assert [c.id for c in seen["checks"]] == expected


def test_a_failing_check_exits_non_zero_and_json_says_which(seen: dict) -> None:
    seen["fail"] = {"time-01"}
    args = ["verify", "--host", "h", "--host-key", ED, "--config", CONFIG, "--json"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["passed"] is False
    assert [c["id"] for c in report["checks"] if c["result"] == "FAIL"] == ["time-01"]


@pytest.mark.parametrize("verb", ["verify", "rehearse"])
def test_help(verb: str) -> None:
    result = CliRunner().invoke(cli, [verb, "--help"])
    assert result.exit_code == 0 and "--config" in result.output
