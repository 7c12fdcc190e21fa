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
    permissions: list,
    ip_list: list | None,
    ip_restricted: object,
    *,
    master: bool | None = None,
    expires: str | None = None,
    pairs: list | None = None,
) -> dict:
    """The key's facts in the exchange's own words; bothost.keyaudit.policy judges them."""
    return {
        "permissions": sorted(set(permissions)),
        "ip_list": ip_list,
        "ip_restricted": ip_restricted,
        "ip_masked": any("*" in ip for ip in ip_list or []),
        "master": master,  # True: the account's main (master) key; None: the exchange does not say
        "expires": expires,
        "pairs": pairs,  # the key's own trading-pair whitelist (Gate); None: the exchange has none
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
    """The flags that are true (enableWithdrawals, enableInternalTransfer, ...) and ipRestrict."""
    data = _dict(reply)
    if reply.status != 200 or "code" in data:
        raise _coded(_BINANCE, data.get("code", reply.status), data.get("msg", reply.text))
    enabled = [name for name, value in data.items() if value is True and name != "ipRestrict"]
    expiry = data.get("tradingAuthorityExpirationTime")
    return _facts(
        enabled, None, bool(data.get("ipRestrict")), expires=_iso(int(expiry) / 1000) if expiry else None
    )


# ---- Bybit v5: GET /v5/user/query-api --------------------------------------------------------------------

_BYBIT = {"10003": "auth", "10004": "auth", "33004": "auth", "10010": "ip", "10002": "clock"}


def bybit_time(reply: Reply) -> int:
    """GET /v5/market/time -> {"time": ms}."""
    return int(_dict(reply)["time"])


def bybit_info(reply: Reply) -> dict:
    """permissions by group as Group:Name (":read" on a readOnly key), ips (["*"] = any IP), isMaster."""
    data = _dict(reply)
    if data.get("retCode") != 0:
        raise _coded(_BYBIT, data.get("retCode", reply.status), data.get("retMsg", reply.text))
    result = data.get("result") or {}
    suffix = ":read" if str(result.get("readOnly")) == "1" else ""
    names = [
        f"{group}:{name}{suffix}" for group, granted in (result.get("permissions") or {}).items()
        for name in granted or []
    ]
    ips = [ip for ip in result.get("ips") or [] if ip]
    master = result.get("isMaster")
    return _facts(
        names,
        ips,
        bool(ips) and "*" not in ips,
        master=master if isinstance(master, bool) else None,
        expires=result.get("expiredAt") or None,
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
    """perm ("read_only,trade,withdraw"), ip (comma list), uid vs mainUid, leverage settings as name=value."""
    data = _dict(reply)
    if str(data.get("code")) != "0":
        raise _coded(_OKX, data.get("code", reply.status), data.get("msg", reply.text))
    row = (data.get("data") or [{}])[0]
    ips = _split(row.get("ip"))
    settings = [f"{name}={str(row[name]).lower()}" for name in _OKX_SETTINGS if name in row]
    uid, main = row.get("uid"), row.get("mainUid")
    master = uid == main if uid and main else None  # "main account if uid = mainUid" (OKX docs)
    return _facts(_split(row.get("perm")) + settings, ips, bool(ips), master=master)


_OKX_SETTINGS = ("acctLv", "autoLoan", "enableSpotBorrow")  # account mode and borrowing (judged as leverage)


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
    return _facts(perms, ips, bool(ips), expires=_iso(until) if until else None)


# ---- KuCoin: GET /api/v1/user/api-key --------------------------------------------------------------------

_KUCOIN = {
    "400003": "auth",
    "400004": "auth",
    "400005": "auth",
    "400006": "ip",
    "400002": "clock",
    "411100": "denied",
}


def kucoin_time(reply: Reply) -> int:
    """GET /api/v1/timestamp -> {"data": ms}."""
    return int(_dict(reply)["data"])


def kucoin_info(reply: Reply) -> dict:
    """permission (comma list), ipWhitelist (comma list, middle octets masked as **) and isMaster."""
    data = _dict(reply)
    if str(data.get("code")) != "200000":
        raise _coded(_KUCOIN, data.get("code", reply.status), data.get("msg", reply.text))
    row = data.get("data") or {}
    ips = _split(row.get("ipWhitelist"))
    master = row.get("isMaster")
    return _facts(
        _split(row.get("permission")), ips, bool(ips), master=master if isinstance(master, bool) else None
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
    """authorities (e.g. wwow = wallet withdrawal, stow = spot trade), ips (comma list), userId/parentId."""
    data = _dict(reply)
    if str(data.get("code")) != "00000":
        raise _coded(_BITGET, data.get("code", reply.status), data.get("msg", reply.text))
    row = data.get("data") or {}
    ips = _split(row.get("ips"))
    user, parent = str(row.get("userId") or ""), str(row.get("parentId") or "")
    master = user == parent if user and parent and "*" not in user else None
    return _facts([str(a) for a in row.get("authorities") or []], ips, bool(ips), master=master)


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
    """ip_whitelist and currency_pairs (the key's own pair whitelist; empty = every pair)."""
    data = _dict(reply)
    if reply.status != 200 or "label" in data:
        raise _coded(_GATE, data.get("label", reply.status), data.get("message", reply.text))
    ips = [str(ip) for ip in data.get("ip_whitelist") or []]
    return _facts([], ips, bool(ips), pairs=[str(p) for p in data.get("currency_pairs") or []])


def gate_key_info(reply: Reply, facts: dict) -> dict:
    """GET /api/v4/account/main_keys: perms [{name, read_only}] of this main-account key, added to facts."""
    data = reply.data[0] if isinstance(reply.data, list) and reply.data else _dict(reply)
    if reply.status != 200 or "label" in data:
        raise _coded(_GATE, data.get("label", reply.status), data.get("message", reply.text))
    perms = [
        str(p.get("name")) + (":read_only" if p.get("read_only") else "")
        for p in data.get("perms") or []
        if isinstance(p, dict)
    ]
    return {**facts, "permissions": sorted(perms), "master": True}


# ---- Coinbase Advanced Trade: GET /api/v3/brokerage/key_permissions --------------------------------------


def coinbase_time(reply: Reply) -> int:
    """GET /api/v3/brokerage/time -> {"epochMillis": "ms"}."""
    return int(_dict(reply)["epochMillis"])


def coinbase_info(reply: Reply) -> dict:
    """can_view, can_trade, can_transfer (transfer = send funds out), portfolio_type; no IP information."""
    data = _dict(reply)
    if reply.status != 200:
        # Coinbase answers every authentication failure, the IP allowlist's included, with a bare 401.
        kind = "ip_or_auth" if reply.status == 401 else "denied" if reply.status == 403 else "error"
        raise ApiError(kind, str(reply.status), str(data.get("message") or data.get("error") or reply.text))
    names = [n for n in ("can_view", "can_trade", "can_transfer") if data.get(n)]
    portfolio = data.get("portfolio_type")  # a key on the DEFAULT portfolio reaches the whole account
    return _facts(names, None, None, master=portfolio == "DEFAULT" if portfolio else None)
