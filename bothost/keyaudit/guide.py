"""Where each exchange keeps its API-key settings, and what they are called there, for the user's fixes."""

from __future__ import annotations

from typing import NamedTuple


class Guide(NamedTuple):
    """One exchange's API-management page and setting names."""

    title: str
    page: str  # the API-management page
    withdraw_setting: str  # the permission to switch off
    ip_setting: str  # where the IP whitelist is set
    ip_source: str  # "list": the API returns the whitelist; "flag": only whether one is on; "none": nothing
    secret_parts: str  # what "key or secret wrong" covers


GUIDES: dict[str, Guide] = {
    "binance": Guide(
        "Binance",
        "https://www.binance.com/en/my/settings/api-management",
        "Enable Withdrawals",
        "Restrict access to trusted IPs only",
        "flag",
        "API key or secret key",
    ),
    "bybit": Guide(
        "Bybit",
        "https://www.bybit.com/app/user/api-management",
        "Assets > Withdrawal",
        "Only IPs with permissions granted are allowed to access the OpenAPI",
        "list",
        "API key or secret",
    ),
    "okx": Guide(
        "OKX",
        "https://www.okx.com/account/my-api",
        "Withdraw",
        "IP address (bind the key to IP addresses)",
        "list",
        "API key, secret key or passphrase",
    ),
    "kraken": Guide(
        "Kraken",
        "https://pro.kraken.com/app/settings/api",
        "Funds > Withdraw funds",
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
    ),
    "bitget": Guide(
        "Bitget",
        "https://www.bitget.com/account/newapi",
        "Wallet > Withdraw",
        "Bind IP address",
        "list",
        "API key, secret key or passphrase",
    ),
    "gate": Guide(
        "Gate",
        "https://www.gate.io/myaccount/api_key_manage",
        "Withdrawal",
        "IP whitelist",
        "list",
        "API key or secret",
    ),
    "coinbase": Guide(
        "Coinbase",
        "https://portal.cdp.coinbase.com/projects/api-keys",
        "Transfer",
        "IP allowlist",
        "none",
        "API key name or private key",
    ),
}
