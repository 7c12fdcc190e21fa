"""Turn probe reports into findings: pass, warn or refuse, each with the fix on the exchange's own page."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from bothost.keyaudit.guide import Guide
from bothost.keyaudit.policy import LEVELS, RULES, Rule, rule_for

CLOCK_WARN_MS = 500  # above this skew, warn: signatures start failing well before the receive window


@dataclass(frozen=True)
class Finding:
    """One result of the audit."""

    level: str  # "fail" refuses the deploy, "warn" is printed every time, "info" is the report
    code: str  # stable id, e.g. "withdraw", "ip-missing"
    text: str
    waivable: bool = False  # True: bothost:allowUnrestrictedKey turns this refusal into a warning


def ip_allowed(static_ip: str, entry: str) -> bool:
    """Whether a whitelist entry (IP, CIDR, or KuCoin's masked 203.**.7) admits the static IP."""
    if "*" in entry:
        head, tail = entry.split(".", 1)[0], entry.rsplit(".", 1)[-1]
        parts = static_ip.split(".")
        return len(parts) == 4 and parts[0] == head and parts[-1] == tail
    try:
        return ipaddress.ip_address(static_ip) in ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return False


def judge_clock(clock: dict | None, guide: Guide, where: str) -> list[Finding]:
    """Warn above 500 ms of skew; refuse beyond what the exchange accepts."""
    if not clock or "skew_ms" not in clock:
        return [Finding("warn", "clock-unknown", f"could not read {guide.title}'s server time from {where}")]
    skew, slack = clock["skew_ms"], clock.get("resolution_ms", 1)
    ahead, behind = clock.get("ahead_ms"), clock.get("behind_ms")
    said = f"{where}'s clock is {abs(skew)} ms {'ahead of' if skew > 0 else 'behind'} {guide.title}'s"
    if (ahead is not None and skew - slack > ahead) or (behind is not None and -skew - slack > behind):
        limit = ahead if skew > 0 else behind
        return [
            Finding(
                "fail",
                "clock-window",
                f"{said}, beyond the {limit} ms {guide.title} accepts: signed "
                "requests will be rejected. Fix time sync on the host (systemd-timesyncd) and retry.",
            )
        ]
    if abs(skew) - slack > CLOCK_WARN_MS:
        return [Finding("warn", "clock-skew", f"{said} (warning above {CLOCK_WARN_MS} ms); check time sync")]
    return [Finding("info", "clock", f"{said} (within {CLOCK_WARN_MS} ms)")]


def judge_refusal(error: dict, guide: Guide, static_ip: str) -> Finding:
    """The exchange refused the signed request from the host: say which of our settings is wrong."""
    kind, said = error.get("kind"), f"({error.get('code')}: {error.get('message')})"
    add_ip = f"add {static_ip} under '{guide.ip_setting}' on {guide.page}"
    texts = {
        "auth": f"{guide.title} rejected the key from the host: key or secret wrong "
        f"({guide.secret_parts}) {said}. Check the values in the stack config against {guide.page}",
        "ip": f"{guide.title} refused the host's IP {said}: {add_ip}",
        "ip_or_auth": f"{guide.title} refused the key from the host {said}: either the key or secret is "
        f"wrong, or {static_ip} is not a trusted IP ({add_ip})",
        "clock": f"{guide.title} rejected the request's timestamp {said}: the host's clock is off; "
        "fix time sync",
        "nonce": f"{guide.title} rejected the nonce {said}: another program uses this key with larger "
        "nonces; give the bot its own key",
        "denied": f"{guide.title} denied the request {said}: the key lacks read permission, or the host's IP "
        f"is not allowed ({add_ip})",
    }
    return Finding("fail", f"refused-{kind}", texts.get(kind, f"{guide.title} refused the request {said}"))


_READ = Rule("read", "")
_EFFECT_TEXT = {
    "withdraw": ("withdraw", "withdrawal permission is ON"),
    "send": ("moves-funds", "the key can send funds to another account or user"),
    "keys": ("edits-keys", "the key can change or create API keys, so it could lift its own IP restriction"),
    "own-transfer": ("own-transfer", "the key can move funds between your own wallets"),
    "leverage": ("leverage", "the key can borrow or trade with leverage"),
}


def judge_facts(facts: dict, exchange: str, guide: Guide, static_ip: str) -> list[Finding]:
    """Permissions (by policy.RULES), the account kind, the pair whitelist and the IP allowlist."""
    master = facts.get("master")
    granted: dict[str, list[str]] = {}
    unknown = []
    for name in facts.get("permissions") or []:
        rule = rule_for(exchange, name, master)
        if rule is None:
            unknown.append(name)
            continue
        detail = f"'{rule.label}'" + (f": {rule.why}" if rule.why and LEVELS[rule.effect] != "info" else "")
        if rule.effect != RULES[exchange][name].effect:  # the main-account variant: the fix is another key
            detail += f"; a sub-account's key cannot: {guide.subaccount}"
        granted.setdefault(rule.effect, []).append(detail)
    found = [
        Finding(
            LEVELS[effect],
            code,
            f"{said} ({'; '.join(granted[effect])}): switch it off for this key on "
            f"{guide.page}" + ("" if LEVELS[effect] == "fail" else " unless the bot needs it"),
        )
        for effect, (code, said) in _EFFECT_TEXT.items()
        if effect in granted
    ]
    if unknown:
        found.append(
            Finding(
                "warn",
                "permission-unknown",
                f"bothost does not know what {', '.join(unknown)} "
                f"allows: switch it off for this key on {guide.page} unless the bot needs it",
            )
        )
    if not facts.get("permissions"):
        unread = "; ".join(facts.get("unread") or []) or "none reported"
        found.append(
            Finding(
                "warn",
                "withdraw-unknown",
                f"{guide.title} did not report the key's permissions "
                f"({unread}): make sure '{guide.withdraw_setting}' and every transfer permission "
                f"are off on {guide.page}",
            )
        )
    elif not any(RULES[exchange].get(n, _READ).effect in ("trade", "leverage") for n in facts["permissions"]):
        found.append(
            Finding("warn", "no-trade", "the key has no trading permission: the bot cannot place orders")
        )
    found += _judge_account(master, guide) + _judge_pairs(facts.get("pairs"), guide)
    found += _judge_ip_list(facts, guide, static_ip)
    found.append(
        Finding(
            "info",
            "permissions",
            f"permissions: {', '.join(facts.get('permissions') or []) or 'none reported'}",
        )
    )
    found.append(
        Finding(
            "info",
            "expiry",
            f"key expires {facts['expires']}"
            if facts.get("expires")
            else f"{guide.title} reports no expiry for this key",
        )
    )
    return found


def _judge_account(master: bool | None, guide: Guide) -> list[Finding]:
    if master:
        return [
            Finding(
                "warn",
                "master",
                f"this is a key of the main account, so a thief reaches all of it: {guide.subaccount}",
            )
        ]
    if master is None and guide.subaccount and not guide.master_reported:
        return [
            Finding(
                "warn",
                "master-unknown",
                f"{guide.title} does not say whether this key belongs to the main "
                f"account (a main-account key can create sub-account keys): {guide.subaccount}",
            )
        ]
    return []


def _judge_pairs(pairs: list | None, guide: Guide) -> list[Finding]:
    if pairs is None:
        return []
    if not pairs:
        return [
            Finding(
                "warn",
                "pairs-open",
                f"the key may trade every pair: restrict it to the bot's pairs under "
                f"'Currency pairs' on {guide.page} (a thief cannot then dump funds into a thin pair)",
            )
        ]
    return [Finding("info", "pairs", f"the key may trade only {', '.join(pairs)}")]


def _judge_ip_list(facts: dict, guide: Guide, static_ip: str) -> list[Finding]:
    where = f"'{guide.ip_setting}' on {guide.page}"
    if guide.ip_source == "proof":
        return []  # nothing to read: the host-versus-here comparison proves it
    if facts.get("ip_restricted") is False:
        return [
            Finding(
                "fail",
                "ip-unrestricted",
                f"the key works from any IP: turn on {where} with only {static_ip}",
                waivable=True,
            )
        ]
    ips = facts.get("ip_list")
    if ips is None:
        return []  # only a flag (Binance): proven by the host-versus-here comparison
    if not any(ip_allowed(static_ip, entry) for entry in ips):
        return [
            Finding(
                "fail",
                "ip-missing",
                f"the key's IP whitelist ({', '.join(ips)}) does not contain "
                f"{static_ip}: add it under {where}",
                waivable=True,
            )
        ]
    found = [
        Finding(
            "info",
            "ip",
            f"the IP whitelist contains {static_ip}"
            + (" (the exchange masks part of each entry)" if facts.get("ip_masked") else ""),
        )
    ]
    wide = [entry for entry in ips if _is_range(entry)]
    if wide:
        found.append(
            Finding(
                "fail",
                "ip-wide",
                f"the whitelist admits whole ranges ({', '.join(wide)}), not only the host: keep only "
                f"{static_ip} under {where}",
                waivable=True,
            )
        )
    others = [entry for entry in ips if not _is_range(entry) and not ip_allowed(static_ip, entry)]
    if others:
        found.append(
            Finding(
                "warn",
                "ip-extra",
                f"the whitelist also admits {', '.join(others)}: remove them under {where} "
                "unless you use them",
            )
        )
    return found


def _is_range(entry: str) -> bool:
    """Wider than one address (a /32 or /128): 0.0.0.0/0, ::/0, a /16 ..."""
    if "*" in entry:
        return entry.strip() == "*"
    try:
        return ipaddress.ip_network(entry, strict=False).num_addresses > 1
    except ValueError:
        return False


def judge_proof(here: dict | None, guide: Guide, static_ip: str) -> list[Finding]:
    """Binance only says a whitelist is on: the key must work from the host and fail from here."""
    if here is None:
        return []
    status = here.get("status")
    # The same key and secret just worked from the host, so Binance's -2015 from here can only mean the IP.
    if status == "refused" and here["error"].get("kind") in ("ip", "ip_or_auth"):
        return [
            Finding(
                "info",
                "ip-proven",
                f"IP whitelist proven: the key works from the host ({static_ip}) "
                f"and {guide.title} rejects it from this machine ({here['error'].get('code')})",
            )
        ]
    if status == "ok":
        return [
            Finding(
                "fail",
                "ip-too-wide",
                f"the key also works from this machine, so its trusted IPs admit "
                f"more than the host: keep only {static_ip} under '{guide.ip_setting}' on {guide.page}",
                waivable=True,
            )
        ]
    detail = here.get("detail") or here.get("error") or status
    return [
        Finding(
            "warn",
            "ip-unproven",
            f"could not prove the IP whitelist from this machine ({detail}); {guide.title} reports it as on",
        )
    ]
