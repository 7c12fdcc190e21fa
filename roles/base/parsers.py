"""The base role's parsers: pure functions of a check command's result."""

from __future__ import annotations

import json
import re

from bothost.facts.files import mode_exceeds, parse_mode_owner
from bothost.facts.system import key_values
from bothost.role import CommandResult, Outcome
from roles.expect import Parser, failed

SIZE_UNITS = {"B": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}
# cron's system tables: root's only (CIS Debian 12 2.4.1.2-2.4.1.7, dev-sec, Lynis FILE-7524).
CRON_PATHS = ("/etc/crontab", "/etc/cron.d", "/etc/cron.hourly", "/etc/cron.daily", "/etc/cron.weekly",
              "/etc/cron.monthly")


def sudo_nopasswd(result: CommandResult) -> Outcome:
    """Parser of `sudo -l -U USER`: a rule grants ALL as root without a password."""
    failure = failed(result)
    if failure:
        return failure
    rules = [line.strip() for line in result.stdout.splitlines() if line.startswith((" ", "\t"))]
    rules = [rule for rule in rules if rule.startswith("(")]
    granted = any(re.fullmatch(r"\(ALL(\s*:\s*ALL)?\)\s+NOPASSWD:\s*ALL", rule) for rule in rules)
    return Outcome(granted, "; ".join(rules) or "no sudo rules")


def password_locked(result: CommandResult) -> Outcome:
    """Parser of `password_status_argv(USER)` (as `passwd --status`): the status field is L (locked)."""
    failure = failed(result)
    if failure:
        return failure
    fields = result.stdout.split()
    status = fields[1] if len(fields) > 1 else "?"
    return Outcome(status == "L", status)


def key_fingerprints(expected: list[str]) -> Parser:
    """Parser of `key_fingerprints_argv(authorized_keys)` (as `ssh-keygen -l`): exactly the expected keys."""

    def evaluate(result: CommandResult) -> Outcome:
        failure = failed(result)
        if failure:
            return failure
        seen = sorted(re.findall(r"\bSHA256:[A-Za-z0-9+/]+", result.stdout))
        return Outcome(seen == sorted(expected), ", ".join(seen) or "no keys")

    return evaluate


def system_locale(expected: str) -> Parser:
    """Parser of the locale file (what localed and pam_env read): the system LANG is `expected`."""

    def evaluate(result: CommandResult) -> Outcome:
        failure = failed(result)
        if failure:
            return failure
        match = re.search(r"^LANG=(\S+)", result.stdout, re.MULTILINE)
        actual = match.group(1).strip("\"'") if match else "LANG unset"
        return Outcome(actual == expected, actual)

    return evaluate


def journal_persistent(max_use: str) -> Parser:
    """Parser of `cat_config_argv("systemd/journald.conf")`: persistent, capped (last value wins)."""

    def evaluate(result: CommandResult) -> Outcome:
        failure = failed(result)
        if failure:
            return failure
        values = key_values(result.stdout)  # comments keep their '#' in the key; later files override
        storage, limit = values.get("Storage", "auto"), values.get("SystemMaxUse", "")
        size = parse_size(limit)
        passed = storage == "persistent" and size is not None and 0 < size <= parse_size(max_use)
        return Outcome(passed, f"Storage={storage}, SystemMaxUse={limit or 'unset (10% of the disk, <= 4G)'}")

    return evaluate


def parse_size(text: str) -> float | None:
    """A size as journald prints or reads it (e.g. 200.0M) in bytes, or None."""
    match = re.fullmatch(r"([0-9.]+)([BKMGT]?)", text.strip())
    return float(match.group(1)) * SIZE_UNITS[match.group(2) or "B"] if match else None


