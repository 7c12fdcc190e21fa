"""Reading each exchange's answers: server time, the key's own restrictions, and its error codes.

Error codes are the ones each exchange documents (and ccxt maps): kinds are "auth" (key, secret or
passphrase wrong), "ip" (this IP is not whitelisted), "ip_or_auth" (the exchange does not say which),
"clock" (timestamp outside the receive window), "nonce", "denied" and "error".
"""

from __future__ import annotations

import time

from .wire import Reply


class ApiError(Exception):
    """The exchange refused the signed request."""

    def __init__(self, kind: str, code: str, message: str) -> None:
        super().__init__(f"{kind} {code}: {message}")
        self.kind, self.code, self.message = kind, code, message[:300]


def _facts(
    read: object,
    trade: object,
    withdraw: object,
    permissions: list,
    withdraw_via: list,
    transfer: list,
    ip_list: list | None,
    ip_restricted: object,
    expires: str | None = None,
) -> dict:
    masked = any("*" in ip for ip in ip_list or [])
    return {
        "read": read,
        "trade": trade,
        "withdraw": withdraw,
        "permissions": sorted(permissions),
        "withdraw_via": sorted(withdraw_via),
        "transfer": sorted(transfer),
        "ip_list": ip_list,
        "ip_restricted": ip_restricted,
        "ip_masked": masked,
        "expires": expires,
    }


