"""What each permission lets a key do, in each exchange's own words: the table the verdict and the README use.

Effects, worst first: "withdraw", "send" (funds to another account or user), "keys" (change or create API
keys, so lift the key's own IP restriction) are refused; "own-transfer" (between the owner's own wallets) and
"leverage" (borrowing, margin, derivatives) warn; "trade" and "read" are reported. A permission the table does
not know warns. Sources: each exchange's key-info documentation, quoted beside its rules.
"""

from __future__ import annotations

from typing import NamedTuple

LEVELS = {
    "withdraw": "fail",
    "send": "fail",
    "keys": "fail",
    "own-transfer": "warn",
    "leverage": "warn",
    "trade": "info",
    "read": "info",
}


class Rule(NamedTuple):
    """One permission as the exchange reports it."""

    effect: str  # a key of LEVELS
    label: str  # the exchange's name for it on its API-key page
    why: str = ""  # what a thief could do with it (refusals and warnings)
    master_effect: str = ""  # the effect instead, on a main (master) account's key
    master_why: str = ""


def _read(*names: str) -> dict[str, Rule]:
    return {name: Rule("read", name) for name in names}


_BYBIT_KEYS = "can call /v5/user/update-api or update-sub-api to change this key's IP binding and permissions"
_GATE_WRITE = {
    # https://www.gate.com/docs/developers/apiv4/en/#query-all-main-account-key-information
    # (GET /api/v4/account/main_keys: perms [{name, read_only}])
    "spot": Rule("trade", "Spot/Margin trade (read and write)"),
    "wallet": Rule("withdraw", "Wallet (read and write)"),  # withdrawals and transfers to sub-accounts
    "withdraw": Rule("withdraw", "Withdrawal"),
    "futures": Rule("leverage", "Perpetual futures (read and write)", "trades perpetual futures"),
    "delivery": Rule("leverage", "Delivery futures (read and write)", "trades delivery futures"),
    "options": Rule("leverage", "Options (read and write)", "trades options"),
    "margin": Rule("leverage", "Margin (read and write)", "borrows on margin"),
    "loan": Rule("leverage", "Loan (read and write)", "borrows"),
    "unified": Rule("leverage", "Unified account (read and write)", "borrows in the unified account"),
    "earn": Rule("own-transfer", "Earn (read and write)", "moves funds into Earn products"),
    "account": Rule("read", "Account (read and write)"),
}

