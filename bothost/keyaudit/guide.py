"""Where each exchange keeps its API-key settings, and what they are called there, for the user's fixes."""

from __future__ import annotations

from typing import NamedTuple


class Guide(NamedTuple):
    """One exchange's API-management page and setting names."""

    title: str
    page: str  # the API-management page
    withdraw_setting: str  # the permission to switch off
    ip_setting: str  # where the IP whitelist is set
    ip_source: str  # "list": the API returns the allowlist; "flag": only whether one is on; "proof": nothing,
    # so the key must work from the host and be refused from here
    secret_parts: str  # what "key or secret wrong" covers
    subaccount: str = ""  # how to give the bot a key of its own sub-account ("": no sub-accounts for retail)
    master_reported: bool = True  # False: the API does not say whether the key is the main account's


GUIDES: dict[str, Guide] = {
    "binance": Guide(
        "Binance",
        "https://www.binance.com/en/my/settings/api-management",
        "Enable Withdrawals",
        "Restrict access to trusted IPs only",
        "flag",
        "API key or secret key",
        "create a sub-account (Account > Sub Accounts), move the bot's funds there and create the key on it",
        master_reported=False,
    ),
    "bybit": Guide(
        "Bybit",
        "https://www.bybit.com/app/user/api-management",
        "Wallet: Withdrawal",
        "Only IPs with permissions granted are allowed to access the OpenAPI",
        "list",
        "API key or secret",
        "create a sub-account (Sub-account in the account menu), move the bot's funds there and create "
        "the key on it",
    ),
    "okx": Guide(
        "OKX",
        "https://www.okx.com/account/my-api",
        "Withdraw",
        "IP address (bind the key to IP addresses)",
        "list",
        "API key, secret key or passphrase",
        "create a sub-account (Sub-accounts in the account menu), move the bot's funds there and create the "
        "key on it",
    ),
    "kraken": Guide(
        "Kraken",
        "https://pro.kraken.com/app/settings/api",
        "Funds: Withdraw",
        "Advanced settings > IP allowlist",
        "list",
        "API key or private key",
    ),
    "kucoin": Guide(
        "KuCoin",
        "https://www.kucoin.com/account/api",
        "Transfer / Withdrawal",
        "IP Restriction (add IP addresses)",
        "list",
        "API key, secret or passphrase",
        "create a sub-account (Sub-Account in the account menu), move the bot's funds there and create the "
        "key on it",
    ),
    "bitget": Guide(
        "Bitget",
        "https://www.bitget.com/account/newapi",
        "Wallet withdrawal",
        "Bind IP address",
        "list",
        "API key, secret key or passphrase",
        "create a sub-account (Sub-account in the account menu), move the bot's funds there and create the "
        "key on it",
    ),
    "gate": Guide(
        "Gate",
        "https://www.gate.io/myaccount/api_key_manage",
        "Withdrawal",
        "IP whitelist",
        "list",
        "API key or secret",
        "create a sub-account (Sub-accounts in the account menu), move the bot's funds there and create the "
        "key on it",
    ),
    "coinbase": Guide(
        "Coinbase",
        "https://portal.cdp.coinbase.com/projects/api-keys",
        "Transfer",
        "IP allowlist",
        "proof",
        "API key name or private key",
        "create a portfolio for the bot (Portfolios), move its funds there and restrict the key to it",
    ),
}