def _iso(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def _split(text: object) -> list[str]:
    return [part.strip() for part in str(text or "").split(",") if part.strip()]


def _dict(reply: Reply) -> dict:
    return reply.data if isinstance(reply.data, dict) else {}


def _coded(kinds: dict, code: object, message: object) -> ApiError:
    return ApiError(kinds.get(str(code), "error"), str(code), str(message or ""))


# ---- Binance: GET /sapi/v1/account/apiRestrictions ------------------------------------------------------

_BINANCE = {"-2015": "ip_or_auth", "-2014": "auth", "-1022": "auth", "-1021": "clock", "-2008": "auth"}


def binance_time(reply: Reply) -> int:
    """GET /api/v3/time -> {"serverTime": ms}."""
    return int(_dict(reply)["serverTime"])


def binance_info(reply: Reply) -> dict:
    """Flags of the key: enableWithdrawals, ipRestrict, enableReading, trading flags."""
    data = _dict(reply)
    if reply.status != 200 or "code" in data:
        raise _coded(_BINANCE, data.get("code", reply.status), data.get("msg", reply.text))
    enabled = sorted(name for name, value in data.items() if value is True and name != "ipRestrict")
    trading = [
        n
        for n in enabled
        if n
        in (
            "enableSpotAndMarginTrading",
            "enableFutures",
            "enableMargin",
            "enableVanillaOptions",
            "enablePortfolioMarginTrading",
        )
    ]
    expiry = data.get("tradingAuthorityExpirationTime")
    return _facts(
        bool(data.get("enableReading")),
        bool(trading),
        bool(data.get("enableWithdrawals")),
        enabled,
        [n for n in enabled if n == "enableWithdrawals"],
        [n for n in enabled if n in ("enableInternalTransfer", "permitsUniversalTransfer")],
        None,
        bool(data.get("ipRestrict")),
        _iso(int(expiry) / 1000) if expiry else None,
    )


# ---- Bybit v5: GET /v5/user/query-api --------------------------------------------------------------------

_BYBIT = {"10003": "auth", "10004": "auth", "33004": "auth", "10010": "ip", "10002": "clock"}


def bybit_time(reply: Reply) -> int:
    """GET /v5/market/time -> {"time": ms}."""
    return int(_dict(reply)["time"])


def bybit_info(reply: Reply) -> dict:
    """permissions by area, readOnly, ips (["*"] = any IP), expiredAt."""
    data = _dict(reply)
    if data.get("retCode") != 0:
        raise _coded(_BYBIT, data.get("retCode", reply.status), data.get("retMsg", reply.text))
    result = data.get("result") or {}
    areas = result.get("permissions") or {}
    names = [f"{area}:{name}" for area, granted in areas.items() for name in granted or []]
    trade = not result.get("readOnly") and any(
        areas.get(area) for area in ("ContractTrade", "Spot", "Options", "Derivatives", "CopyTrading")
    )
    ips = [ip for ip in result.get("ips") or [] if ip]
    return _facts(
        True,
        bool(trade),
        "Wallet:Withdraw" in names,
        names,
        [n for n in names if n == "Wallet:Withdraw"],
        [n for n in names if n in ("Wallet:AccountTransfer", "Wallet:SubMemberTransfer")],
        ips,
        bool(ips) and "*" not in ips,
        result.get("expiredAt") or None,
    )


# ---- OKX: GET /api/v5/account/config ---------------------------------------------------------------------

_OKX = {
    "50111": "auth",
    "50113": "auth",
    "50105": "auth",
    "50100": "auth",
    "50110": "ip",
    "50102": "clock",
    "50112": "clock",
}


def okx_time(reply: Reply) -> int:
    """GET /api/v5/public/time -> {"data": [{"ts": "ms"}]}."""
    return int(_dict(reply)["data"][0]["ts"])


def okx_info(reply: Reply) -> dict:
    """perm ("read_only,trade,withdraw") and ip (comma list, empty when unbound)."""
    data = _dict(reply)
    if str(data.get("code")) != "0":
        raise _coded(_OKX, data.get("code", reply.status), data.get("msg", reply.text))
    row = (data.get("data") or [{}])[0]
    perms, ips = _split(row.get("perm")), _split(row.get("ip"))
    return _facts(
        "read_only" in perms or bool(perms),
        "trade" in perms,
        "withdraw" in perms,
        perms,
        [p for p in perms if p == "withdraw"],
        [],
        ips,
        bool(ips),
    )


# ---- Kraken: POST /0/private/GetApiKeyInfo ---------------------------------------------------------------

_KRAKEN = {
    "EAPI:Invalid key": "auth",
    "EAPI:Invalid signature": "auth",
    "EAPI:Invalid nonce": "nonce",
    "EGeneral:Permission denied": "denied",
    "EAPI:Bad request": "auth",
}


def kraken_time(reply: Reply) -> int:
    """GET /0/public/Time -> {"result": {"unixtime": s}} (one-second resolution)."""
    return int(_dict(reply)["result"]["unixtime"]) * 1000


def kraken_info(reply: Reply) -> dict:
    """permissions (e.g. withdraw-funds), ipAllowlist (CIDRs allowed), validUntil ("0" = never)."""
    data = _dict(reply)
    errors = data.get("error") or ([] if reply.status == 200 else [f"HTTP {reply.status}"])
    if errors:
        raise ApiError(_KRAKEN.get(errors[0], "error"), errors[0], "; ".join(map(str, errors)))
    result = data.get("result") or {}
    perms = [str(p) for p in result.get("permissions") or []]
    ips = [str(ip) for ip in result.get("ipAllowlist") or []]
    until = int(result.get("validUntil") or 0)
    return _facts(
        any(p.startswith("query-") for p in perms),
        "modify-trades" in perms,
        "withdraw-funds" in perms,
        perms,
        [p for p in perms if p == "withdraw-funds"],
        [],
        ips,
        bool(ips),
        _iso(until) if until else None,
    )


# ---- KuCoin: GET /api/v1/user/api-key --------------------------------------------------------------------

_KUCOIN = {
    "400003": "auth",
    "400004": "auth",
    "400005": "auth",
    "400006": "ip",
    "400002": "clock",
    "411100": "denied",
}
_KUCOIN_WITHDRAW = ("Transfer", "Withdrawal", "Withdraw")  # "Transfer" covers deposits and withdrawals


def kucoin_time(reply: Reply) -> int:
    """GET /api/v1/timestamp -> {"data": ms}."""
    return int(_dict(reply)["data"])


def kucoin_info(reply: Reply) -> dict:
    """permission (comma list) and ipWhitelist (comma list, middle octets masked as **)."""
    data = _dict(reply)
    if str(data.get("code")) != "200000":
        raise _coded(_KUCOIN, data.get("code", reply.status), data.get("msg", reply.text))
    row = data.get("data") or {}
    perms, ips = _split(row.get("permission")), _split(row.get("ipWhitelist"))
    withdraw = [p for p in perms if p in _KUCOIN_WITHDRAW]
    return _facts(
        "General" in perms,
        any(p in ("Spot", "Margin", "Futures", "Trade") for p in perms),
        bool(withdraw),
        perms,
        withdraw,
        [p for p in perms if p == "InnerTransfer"],
        ips,
        bool(ips),
    )


# ---- Bitget: GET /api/v2/spot/account/info ---------------------------------------------------------------

_BITGET = {
    "40006": "auth",
    "40009": "auth",
    "40012": "auth",
    "40037": "auth",
    "40018": "ip",
    "40008": "clock",
}


def bitget_time(reply: Reply) -> int:
    """GET /api/v2/public/time -> {"data": {"serverTime": "ms"}}."""
    return int(_dict(reply)["data"]["serverTime"])


def bitget_info(reply: Reply) -> dict:
    """authorities (e.g. wwow = wallet withdrawal, stow = spot trade) and ips (comma list)."""
    data = _dict(reply)
    if str(data.get("code")) != "00000":
        raise _coded(_BITGET, data.get("code", reply.status), data.get("msg", reply.text))
    row = data.get("data") or {}
    perms, ips = [str(a) for a in row.get("authorities") or []], _split(row.get("ips"))
    withdraw = [p for p in perms if p in ("wwow", "withdraw")]
    trade = [p for p in perms if p in ("trade", "stow", "coow", "cpow", "smow", "ttow")]
    return _facts(
        True, bool(trade), bool(withdraw), perms, withdraw, [p for p in perms if p == "wtow"], ips, bool(ips)
    )


# ---- Gate: GET /api/v4/account/detail --------------------------------------------------------------------

_GATE = {
    "INVALID_KEY": "auth",
    "INVALID_SIGNATURE": "auth",
    "IP_FORBIDDEN": "ip",
    "FORBIDDEN": "denied",
    "REQUEST_EXPIRED": "clock",
    "MISSING_REQUIRED_HEADER": "auth",
}


def gate_time(reply: Reply) -> int:
    """GET /api/v4/spot/time -> {"server_time": ms}."""
    return int(_dict(reply)["server_time"])


def gate_info(reply: Reply) -> dict:
    """ip_whitelist only: Gate does not report the key's permissions through the API."""
    data = _dict(reply)
    if reply.status != 200 or "label" in data:
        raise _coded(_GATE, data.get("label", reply.status), data.get("message", reply.text))
    ips = [str(ip) for ip in data.get("ip_whitelist") or []]
    return _facts(True, None, None, [], [], [], ips, bool(ips))


# ---- Coinbase Advanced Trade: GET /api/v3/brokerage/key_permissions --------------------------------------


def coinbase_time(reply: Reply) -> int:
    """GET /api/v3/brokerage/time -> {"epochMillis": "ms"}."""
    return int(_dict(reply)["epochMillis"])


def coinbase_info(reply: Reply) -> dict:
    """can_view, can_trade, can_transfer (transfer = send funds out); no IP information."""
    data = _dict(reply)
    if reply.status != 200:
        kind = "auth" if reply.status == 401 else "denied" if reply.status == 403 else "error"
        raise ApiError(kind, str(reply.status), str(data.get("message") or data.get("error") or reply.text))
    names = [n for n in ("can_view", "can_trade", "can_transfer") if data.get(n)]
    return _facts(
        bool(data.get("can_view")),
        bool(data.get("can_trade")),
        bool(data.get("can_transfer")),
        names,
        [n for n in names if n == "can_transfer"],
        [],
        None,
        None,
    )
