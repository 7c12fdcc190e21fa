"""The verify report: one table row per check, failures in full, and the same facts as JSON."""

from __future__ import annotations

import json

from bothost.role import Check, CommandResult, Outcome
from bothost.verify.report import as_json, as_table, summary
from bothost.verify.runner import CheckResult

LONG = "kexalgorithms=sntrup761x25519-sha512,curve25519-sha256,diffie-hellman-group16-sha512"


def expect_exit_zero(result: CommandResult) -> Outcome:
    """Parser: the command succeeds."""
    return Outcome(result.exit_status == 0, f"exit {result.exit_status}")


def _result(id_: str, passed: bool, actual: str = "seen", expected: str = "wanted") -> CheckResult:
    check = Check(id=id_, title=f"Control {id_}", rationale=f"Because {id_}.", expected=expected,
                  command=("true",), evaluate=expect_exit_zero)
    return CheckResult(check, Outcome(passed, actual))


RESULTS = [_result("ssh-01", True), _result("fw-01", False, actual="policy accept", expected="policy drop"),
           _result("ssh-06", False, actual=LONG + ",diffie-hellman-group14-sha1", expected=LONG)]


def test_table_has_one_row_per_check_with_its_verdict() -> None:
    lines = as_table(RESULTS, "bothost@203.0.113.7:22").splitlines()
    assert lines[0].split() == ["ID", "CONTROL", "EXPECTED", "ACTUAL", "RESULT"]
    rows = {line.split()[0]: line for line in lines[2:5]}
    assert [rows[i].split()[-1] for i in ("ssh-01", "fw-01", "ssh-06")] == ["PASS", "FAIL", "FAIL"]
    assert "policy drop" in rows["fw-01"] and "policy accept" in rows["fw-01"]
    assert max(len(line) for line in lines[:5]) <= 160


def test_failures_are_shown_in_full_with_their_rationale() -> None:
    text = as_table(RESULTS, "h")
    assert "1/3 checks passed, 2 FAILED" in text
    details = text.split("FAIL ssh-06")[1]
    assert "diffie-hellman-group14-sha1" in details.replace("\n", "").replace(" ", "")
    assert "why: Because ssh-06." in details
    assert "FAIL ssh-01" not in text


def test_json_report() -> None:
    report = json.loads(json.dumps(as_json(RESULTS, "h")))
    assert report["passed"] is False
    assert report["summary"] == {"total": 3, "passed": 1, "failed": 2}
    assert [c["id"] for c in report["checks"]] == ["ssh-01", "fw-01", "ssh-06"]
    assert report["checks"][1] == {"id": "fw-01", "title": "Control fw-01", "rationale": "Because fw-01.",
                                   "expected": "policy drop", "actual": "policy accept", "result": "FAIL"}


def test_all_green() -> None:
    assert summary([RESULTS[0]]) == {"total": 1, "passed": 1, "failed": 0}
    assert as_json([RESULTS[0]], "h")["passed"] is True
    assert "FAILED" not in as_table([RESULTS[0]], "h")
