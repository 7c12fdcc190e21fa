"""The key audit end to end, per exchange, against fakes that check signatures, clocks and whitelists.

Every run also asserts (in keyaudit_harness.run_audit) that no key, secret or passphrase appears in the
report, the findings, the refusal, the reprs, or the command lines sent to the host.
"""

from __future__ import annotations

import logging

import pytest
from fakes.exchanges import HERE_IP, HOST_IP, KeyState
from keyaudit_harness import assert_secret_free, closed_port, run_audit
from keyaudit_keys import EXCHANGES

from bothost.keyaudit.audit import KeyAuditRefused
from bothost.keyaudit.guide import GUIDES

OTHER_IP = "192.0.2.99"


@pytest.mark.parametrize("exchange", EXCHANGES)
def test_good_key_passes(exchange: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    outcome = run_audit(exchange)
    assert_secret_free([caplog.text], outcome.secrets)
    assert not outcome.result.refused, outcome.result.render()
    outcome.result.raise_if_refused()
    assert "permissions" in outcome.codes("info")
    assert outcome.remote.commands[-1] == "python3 -I -S /usr/local/lib/bothost/keyaudit.pyz"


@pytest.mark.parametrize("exchange", EXCHANGES)
def test_withdrawal_permission_is_refused_naming_the_setting_and_page(exchange: str) -> None:
    outcome = run_audit(exchange, state=KeyState(withdraw=True))
    guide = GUIDES[exchange]
    if exchange == "gate":  # Gate's API does not report permissions: a warning every time instead
        assert "withdraw-unknown" in outcome.codes("warn")
        text = outcome.text("withdraw-unknown")
    else:
        assert outcome.result.refused
        text = outcome.text("withdraw")
        with pytest.raises(KeyAuditRefused, match="Nothing was deployed"):
            outcome.result.raise_if_refused()
    assert guide.withdraw_setting in text and guide.page in text


@pytest.mark.parametrize("exchange", EXCHANGES)
def test_key_without_ip_restriction_is_refused(exchange: str) -> None:
    outcome = run_audit(exchange, state=KeyState(ip_list=None))
    code = "ip-too-wide" if exchange == "coinbase" else "ip-unrestricted"  # Coinbase: it works from here too
    assert code in outcome.codes("fail"), outcome.result.render()
    assert HOST_IP in outcome.text(code) and GUIDES[exchange].page in outcome.text(code)


@pytest.mark.parametrize("exchange", ["binance", "okx", "kraken"])
def test_allow_unrestricted_key_downgrades_only_the_ip_refusal(exchange: str) -> None:
    outcome = run_audit(exchange, state=KeyState(ip_list=None), allow_unrestricted=True)
    assert not outcome.result.refused
    assert "UNRESTRICTED KEY ALLOWED" in outcome.text("ip-unrestricted")
    assert "UNRESTRICTED KEY ALLOWED" in outcome.result.render()
    with_withdraw = run_audit(exchange, state=KeyState(ip_list=None, withdraw=True), allow_unrestricted=True)
    assert "withdraw" in with_withdraw.codes("fail")


REFUSED_FROM_HOST = {
    "binance": "refused-ip_or_auth",
    "bybit": "refused-ip",
    "okx": "refused-ip",
    "kraken": "refused-denied",
    "kucoin": "refused-ip",
    "bitget": "refused-ip",
    "gate": "refused-ip",
    "coinbase": "refused-ip_or_auth",  # Coinbase answers a bare 401 to every authentication failure
}


@pytest.mark.parametrize("exchange", EXCHANGES)
def test_whitelist_without_the_host_ip_is_refused_with_the_ip_to_add(exchange: str) -> None:
    outcome = run_audit(exchange, state=KeyState(ip_list=[OTHER_IP]))
    assert REFUSED_FROM_HOST[exchange] in outcome.codes("fail"), outcome.result.render()
    assert f"add {HOST_IP}" in outcome.text(REFUSED_FROM_HOST[exchange])


@pytest.mark.parametrize("exchange", [e for e in EXCHANGES if GUIDES[e].ip_source == "list"])
def test_listed_whitelist_missing_the_static_ip_is_refused(exchange: str) -> None:
    """The call works (the host egresses elsewhere) but the configured static IP is not whitelisted."""
    outcome = run_audit(exchange, static_ip="192.0.2.50")
    assert "ip-missing" in outcome.codes("fail")
    assert "add it" in outcome.text("ip-missing") and "192.0.2.50" in outcome.text("ip-missing")


KEY_INFO_PATH = {"binance": "apiRestrictions", "coinbase": "key_permissions"}


@pytest.mark.parametrize("exchange", sorted(KEY_INFO_PATH))
def test_allowlist_is_proven_from_host_and_here(exchange: str) -> None:
    """Binance only flags an allowlist, Coinbase reports none: the key works from the host, not from here."""
    outcome = run_audit(exchange)
    assert "ip-proven" in outcome.codes("info"), outcome.result.render()
    callers = [r.caller_ip for r in outcome.fake.requests if KEY_INFO_PATH[exchange] in r.path]
    assert callers == [HOST_IP, HERE_IP]


@pytest.mark.parametrize("exchange", sorted(KEY_INFO_PATH))
def test_key_usable_from_here_is_refused(exchange: str) -> None:
    outcome = run_audit(exchange, state=KeyState(ip_list=[HOST_IP, HERE_IP]))
    assert "ip-too-wide" in outcome.codes("fail")


def test_coinbase_unreadable_private_key_is_named_without_calling_coinbase() -> None:
    """The one 401 cause the probe can tell apart itself: a secret that is no CDP private key at all."""
    outcome = run_audit("coinbase", secret_override="not-a-key")
    assert "refused-auth" in outcome.codes("fail")
    assert "not a PEM EC private key or a base64 Ed25519 key" in outcome.text("refused-auth")
    assert not [r for r in outcome.fake.requests if "key_permissions" in r.path]


@pytest.mark.parametrize("exchange", EXCHANGES)
def test_wrong_secret_says_key_or_secret_wrong(exchange: str) -> None:
    outcome = run_audit(exchange, wrong_secret=True)
    if exchange == "coinbase":  # a bare 401: the key, or the allowlist (see test_coinbase_*)
        assert "the key or secret is wrong" in outcome.text("refused-ip_or_auth")
        return
    assert "refused-auth" in outcome.codes("fail"), outcome.result.render()
    assert "key or secret wrong" in outcome.text("refused-auth")


@pytest.mark.parametrize("exchange", EXCHANGES)
def test_unreachable_exchange_is_a_clear_refusal(exchange: str) -> None:
    outcome = run_audit(exchange, api_base=f"http://127.0.0.1:{closed_port()}")
    assert outcome.codes("fail") == {"unreachable"}
    assert "cannot reach" in outcome.text("unreachable")
    with pytest.raises(KeyAuditRefused, match="Nothing was deployed"):
        outcome.result.raise_if_refused()


WARN_OFFSET = {"kraken": 2500}  # Kraken's time endpoint has one-second resolution
FAIL_OFFSET = {
    "binance": 6000,
    "bybit": 6000,
    "okx": 31000,
    "kucoin": 6000,
    "bitget": 31000,
    "gate": 61000,
    "coinbase": 121000,
}


@pytest.mark.parametrize("exchange", EXCHANGES)
def test_clock_skew_above_500ms_warns(exchange: str) -> None:
    outcome = run_audit(exchange, offset_ms=WARN_OFFSET.get(exchange, 800))
    assert "clock-skew" in outcome.codes("warn") and not outcome.result.refused, outcome.result.render()


@pytest.mark.parametrize("exchange", sorted(FAIL_OFFSET))
def test_clock_skew_beyond_the_receive_window_fails(exchange: str) -> None:
    outcome = run_audit(exchange, offset_ms=FAIL_OFFSET[exchange])
    assert "clock-window" in outcome.codes("fail"), outcome.result.render()


def test_kraken_has_no_window_so_large_skew_only_warns() -> None:
    outcome = run_audit("kraken", offset_ms=60000)
    assert "clock-skew" in outcome.codes("warn") and not outcome.result.refused


def test_binance_clock_ahead_by_more_than_one_second_fails() -> None:
    outcome = run_audit("binance", offset_ms=-1500)
    assert "clock-window" in outcome.codes("fail")


def test_coinbase_ed25519_key_passes() -> None:
    assert not run_audit("coinbase", variant="ed25519").result.refused


KEY_TYPES = [("binance", "ed25519"), ("binance", "rsa"), ("bybit", "rsa"), ("bitget", "rsa")]


@pytest.mark.parametrize(("exchange", "variant"), KEY_TYPES)
def test_ed25519_and_rsa_keys_verified_by_fake_and_wrong_one_refused(exchange: str, variant: str) -> None:
    outcome = run_audit(exchange, variant=variant)
    assert not outcome.result.refused, outcome.result.render()
    wrong = run_audit(exchange, variant=variant, wrong_secret=True)  # another key of the same type
    assert "refused-auth" in wrong.codes("fail"), wrong.result.render()
