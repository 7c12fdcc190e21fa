"""The verify report: a table for people, JSON for machines."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

from bothost.verify.runner import CheckResult

WIDTHS = {"id": 8, "control": 38, "expected": 34, "actual": 34}  # table columns; details follow the table


def summary(results: Sequence[CheckResult]) -> dict[str, int]:
    """Counts of checks run, passed and failed."""
    failed = sum(1 for r in results if not r.passed)
    return {"total": len(results), "passed": len(results) - failed, "failed": failed}


def as_table(results: Sequence[CheckResult], target: str) -> str:
    """One row per check (id, control, expected, actual, PASS/FAIL); failures then in full, with why."""
    header = {"id": "ID", "control": "CONTROL", "expected": "EXPECTED", "actual": "ACTUAL"}
    lines = [_row(header, "RESULT"), _row({k: "-" * w for k, w in WIDTHS.items()}, "------")]
    for r in results:
        cells = {"id": r.check.id, "control": r.check.title, "expected": r.check.expected,
                 "actual": r.outcome.actual}
        lines.append(_row(cells, "PASS" if r.passed else "FAIL"))
    counts = summary(results)
    lines.append("")
    lines.append(f"{target}: {counts['passed']}/{counts['total']} checks passed"
                 + (f", {counts['failed']} FAILED" if counts["failed"] else ""))
    for r in (r for r in results if not r.passed):
        lines += ["", f"FAIL {r.check.id} {r.check.title}",
                  *textwrap.wrap(f"why: {r.check.rationale}", 108, subsequent_indent="     "),
                  *textwrap.wrap(f"expected: {r.check.expected}", 108, subsequent_indent="     "),
                  *textwrap.wrap(f"actual: {r.outcome.actual}", 108, subsequent_indent="     ")]
    return "\n".join(lines)


def as_json(results: Sequence[CheckResult], target: str) -> dict[str, Any]:
    """The report as a JSON-ready dict."""
    return {
        "target": target,
        "passed": all(r.passed for r in results),
        "summary": summary(results),
        "checks": [{"id": r.check.id, "title": r.check.title, "rationale": r.check.rationale,
                    "expected": r.check.expected, "actual": r.outcome.actual,
                    "result": "PASS" if r.passed else "FAIL"} for r in results],
    }


def _row(cells: dict[str, str], result: str) -> str:
    """One fixed-width table row."""
    return " ".join(_fit(cells[k], w) for k, w in WIDTHS.items()) + " " + result


def _fit(text: str, width: int) -> str:
    """Text on one line, cut to the column width."""
    text = " ".join(str(text).split())
    return (text if len(text) <= width else text[: width - 3] + "...").ljust(width)
