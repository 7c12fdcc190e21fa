"""The probe's entry point: request JSON on stdin, one report JSON on stdout, the secret never in either."""

from __future__ import annotations

import json
import sys

from .exchanges import EXCHANGES
from .parsing import ApiError
from .signing import Creds
from .wire import Unreachable, call, now_ms


def measure_clock(entry: object, base: str, timeout: float) -> dict:
    """This machine's clock against the exchange's: skew = ours - theirs, at the midpoint of the call."""
    start = now_ms()
    reply = call(base, "GET", entry.time_path, timeout=timeout)
    end = now_ms()
    try:
        server = entry.parse_time(reply)
    except (KeyError, ValueError, TypeError, IndexError):
        return {"error": f"unexpected server-time reply (HTTP {reply.status})"}
    return {
        "skew_ms": round((start + end) / 2 - server),
        "rtt_ms": end - start,
        "resolution_ms": entry.resolution_ms,
        "ahead_ms": entry.ahead_ms,
        "behind_ms": entry.behind_ms,
    }


def run(request: dict) -> dict:
    """Read the clock, then the key's restrictions, with the key itself."""
    name, base = request["exchange"], request["api_base"]
    timeout = float(request.get("timeout", 10))
    entry = EXCHANGES[name]
    creds = Creds(request["key"], request["secret"], request.get("passphrase") or "")
    report: dict = {"exchange": name, "api_base": base}
    try:
        report["clock"] = measure_clock(entry, base, timeout)
        try:
            method, path, headers, body = entry.sign(creds, now_ms(), base)
        except (ValueError, IndexError):  # binascii.Error is a ValueError
            return {**report, "status": "refused", "error": _unreadable_secret(name)}
        reply = call(base, method, path, headers=headers, body=body, timeout=timeout)
    except Unreachable as error:
        return {**report, "status": "unreachable", "detail": str(error)}
    try:
        facts = entry.parse_info(reply)
    except ApiError as error:
        return {
            **report,
            "status": "refused",
            "error": {"kind": error.kind, "code": error.code, "message": error.message},
        }
    except (KeyError, ValueError, TypeError, IndexError, AttributeError):
        return {
            **report,
            "status": "error",
            "detail": f"unexpected reply (HTTP {reply.status}): {reply.text}",
        }
    return {**report, "status": "ok", "facts": _more_facts(entry, creds, base, timeout, facts)}


def _unreadable_secret(name: str) -> dict:
    """The secret could not even be used to sign: say so without sending anything."""
    kinds = {
        "coinbase": "a PEM EC private key or a base64 Ed25519 key",
        "kraken": "base64",
        "binance": "an HMAC secret or a PEM Ed25519/RSA private key",
        "bybit": "an HMAC secret or a PEM RSA private key",
        "bitget": "an HMAC secret or a PEM RSA private key",
    }
    expected = kinds.get(name, "the secret the exchange issued")
    return {"kind": "auth", "code": "unreadable-secret", "message": f"the secret is not {expected}"}


def _more_facts(entry: object, creds: Creds, base: str, timeout: float, facts: dict) -> dict:
    """Facts from the exchange's further calls; a refused or failed one is noted, and the rest still stand."""
    for sign, merge in entry.more:
        method, path, headers, body = sign(creds, now_ms(), base)
        try:
            facts = merge(call(base, method, path, headers=headers, body=body, timeout=timeout), facts)
        except ApiError as error:
            facts = {**facts, "unread": [*facts.get("unread", []), f"{path}: {error.code} {error.message}"]}
        except (Unreachable, KeyError, ValueError, TypeError, IndexError, AttributeError) as error:
            facts = {**facts, "unread": [*facts.get("unread", []), f"{path}: {type(error).__name__}"]}
    return facts


def scrub(value: object, secrets: list[str]) -> object:
    """The value with every secret (and every line of a multi-line secret) replaced by ***."""
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, "***")
        return value
    if isinstance(value, dict):
        return {key: scrub(item, secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [scrub(item, secrets) for item in value]
    return value


def _secrets(request: object) -> list[str]:
    found = []
    if isinstance(request, dict):
        for field in ("key", "secret", "passphrase"):
            text = request.get(field)
            if isinstance(text, str) and text:
                found += [text, text.replace("\\n", "\n")]
                found += [
                    line.strip() for line in text.replace("\\n", "\n").splitlines() if len(line.strip()) > 8
                ]
    return sorted({s for s in found if len(s) >= 4}, key=len, reverse=True)


def main() -> int:
    """Run once; whatever happens, print a report without secrets and no traceback."""
    request: object = None
    try:
        request = json.loads(sys.stdin.read())
        report = run(request)
    except Exception as error:
        report = {"status": "error", "detail": f"probe failed: {type(error).__name__}: {error}"}
    sys.stdout.write(json.dumps(scrub(report, _secrets(request))) + "\n")
    return 0