def cloud_init_done(result: CommandResult) -> Outcome:
    """Parser of `cat status.json result.json` (as `cloud-init status` reads them): done, no errors at all."""
    failure = failed(result)
    if failure:  # no result.json yet: cloud-init is still running (or never ran)
        return Outcome(False, f"not done ({failure.actual})"[:400])
    try:
        decoder, text, documents = json.JSONDecoder(), result.stdout.strip(), []
        while text:
            document, end = decoder.raw_decode(text)
            documents.append(document["v1"])
            text = text[end:].strip()
        status, final = documents
    except (ValueError, KeyError, TypeError):
        return Outcome(False, f"unreadable cloud-init state: {result.stdout.strip()[:150]}")
    stages = [value for _, value in sorted(status.items()) if isinstance(value, dict)]
    running = bool(status.get("stage")) or any(s.get("start") and not s.get("finished") for s in stages)
    errors = [str(e) for part in (*stages, final) for e in part.get("errors") or []]
    errors += [f"{level}: {message}" for part in (*stages, final)
               for level, messages in sorted((part.get("recoverable_errors") or {}).items())
               for message in messages]
    errors = list(dict.fromkeys(errors))
    state = "running" if running else "done" if any(s.get("finished") for s in stages) else "not run"
    actual = state + (f"; {len(errors)} errors: " + " | ".join(errors) if errors else ", no errors")
    return Outcome(state == "done" and not errors, actual[:400])


def private_paths(home: str, home_mode: str) -> Parser:
    """Parser of `mode_owner_argv(home, *CRON_PATHS)`: home no looser than home_mode; cron paths root's
    with no group or other access, or absent (no cron installed)."""

    def evaluate(result: CommandResult) -> Outcome:
        failure = failed(result)
        if failure:
            return failure
        seen = parse_mode_owner(result)
        found = {path: seen.get(path, ("unread", "")) for path in (home, *CRON_PATHS)}
        wrong = [f"{path} {mode} {owner}".strip() for path, (mode, owner) in found.items()
                 if (mode_exceeds(mode, int(home_mode, 8)) if path == home else
                     mode != "absent" and (mode_exceeds(mode, 0o700) or owner != "root:root"))]
        return Outcome(not wrong, "; ".join(wrong) or "private")

    return evaluate


def session_timeout(limit: int) -> Parser:
    """Parser of the login shells' profile file: TMOUT of 1..limit s, read-only and exported."""

    def evaluate(result: CommandResult) -> Outcome:
        failure = failed(result)
        if failure:
            return failure
        lines = [line.strip() for line in result.stdout.splitlines() if not line.lstrip().startswith("#")]
        values = [line.partition("=")[2] for line in lines if line.startswith("TMOUT=")]
        value = values[-1] if values else ""
        readonly, exported = "readonly TMOUT" in lines, "export TMOUT" in lines
        passed = value.isdigit() and 0 < int(value) <= limit and readonly and exported
        flags = ", ".join(word if on else f"not {word}" for word, on in (("read-only", readonly),
                                                                         ("exported", exported)))
        return Outcome(passed, f"TMOUT={value or 'unset'}, {flags}")

    return evaluate


def pam_modules(result: CommandResult) -> Outcome:
    """Parser of `cat common-session common-password`: pam_tmpdir for sessions, passwdqc for passwords."""
    failure = failed(result)
    if failure:
        return failure
    active = [line.split() for line in result.stdout.splitlines() if not line.lstrip().startswith("#")]
    found = {(fields[0], module) for fields in active for module in ("pam_tmpdir.so", "pam_passwdqc.so")
             if len(fields) > 2 and module in fields[2:]}
    wanted = [("session", "pam_tmpdir.so"), ("password", "pam_passwdqc.so")]
    missing = [f"{kind} {module}" for kind, module in wanted if (kind, module) not in found]
    return Outcome(not missing, "missing: " + ", ".join(missing) if missing else "both enabled")


def login_defs(stdout: str) -> dict[str, str]:
    """/etc/login.defs as KEY -> value (comments and blank lines skipped; the last value wins)."""
    values = {}
    for line in stdout.splitlines():
        parts = line.split()
        if len(parts) >= 2 and not parts[0].startswith("#"):
            values[parts[0]] = parts[1]
    return values
