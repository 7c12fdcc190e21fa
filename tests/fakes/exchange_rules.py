"""Per-exchange rules of the fakes, written from each exchange's API documentation (not from the probe):
time endpoint, signature check, receive window, IP whitelist, error codes and the key-info answer."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import datetime
from urllib.parse import parse_qs

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from fakes.exchanges import FakeExchange, Request

NOT_FOUND = 404, {"error": "not found"}


def _h(req: Request, name: str) -> str:
    """A request header, case-insensitively (HTTP header names are)."""
    return next((v for k, v in req.headers.items() if k.lower() == name.lower()), "")


def _mac(secret: str | bytes, text: str | bytes, digest: object = hashlib.sha256) -> bytes:
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, text.encode() if isinstance(text, str) else text, digest).digest()


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def _outside(fake: FakeExchange, ts_ms: int, ahead: int, behind: int) -> bool:
    now = fake.now_ms()
    return ts_ms > now + ahead or now - ts_ms > behind


def _target(req: Request) -> str:
    return req.path + (f"?{req.query}" if req.query else "")


def binance(fake: FakeExchange, req: Request) -> tuple[int, dict]:
    """HMAC-SHA256 hex over the total params; -2015 for key or IP, -1022 signature, -1021 recvWindow."""
    if req.path == "/api/v3/time":
        return 200, {"serverTime": fake.now_ms()}
    if req.path != "/sapi/v1/account/apiRestrictions":
        return NOT_FOUND
    refused = binance_refusal(fake, req)
    if refused:
        return refused
    s = fake.state
    return 200, {
        "ipRestrict": s.ip_list is not None,
        "createTime": 1698645219000,
        "enableReading": True,
        "enableWithdrawals": s.withdraw,
        "enableInternalTransfer": False,
        "enableMargin": False,
        "enableFutures": False,
        "permitsUniversalTransfer": False,
        "enableVanillaOptions": False,
        "enableFixApiTrade": False,
        "enableFixReadOnly": False,
        "enableSpotAndMarginTrading": s.trade,
        "enablePortfolioMarginTrading": False,
    }


def binance_refusal(fake: FakeExchange, req: Request) -> tuple[int, dict] | None:
    """Binance's checks of a SIGNED request, None when it passes: key (-2015), signature over the total
    params = query string + body (-1022), timestamp within recvWindow (-1021), IP whitelist (-2015).
    https://developers.binance.com/docs/binance-spot-api-docs/rest-api/endpoint-security-type"""
    refused = 401, {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."}
    if _h(req, "X-MBX-APIKEY") != fake.key:
        return refused
    total = req.query + req.body.decode()
    signed, _, signature = total.rpartition("&signature=")
    if not signed or not _same(signature, _mac(fake.secret, signed).hex()):
        return 400, {"code": -1022, "msg": "Signature for this request is not valid."}
    params = parse_qs(signed)
    if _outside(fake, int(params["timestamp"][0]), 1000, int(params.get("recvWindow", ["5000"])[0])):
        return 400, {"code": -1021, "msg": "Timestamp for this request is outside of the recvWindow."}
    if not fake.ip_ok(req.caller_ip):
        return refused
    return None


def bybit(fake: FakeExchange, req: Request) -> tuple[int, dict]:
    """HMAC-SHA256 hex of timestamp+key+recv_window+query; retCode 10003/10004/10010/10002."""
    if req.path == "/v5/market/time":
        now = fake.now_ms()
        return 200, {"retCode": 0, "retMsg": "OK", "result": {"timeSecond": str(now // 1000)}, "time": now}
    if req.path != "/v5/user/query-api":
        return NOT_FOUND
    stamp, window = _h(req, "X-BAPI-TIMESTAMP"), _h(req, "X-BAPI-RECV-WINDOW")
    if _h(req, "X-BAPI-API-KEY") != fake.key:
        return 200, {"retCode": 10003, "retMsg": "API key is invalid."}
    if not _same(_h(req, "X-BAPI-SIGN"), _mac(fake.secret, stamp + fake.key + window + req.query).hex()):
        # Bybit echoes the signed string, which holds the API key: the probe must scrub it.
        return 200, {"retCode": 10004, "retMsg": f"error sign! origin_string[{stamp}{fake.key}{window}]"}
    if _outside(fake, int(stamp), 1000, int(window or 5000)):
        return 200, {"retCode": 10002, "retMsg": "invalid request, please check your server timestamp"}
    if not fake.ip_ok(req.caller_ip):
        return 200, {
            "retCode": 10010,
            "retMsg": "Unmatched IP, please check your API key's bound IP addresses.",
        }
    s = fake.state
    return 200, {
        "retCode": 0,
        "retMsg": "",
        "result": {
            "id": "13770661",
            "note": "bot",
            "apiKey": fake.key,
            "readOnly": 0 if s.trade else 1,
            "secret": "",
            "permissions": {
                "ContractTrade": [],
                "Spot": ["SpotTrade"] if s.trade else [],
                "Wallet": ["Withdraw"] if s.withdraw else [],
                "Options": [],
                "Derivatives": [],
                "CopyTrading": [],
                "BlockTrade": [],
                "Exchange": [],
                "NFT": [],
                "Earn": [],
            },
            "ips": s.ip_list or ["*"],
            "type": 1,
            "deadlineDay": 83,
            "expiredAt": "2030-01-01T00:00:00Z",
            "createdAt": "2024-01-01T00:00:00Z",
            "unified": 0,
            "uta": 1,
            "userID": 24617703,
            "isMaster": True,
        },
    }


def okx(fake: FakeExchange, req: Request) -> tuple[int, dict]:
    """Base64 HMAC-SHA256 of timestamp+method+requestPath+body; 50111/50113/50105/50110/50102."""
    if req.path == "/api/v5/public/time":
        return 200, {"code": "0", "msg": "", "data": [{"ts": str(fake.now_ms())}]}
    if req.path != "/api/v5/account/config":
        return NOT_FOUND
    stamp = _h(req, "OK-ACCESS-TIMESTAMP")
    if _h(req, "OK-ACCESS-KEY") != fake.key:
        return 401, {"code": "50111", "msg": "Invalid OK-ACCESS-KEY"}
    expected = base64.b64encode(
        _mac(fake.secret, stamp + req.method + _target(req) + req.body.decode())
    ).decode()
    if not _same(_h(req, "OK-ACCESS-SIGN"), expected):
        return 401, {"code": "50113", "msg": "Invalid Sign"}
    if _h(req, "OK-ACCESS-PASSPHRASE") != fake.passphrase:
        return 401, {"code": "50105", "msg": "Your OK-ACCESS-PASSPHRASE is incorrect"}
    ts = int(datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp() * 1000)
    if _outside(fake, ts, 30000, 30000):
        return 401, {"code": "50102", "msg": "Timestamp request expired"}
    if not fake.ip_ok(req.caller_ip):
        return 401, {
            "code": "50110",
            "msg": f"Your IP {req.caller_ip} is not included in your API key's IP whitelist.",
        }
    s = fake.state
    perms = ["read_only"] + (["trade"] if s.trade else []) + (["withdraw"] if s.withdraw else [])
    return 200, {
        "code": "0",
        "msg": "",
        "data": [
            {
                "uid": "44705892343619584",
                "acctLv": "2",
                "label": "bot",
                "perm": ",".join(perms),
                "ip": ",".join(s.ip_list or []),
                "roleType": "0",
                "kycLv": "2",
            }
        ],
    }


def kraken(fake: FakeExchange, req: Request) -> tuple[int, dict]:
    """HMAC-SHA512(b64decode(secret), path + SHA256(nonce + postdata)); nonces must increase."""
    if req.path == "/0/public/Time":
        now = fake.now_ms() // 1000
        return 200, {
            "error": [],
            "result": {
                "unixtime": now,
                "rfc1123": time.strftime("%a, %d %b %y %H:%M:%S +0000", time.gmtime(now)),
            },
        }
    if req.path != "/0/private/GetApiKeyInfo" or req.method != "POST":
        return NOT_FOUND
    if _h(req, "API-Key") != fake.key:
        return 200, {"error": ["EAPI:Invalid key"]}
    nonce = parse_qs(req.body.decode())["nonce"][0]
    inner = hashlib.sha256((nonce + req.body.decode()).encode()).digest()
    expected = _mac(base64.b64decode(fake.secret), req.path.encode() + inner, hashlib.sha512)
    if not _same(_h(req, "API-Sign"), base64.b64encode(expected).decode()):
        return 200, {"error": ["EAPI:Invalid signature"]}
    if int(nonce) <= fake.last_nonce:
        return 200, {"error": ["EAPI:Invalid nonce"]}
    fake.last_nonce = int(nonce)
    if not fake.ip_ok(req.caller_ip):
        return 200, {"error": ["EGeneral:Permission denied"]}
    s = fake.state
    perms = (
        ["query-funds", "query-open-trades", "query-closed-trades"]
        + (["modify-trades"] if s.trade else [])
        + (["withdraw-funds"] if s.withdraw else [])
    )
    return 200, {
        "error": [],
        "result": {
            "apiKeyName": "bot",
            "apiKey": fake.key,
            "nonce": nonce,
            "nonceWindow": 0,
            "permissions": perms,
            "iban": "AA88 N84G WOAK NMOI",
            "validUntil": "0",
            "queryFrom": "0",
            "queryTo": "0",
            "ipAllowlist": s.ip_list or [],
        },
    }


def kucoin(fake: FakeExchange, req: Request) -> tuple[int, dict]:
    """Base64 HMAC-SHA256 of ts+method+endpoint+body; v2 passphrase HMAC'd; 400003/5/4/6/2."""
    if req.path == "/api/v1/timestamp":
        return 200, {"code": "200000", "data": fake.now_ms()}
    if req.path != "/api/v1/user/api-key":
        return NOT_FOUND
    stamp = _h(req, "KC-API-TIMESTAMP")
    if _h(req, "KC-API-KEY") != fake.key:
        return 401, {"code": "400003", "msg": "KC-API-KEY not exists"}
    sign = base64.b64encode(_mac(fake.secret, stamp + req.method + _target(req) + req.body.decode())).decode()
    if not _same(_h(req, "KC-API-SIGN"), sign):
        return 401, {"code": "400005", "msg": "Signature error"}
    if _h(req, "KC-API-PASSPHRASE") != base64.b64encode(_mac(fake.secret, fake.passphrase)).decode():
        return 401, {"code": "400004", "msg": "Invalid KC-API-PASSPHRASE"}
    if _outside(fake, int(stamp), 5000, 5000):
        return 401, {"code": "400002", "msg": "KC-API-TIMESTAMP Invalid"}
    if not fake.ip_ok(req.caller_ip):
        return 401, {"code": "400006", "msg": f"Invalid request ip, the current clientIp is:{req.caller_ip}"}
    s = fake.state
    perms = ["General"] + (["Spot"] if s.trade else []) + (["Transfer"] if s.withdraw else [])
    masked = [ip.split(".")[0] + ".**." + ip.split(".")[-1] for ip in s.ip_list or []]
    return 200, {
        "code": "200000",
        "data": {
            "remark": "bot",
            "apiKey": fake.key,
            "apiVersion": 3,
            "permission": ",".join(perms),
            "ipWhitelist": ",".join(masked),
            "isMaster": True,
            "createdAt": 1729821494000,
        },
    }


def bitget(fake: FakeExchange, req: Request) -> tuple[int, dict]:
    """Base64 HMAC-SHA256 of ts+METHOD+requestPath(+?query)+body; 40006/40009/40012/40018/40008."""
    if req.path == "/api/v2/public/time":
        return 200, {"code": "00000", "msg": "success", "data": {"serverTime": str(fake.now_ms())}}
    if req.path != "/api/v2/spot/account/info":
        return NOT_FOUND
    stamp = _h(req, "ACCESS-TIMESTAMP")
    if _h(req, "ACCESS-KEY") != fake.key:
        return 400, {"code": "40006", "msg": "Invalid ACCESS_KEY"}
    sign = base64.b64encode(_mac(fake.secret, stamp + req.method + _target(req) + req.body.decode())).decode()
    if not _same(_h(req, "ACCESS-SIGN"), sign):
        return 400, {"code": "40009", "msg": "sign signature error"}
    if _h(req, "ACCESS-PASSPHRASE") != fake.passphrase:
        return 400, {"code": "40012", "msg": "apikey/password is incorrect"}
    if _outside(fake, int(stamp), 30000, 30000):
        return 400, {"code": "40008", "msg": "Request timestamp expired"}
    if not fake.ip_ok(req.caller_ip):
        return 400, {"code": "40018", "msg": "Invalid IP"}
    s = fake.state
    perms = ["stor"] + (["stow"] if s.trade else []) + (["wwow"] if s.withdraw else [])
    return 200, {
        "code": "00000",
        "msg": "success",
        "data": {
            "userId": "1",
            "inviterId": "2",
            "ips": ",".join(s.ip_list or []),
            "authorities": perms,
            "parentId": 1,
            "traderType": "not_trader",
        },
    }


def gate(fake: FakeExchange, req: Request) -> tuple[int, dict]:
    """Hex HMAC-SHA512 of METHOD\\npath\\nquery\\nhex(SHA512(body))\\nts; labels INVALID_KEY, ..."""
    if req.path == "/api/v4/spot/time":
        return 200, {"server_time": fake.now_ms()}
    if req.path != "/api/v4/account/detail":
        return NOT_FOUND
    stamp = _h(req, "Timestamp")
    if _h(req, "KEY") != fake.key:
        return 401, {"label": "INVALID_KEY", "message": "Invalid key provided"}
    payload = "\n".join([req.method, req.path, req.query, hashlib.sha512(req.body).hexdigest(), stamp])
    if not _same(_h(req, "SIGN"), _mac(fake.secret, payload, hashlib.sha512).hex()):
        return 401, {"label": "INVALID_SIGNATURE", "message": "Signature mismatch"}
    if _outside(fake, int(stamp) * 1000, 60000, 60000):
        return 401, {"label": "REQUEST_EXPIRED", "message": "gap between request Timestamp and server time"}
    if not fake.ip_ok(req.caller_ip):
        return 403, {"label": "IP_FORBIDDEN", "message": "Request IP not in whitelist"}
    return 200, {
        "user_id": 1667201533,
        "ip_whitelist": fake.state.ip_list or [],
        "currency_pairs": [],
        "key": {"mode": 1},
        "tier": 0,
        "copy_trading_role": 0,
    }


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _jwt_valid(fake: FakeExchange, req: Request) -> bool:
    """Verify the CDP JWT with the key's public half: signature, kid/sub, uri and validity window."""
    token = _h(req, "Authorization").removeprefix("Bearer ")
    try:
        head64, claims64, sig64 = token.split(".")
        header, claims = json.loads(_b64url_decode(head64)), json.loads(_b64url_decode(claims64))
        signed, signature = f"{head64}.{claims64}".encode(), _b64url_decode(sig64)
        if header["alg"] == "ES256":
            private = serialization.load_pem_private_key(fake.secret.encode(), None)
            der = encode_dss_signature(
                int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
            )
            private.public_key().verify(der, signed, ec.ECDSA(hashes.SHA256()))
            uris = [claims["uri"]]
        else:
            seed = base64.b64decode(fake.secret)[:32]
            ed25519.Ed25519PrivateKey.from_private_bytes(seed).public_key().verify(signature, signed)
            uris = claims["uris"]
    except (ValueError, KeyError, InvalidSignature):
        return False
    now = fake.now_ms() / 1000
    return (
        header.get("kid") == fake.key == claims.get("sub")
        and uris == [f"GET {req.host}{req.path}"]
        and claims["nbf"] - 5 <= now <= claims["exp"]
    )


def coinbase(fake: FakeExchange, req: Request) -> tuple[int, dict]:
    """A CDP JWT bearer token (ES256 or EdDSA); 401 Unauthorized for any authentication failure."""
    if req.path == "/api/v3/brokerage/time":
        now = fake.now_ms()
        return 200, {"iso": "", "epochSeconds": str(now // 1000), "epochMillis": str(now)}
    if req.path != "/api/v3/brokerage/key_permissions":
        return NOT_FOUND
    if not _jwt_valid(fake, req) or not fake.ip_ok(req.caller_ip):
        return 401, {"error": "unauthorized", "message": "Unauthorized"}
    s = fake.state
    return 200, {
        "can_view": True,
        "can_trade": s.trade,
        "can_transfer": s.withdraw,
        "portfolio_uuid": "8ce3b3c9-7f6f-4d7c-9d1e-1b1f1f1f1f1f",
        "portfolio_type": "DEFAULT",
    }


RULES = {
    "binance": binance,
    "bybit": bybit,
    "okx": okx,
    "kraken": kraken,
    "kucoin": kucoin,
    "bitget": bitget,
    "gate": gate,
    "coinbase": coinbase,
}
