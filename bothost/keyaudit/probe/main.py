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
        method, path, headers, body = entry.sign(creds, now_ms(), base)
        reply = call(base, method, path, headers=headers, body=body, timeout=timeout)
    except Unreachable as error:
        return {**report, "status": "unreachable", "detail": str(error)}
    try:
        return {**report, "status": "ok", "facts": entry.parse_info(reply)}
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
