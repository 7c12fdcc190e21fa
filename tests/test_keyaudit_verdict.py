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


def _facts(ip_list: list[str] | None, **more: object) -> dict:
    return {
        "permissions": ["read_only", "trade"],
        "ip_list": ip_list,
        "ip_restricted": bool(ip_list),
        "ip_masked": False,
        "master": False,
        "expires": None,
        "pairs": None,
        **more,
    }


@pytest.mark.parametrize(
    ("ip_list", "code", "level"),
    [
        (["203.0.113.10"], "ip", "info"),
        (["203.0.113.10/32"], "ip", "info"),
        (["203.0.113.10", "2001:db8::7/128"], "ip-extra", "warn"),  # another single address: a warning
        (["203.0.113.10", "198.51.100.7"], "ip-extra", "warn"),
        (["203.0.113.10", "0.0.0.0/0"], "ip-wide", "fail"),  # anything wider than one address is refused
        (["203.0.113.10", "::/0"], "ip-wide", "fail"),
        (["203.0.113.0/24"], "ip-wide", "fail"),  # contains the host, and 255 others
        (["10.1.0.0/16", "203.0.113.10"], "ip-wide", "fail"),  # Kraken accepts CIDR ranges
        (["198.51.100.7"], "ip-missing", "fail"),
    ],
)
def test_allowlist_wider_than_the_host_is_refused(ip_list: list[str], code: str, level: str) -> None:
    findings = {f.code: f for f in judge_facts(_facts(ip_list), "okx", GUIDES["okx"], "203.0.113.10")}
    assert findings[code].level == level
    assert level == "info" or findings[code].waivable == (level == "fail")
    if code == "ip-wide":
        assert "203.0.113.10" in findings[code].text and "keep only" in findings[code].text


def test_unproven_binance_whitelist_warns() -> None:
    findings = judge_proof({"status": "unreachable", "detail": "URLError"}, GUIDES["binance"], "203.0.113.10")
    assert [(f.level, f.code) for f in findings] == [("warn", "ip-unproven")]
