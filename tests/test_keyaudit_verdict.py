"""Pure judgments: whitelist matching and clock limits."""

from __future__ import annotations

import pytest

from bothost.keyaudit.guide import GUIDES
from bothost.keyaudit.verdict import ip_allowed, judge_clock, judge_facts, judge_proof


@pytest.mark.parametrize(
    ("entry", "allowed"),
    [
        ("203.0.113.10", True),
        ("203.0.113.11", False),
        ("203.0.113.0/24", True),
        ("198.51.100.0/24", False),
        ("203.**.10", True),  # KuCoin masks the middle octets
        ("203.**.11", False),
        ("not-an-ip", False),
    ],
)
def test_ip_allowed(entry: str, allowed: bool) -> None:
    assert ip_allowed("203.0.113.10", entry) is allowed


def _clock(skew: int, ahead: int | None = 1000, behind: int | None = 5000, resolution: int = 1) -> dict:
    return {"skew_ms": skew, "rtt_ms": 3, "resolution_ms": resolution, "ahead_ms": ahead, "behind_ms": behind}


@pytest.mark.parametrize(
    ("clock", "code"),
    [
        (_clock(120), "clock"),
        (_clock(-499), "clock"),
        (_clock(-700), "clock-skew"),
        (_clock(900), "clock-skew"),
        (_clock(1200), "clock-window"),  # ahead: Binance allows only 1 s
        (_clock(-4900), "clock-skew"),
        (_clock(-5200), "clock-window"),
        (_clock(-1400, resolution=1000), "clock"),  # one-second server time: 1.4 s may be 0.4 s
        (_clock(-90000, ahead=None, behind=None, resolution=1000), "clock-skew"),  # Kraken: no window
        ({"error": "unexpected"}, "clock-unknown"),
    ],
)
def test_clock_judgment(clock: dict, code: str) -> None:
    assert [f.code for f in judge_clock(clock, GUIDES["binance"], "the host")] == [code]


def test_extra_whitelist_entries_warn() -> None:
    facts = {
        "read": True,
        "trade": True,
        "withdraw": False,
        "permissions": [],
        "withdraw_via": [],
        "transfer": [],
        "ip_list": ["203.0.113.10", "0.0.0.0/0"],
        "ip_restricted": True,
        "ip_masked": False,
        "expires": None,
    }
    codes = {f.code: f.level for f in judge_facts(facts, GUIDES["okx"], "203.0.113.10")}
    assert codes["ip"] == "info" and codes["ip-extra"] == "warn"


def test_unproven_binance_whitelist_warns() -> None:
    findings = judge_proof({"status": "unreachable", "detail": "URLError"}, GUIDES["binance"], "203.0.113.10")
    assert [(f.level, f.code) for f in findings] == [("warn", "ip-unproven")]
