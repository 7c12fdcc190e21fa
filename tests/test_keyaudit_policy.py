"""The policy per (exchange, key state): each fake answers with its exchange's documented example body for
that state, the probe's parser reads it, and the verdict must refuse, warn or report with the right words."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fakes.exchanges import HOST_IP, FakeExchange, KeyState
from keyaudit_harness import run_audit
from keyaudit_keys import EXCHANGES, key_for, passphrase_for, secret_for

from bothost.keyaudit.guide import GUIDES
from bothost.keyaudit.policy import LEVELS, RULES
from bothost.keyaudit.probe.main import run
from bothost.keyaudit.verdict import Finding, judge_facts

README = Path(__file__).resolve().parents[1] / "README.md"


def _findings(exchange: str, state: KeyState) -> dict[str, Finding]:
    """The probe (in-process) against the fake, then the verdict on its facts."""
    fake = FakeExchange(
        exchange, key_for(exchange), secret_for(exchange), passphrase_for(exchange), state=state
    )
    try:
        request = {
            "exchange": exchange,
            "api_base": fake.door(HOST_IP),
            "timeout": 5,
            "key": key_for(exchange),
            "secret": secret_for(exchange),
            "passphrase": passphrase_for(exchange),
        }
        report = run(request)
    finally:
        fake.close()
    assert report["status"] == "ok", report
    return {f.code: f for f in judge_facts(report["facts"], exchange, GUIDES[exchange], HOST_IP)}


def _perms(*names: str, **more: object) -> KeyState:
    return KeyState(permissions=list(names), **more)


# (exchange, state, finding code, level or None for "absent", words the finding must contain)
CASES = [
    (
        "binance",
        _perms("enableReading", "enableSpotAndMarginTrading", "enableInternalTransfer"),
        "moves-funds",
        "fail",
        "'Enable Internal Transfer': moves funds between the master account and its sub-accounts",
    ),
    (
        "binance",
        _perms("enableReading", "enableSpotAndMarginTrading", "permitsUniversalTransfer"),
        "own-transfer",
        "warn",
        "'Permits Universal Transfer'",
    ),
    (
        "binance",
        _perms("enableReading", "enableSpotAndMarginTrading", "enableFutures", "enableMargin"),
        "leverage",
        "warn",
        "'Enable Futures': trades futures; 'Enable Margin Loan, Repay & Transfer'",
    ),
    ("binance", KeyState(), "master-unknown", "warn", "create a sub-account"),
    (
        "bybit",
        _perms("Spot:SpotTrade", "Wallet:AccountTransfer"),
        "edits-keys",
        "fail",
        "'Wallet: Account Transfer': can call /v5/user/update-api",
    ),
    (
        "bybit",
        _perms("Spot:SpotTrade", "Wallet:SubMemberTransfer", master=True),
        "edits-keys",
        "fail",
        "create sub-account keys",
    ),
    (
        "bybit",
        _perms("Spot:SpotTrade", "Wallet:SubMemberTransferList"),
        "edits-keys",
        "fail",
        "'Wallet: Subaccount Transfer'",
    ),
    (
        "bybit",
        _perms("Spot:SpotTrade", "FiatP2P:FiatP2POrder", "FiatP2P:Advertising"),
        "moves-funds",
        "fail",
        "'P2P: Orders': trades with other users for fiat",
    ),
    ("bybit", _perms("Spot:SpotTrade", "FiatBybitPay:FaitPayOrder"), "moves-funds", "fail", "'Bybit Pay'"),
    (
        "bybit",
        _perms("ContractTrade:Order", "ContractTrade:Position"),
        "leverage",
        "warn",
        "'Contracts: Orders'",
    ),
    ("bybit", KeyState(master=True), "master", "warn", "a key of the main account"),
    ("bybit", KeyState(), "master", None, ""),
    (
        "okx",
        _perms("read_only", "trade", master=True),
        "edits-keys",
        "fail",
        "'Trade': on the main account it creates sub-account API keys (POST /api/v5/users/subaccount/apikey)",
    ),
    ("okx", _perms("read_only", "trade"), "edits-keys", None, ""),  # a sub-account's key
    ("okx", _perms("read_only", master=True), "master", "warn", "create a sub-account"),
    ("okx", KeyState(settings={"acctLv": "3"}), "leverage", "warn", "Multi-currency margin (acctLv 3)"),
    (
        "okx",
        KeyState(settings={"autoLoan": True, "enableSpotBorrow": True}),
        "leverage",
        "warn",
        "'Auto-borrow (autoLoan)': borrows automatically; 'Spot borrowing (enableSpotBorrow)'",
    ),
    ("okx", KeyState(), "leverage", None, ""),  # spot mode (acctLv 1), no borrowing
    ("kraken", _perms("query-funds", "modify-trades", "earn-funds"), "own-transfer", "warn", "'Funds: Earn'"),
    (
        "kraken",
        _perms("query-funds", "modify-trades", "new-permission"),
        "permission-unknown",
        "warn",
        "new-permission",
    ),
    ("kraken", KeyState(ip_list=["10.1.0.0/16", HOST_IP]), "ip-wide", "fail", "10.1.0.0/16"),
    (
        "kucoin",
        KeyState(master=True),
        "edits-keys",
        "fail",
        "needs only General); a sub-account's key cannot: create a sub-account",
    ),
    ("kucoin", _perms("General", "Spot", "InnerTransfer"), "moves-funds", "fail", "'Flex Transfer'"),
    ("kucoin", _perms("General", "Spot", "Margin", "Futures"), "leverage", "warn", "'Margin Trading'"),
    ("kucoin", _perms("General", "Spot", "Withdrawal"), "withdraw", "fail", "'Withdrawal'"),
    ("bitget", _perms("stor", "stow", "p2pw"), "moves-funds", "fail", "'P2P (read and write)'"),
    ("bitget", _perms("stor", "stow", "p2p"), "moves-funds", "fail", "trades with other users"),
    ("bitget", _perms("stor", "stow", "wtow"), "moves-funds", "fail", "'Wallet transfer (read and write)'"),
    (
        "bitget",
        _perms("stor", "stow", "chow"),
        "edits-keys",
        "fail",
        "creates sub-accounts and their API keys",
    ),
    (
        "bitget",
        _perms("stor", "stow", "coow", "cpow"),
        "leverage",
        "warn",
        "'Futures orders (read and write)'",
    ),
    ("bitget", KeyState(master=True), "master", "warn", "a key of the main account"),
    (
        "gate",
        KeyState(master=True, permissions=["spot", "wallet"]),
        "withdraw",
        "fail",
        "'Wallet (read and write)'",
    ),
    (
        "gate",
        KeyState(master=True, permissions=["spot", "futures", "unified:read_only"]),
        "leverage",
        "warn",
        "'Perpetual futures (read and write)'",
    ),
    (
        "gate",
        KeyState(master=True, settings={"currency_pairs": ["BTC_USDT", "ETH_USDT"]}),
        "pairs",
        "info",
        "only BTC_USDT, ETH_USDT",
    ),
    ("gate", KeyState(), "pairs-open", "warn", "restrict it to the bot's pairs"),
    ("gate", KeyState(), "withdraw-unknown", "warn", "/api/v4/account/main_keys: FORBIDDEN"),
    ("gate", KeyState(master=True), "master", "warn", "a key of the main account"),
    ("coinbase", KeyState(withdraw=True), "withdraw", "fail", "'Transfer'"),
    ("coinbase", KeyState(master=True), "master", "warn", "create a portfolio for the bot"),
]


@pytest.mark.parametrize(
    ("exchange", "state", "code", "level", "words"),
    CASES,
    ids=[f"{c[0]}-{c[2]}-{i}" for i, c in enumerate(CASES)],
)
def test_policy_per_exchange_and_state(
    exchange: str, state: KeyState, code: str, level: str | None, words: str
) -> None:
    findings = _findings(exchange, state)
    if level is None:
        assert code not in findings, findings[code].text
        return
    assert findings[code].level == level, findings[code]
    assert words in findings[code].text
    if level != "info":
        assert GUIDES[exchange].page in findings[code].text or code.startswith(("master", "pairs"))


# What a key as the checklist asks for (a sub-account's, trade only, bound to the host) still warns about
GOOD_KEY_WARNINGS = {"binance": {"master-unknown"}, "gate": {"pairs-open", "withdraw-unknown"}}


@pytest.mark.parametrize("exchange", EXCHANGES)
def test_a_sub_account_trade_only_key_warns_only_about_what_the_exchange_cannot_say(exchange: str) -> None:
    findings = _findings(exchange, KeyState())
    warned = {code for code, f in findings.items() if f.level != "info"}
    assert warned == GOOD_KEY_WARNINGS.get(exchange, set()), [findings[c].text for c in warned]


def test_every_exchange_has_a_refusing_case_and_every_effect_is_exercised() -> None:
    """Guards the table: a rule effect or an exchange without a case would go unproven."""
    refused = {exchange for exchange, _s, _c, level, _w in CASES if level == "fail"}
    assert refused == set(EXCHANGES)
    codes = {code for _e, _s, code, _l, _w in CASES}
    assert {"withdraw", "moves-funds", "edits-keys", "own-transfer", "leverage", "master", "pairs"} <= codes


@pytest.mark.parametrize(
    ("exchange", "state"),
    [
        ("bybit", _perms("Spot:SpotTrade", "FiatP2P:FiatP2POrder", ip_list=None)),
        ("bybit", _perms("Spot:SpotTrade", "Wallet:AccountTransfer", ip_list=None)),
        ("bitget", _perms("stor", "stow", "wtow", ip_list=None)),
    ],
)
def test_allow_unrestricted_key_does_not_cover_transfers_p2p_or_key_editing(
    exchange: str, state: KeyState
) -> None:
    outcome = run_audit(exchange, state=state, allow_unrestricted=True)
    assert "UNRESTRICTED KEY ALLOWED" in outcome.text("ip-unrestricted")  # the IP refusal alone is waived
    assert outcome.result.refused
    assert outcome.codes("fail") & {"moves-funds", "edits-keys"}


def test_readme_has_a_row_for_every_permission_the_policy_judges() -> None:
    """The README's per-exchange table is the policy: every refused or warned permission appears in it."""
    text = README.read_text()
    for exchange, rules in RULES.items():
        section = text.split(f"#### {GUIDES[exchange].title}\n", 1)[1].split("\n#### ", 1)[0]
        for name, rule in rules.items():
            if LEVELS[rule.effect] != "info" or rule.master_effect:
                assert re.search(rf"`{re.escape(name)}`", section), (
                    f"{exchange}: {name} missing in the README"
                )