RULES: dict[str, dict[str, Rule]] = {
    # https://developers.binance.com/docs/wallet/account/api-key-permission
    # (GET /sapi/v1/account/apiRestrictions)
    "binance": {
        **_read("enableReading", "enableFixReadOnly"),
        "enableSpotAndMarginTrading": Rule("trade", "Enable Spot & Margin Trading"),
        "enableFixApiTrade": Rule("trade", "FIX API trading"),
        "enableWithdrawals": Rule("withdraw", "Enable Withdrawals"),
        "enableInternalTransfer": Rule(
            "send", "Enable Internal Transfer", "moves funds between the master account and its sub-accounts"
        ),
        "permitsUniversalTransfer": Rule(
            "own-transfer",
            "Permits Universal Transfer",
            "moves funds between your spot, margin and futures wallets",
        ),
        "enableMargin": Rule("leverage", "Enable Margin Loan, Repay & Transfer", "borrows on margin"),
        "enableFutures": Rule("leverage", "Enable Futures", "trades futures"),
        "enableVanillaOptions": Rule("leverage", "Enable European Options", "trades options"),
        "enablePortfolioMarginTrading": Rule(
            "leverage", "Portfolio Margin trading", "borrows on portfolio margin"
        ),
    },
    # https://bybit-exchange.github.io/docs/v5/user/apikey-info (permissions by group)
    "bybit": {
        **_read("Exchange:ExchangeHistory", "NFT:NFTQueryProductList", "Affiliate:Affiliate"),
        "Spot:SpotTrade": Rule("trade", "SPOT: Trade"),
        "ContractTrade:Order": Rule("leverage", "Contracts: Orders", "trades contracts"),
        "ContractTrade:Position": Rule("leverage", "Contracts: Positions", "trades contracts"),
        "Derivatives:DerivativesTrade": Rule(
            "leverage", "Unified Trading: Trade", "trades derivatives (on by default on unified accounts)"
        ),
        "Options:OptionsTrade": Rule(
            "leverage", "USDC Contracts: Trade", "trades options and USDC perpetuals"
        ),
        "CopyTrading:CopyTrading": Rule("leverage", "Copy Trading", "trades contracts for followers"),
        "BlockTrade:BlockTrade": Rule(
            "send", "Block Trade", "trades at a negotiated price with a chosen counterparty"
        ),
        "Earn:Earn": Rule("own-transfer", "Earn", "moves funds into Earn products"),
        # https://bybit-exchange.github.io/docs/v5/user/modify-master-apikey: "Account Transfer",
        # "Subaccount Transfer" or "Withdrawal" lets a key edit itself; create-subuid-apikey likewise.
        "Wallet:AccountTransfer": Rule("keys", "Wallet: Account Transfer", _BYBIT_KEYS),
        "Wallet:SubMemberTransfer": Rule(
            "keys", "Wallet: Subaccount Transfer", _BYBIT_KEYS + ", and create sub-account keys"
        ),
        "Wallet:SubMemberTransferList": Rule("keys", "Wallet: Subaccount Transfer", _BYBIT_KEYS),
        "Wallet:Withdraw": Rule("withdraw", "Wallet: Withdrawal"),
        "FiatP2P:FiatP2POrder": Rule("send", "P2P: Orders", "trades with other users for fiat"),
        "FiatP2P:Advertising": Rule("send", "P2P: Advertising", "trades with other users for fiat"),
        "FiatBybitPay:FaitPayOrder": Rule("send", "Bybit Pay", "pays other users and merchants"),
    },
    # https://www.okx.com/docs-v5/en/#trading-account-rest-api-get-account-configuration
    "okx": {
        "read_only": Rule("read", "Read"),
        "trade": Rule(
            "trade",
            "Trade",
            master_effect="keys",
            master_why="on the main account it creates sub-account API keys "
            "(POST /api/v5/users/subaccount/apikey) "
            "and moves funds to sub-accounts (POST /api/v5/asset/transfer)",
        ),
        "withdraw": Rule("withdraw", "Withdraw"),
        "acctLv=1": Rule("read", "Account mode: Spot mode (acctLv 1)"),
        "autoLoan=false": Rule("read", "Auto-borrow off"),
        "enableSpotBorrow=false": Rule("read", "Spot borrowing off"),
        "acctLv=2": Rule("leverage", "Account mode: Futures mode (acctLv 2)", "trades futures and swaps"),
        "acctLv=3": Rule("leverage", "Account mode: Multi-currency margin (acctLv 3)", "borrows on margin"),
        "acctLv=4": Rule(
            "leverage", "Account mode: Portfolio margin (acctLv 4)", "borrows on portfolio margin"
        ),
        "autoLoan=true": Rule("leverage", "Auto-borrow (autoLoan)", "borrows automatically"),
        "enableSpotBorrow=true": Rule(
            "leverage", "Spot borrowing (enableSpotBorrow)", "borrows in spot mode"
        ),
    },
    # https://docs.kraken.com/api-reference/account-data/get-api-key-info
    "kraken": {
        **_read(
            "query-funds",
            "deposit-funds",
            "query-open-trades",
            "query-closed-trades",
            "query-ledger-entries",
            "export-data",
            "access-websockets-api",
        ),
        "modify-trades": Rule("trade", "Orders and trades: Create & modify orders"),
        "cancel-close-trades": Rule("trade", "Orders and trades: Cancel & close orders"),
        "withdraw-funds": Rule("withdraw", "Funds: Withdraw"),
        "earn-funds": Rule("own-transfer", "Funds: Earn", "moves funds into Earn strategies"),
    },
    # https://www.kucoin.com/docs/rest/account/basic-info/get-apikey-info (permission names: docs.kucoin.com)
    "kucoin": {
        "General": Rule(
            "read",
            "General",
            master_effect="keys",
            master_why="on the master account it creates sub-account API keys "
            "(POST /api/v1/sub/api-key needs only General)",
        ),
        "Spot": Rule("trade", "Spot Trading"),
        "Margin": Rule("leverage", "Margin Trading", "borrows on margin"),
        "Futures": Rule("leverage", "Futures Trading", "trades futures"),
        "Earn": Rule("own-transfer", "Earn", "moves funds into Earn products"),
        "InnerTransfer": Rule(
            "send", "Flex Transfer", "moves funds between the master account and sub-accounts"
        ),
        "FlexTransfers": Rule(
            "send", "Flex Transfer", "moves funds between the master account and sub-accounts"
        ),
        "Transfer": Rule("withdraw", "Transfer / Withdrawal"),
        "Withdrawal": Rule("withdraw", "Withdrawal"),
    },
    # https://www.bitget.com/api-doc/spot/account/Get-Account-Info (authorities)
    "bitget": {
        **_read(
            "readonly", "stor", "coor", "cpor", "smor", "ttor", "wtor", "taxr", "chor", "p2pr", "pllr", "taxw"
        ),
        "trade": Rule("trade", "Trade"),
        "stow": Rule("trade", "Spot trade (read and write)"),
        "coow": Rule("leverage", "Futures orders (read and write)", "trades futures"),
        "cpow": Rule("leverage", "Futures holdings (read and write)", "trades futures"),
        "smow": Rule("leverage", "Margin trade (read and write)", "borrows on margin"),
        "ttow": Rule("leverage", "Copy trading (read and write)", "trades futures for followers"),
        "pllw": Rule("leverage", "Pledge loan (read and write)", "borrows against collateral"),
        "wtow": Rule("send", "Wallet transfer (read and write)", "moves funds between main and sub-accounts"),
        "wwow": Rule("withdraw", "Wallet withdrawal"),
        "withdraw": Rule("withdraw", "Wallet withdrawal"),
        "chow": Rule(
            "keys", "Sub-account manage (read and write)", "creates sub-accounts and their API keys"
        ),
        "p2p": Rule("send", "P2P (read and write)", "trades with other users for fiat"),
        "p2pw": Rule("send", "P2P (read and write)", "trades with other users for fiat"),
    },
    "gate": {
        **_GATE_WRITE,
        **{
            f"{name}:read_only": Rule("read", rule.label.replace("read and write", "read only"))
            for name, rule in _GATE_WRITE.items()
        },
    },
    # https://docs.cdp.coinbase.com/advanced-trade/reference/retailbrokerageapi_getapikeypermissions
    "coinbase": {
        "can_view": Rule("read", "View"),
        "can_trade": Rule("trade", "Trade"),
        "can_transfer": Rule("withdraw", "Transfer"),
    },
}


def rule_for(exchange: str, permission: str, master: bool | None) -> Rule | None:
    """The rule for one reported permission (None: unknown to bothost), main-account variant applied."""
    rule = RULES[exchange].get(permission)
    if rule is not None and master and rule.master_effect:
        return rule._replace(effect=rule.master_effect, why=rule.master_why)
    return rule
