"""`bothost report` (pure): the last days' logins, deploys, alarms and fills by pair, from sshd's and the
watcher's journal (`journalctl -o json`) and the host's audit log."""

from __future__ import annotations

import datetime
import json

from .hostalarms import ssh_logins


def _iso(micros: str | int) -> str:
    stamp = datetime.datetime.fromtimestamp(int(micros) / 1e6, datetime.UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")


def journal_entries(text: str) -> list[dict]:
    """JSON lines (`journalctl -o json`, the watcher's own output) as objects; other lines are skipped."""
    entries = []
    for line in text.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict):
            entries.append(entry)
    return entries


def watcher_events(text: str) -> list[tuple[str, dict]]:
    """The watcher's own JSON events (its MESSAGE lines), each with its journal time."""
    events = []
    for entry in journal_entries(text):
        message = entry.get("MESSAGE")
        try:
            event = json.loads(message) if isinstance(message, str) else None
        except ValueError:
            continue
        if isinstance(event, dict) and "event" in event:
            events.append((_iso(entry.get("__REALTIME_TIMESTAMP", 0)), event))
    return events


def build_report(sshd_json: str, watcher_json: str, audit_log: str, since: str) -> dict:
    """The report as data: since is an ISO time (UTC, ...Z) that audit lines are compared with."""
    logins = []
    for entry in journal_entries(sshd_json):
        alarms, _ = ssh_logins(json.dumps(entry))
        logins += [{"at": _iso(entry.get("__REALTIME_TIMESTAMP", 0)), "text": a.text} for a in alarms]
    deploys = []
    for line in audit_log.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[0] >= since:
            deploys.append(
                {"at": parts[0], "by": parts[1], "action": parts[2], "details": " ".join(parts[3:])}
            )
    alarms, fills = [], {}
    for at, event in watcher_events(watcher_json):
        if event["event"] == "alarm":
            alarms.append({"at": at, "text": event.get("text", "")})
        elif event["event"] == "fill":
            counts = fills.setdefault(str(event.get("pair")), {"bot": 0, "unexplained": 0})
            counts["bot" if event.get("bot") else "unexplained"] += 1
    return {
        "since": since,
        "logins": logins,
        "deploys": deploys,
        "alarms": alarms,
        "fills": dict(sorted(fills.items())),
        "unexplained_fills": sum(c["unexplained"] for c in fills.values()),
    }


def render(report: dict) -> list[str]:
    """The report as lines for a terminal."""
    lines = [f"since {report['since']}"]
    for title, key in (("SSH logins", "logins"), ("alarms", "alarms")):
        lines.append(f"{title}: {len(report[key])}")
        lines += [f"  {item['at']}  {item['text']}" for item in report[key]]
    lines.append(f"deploys and host changes: {len(report['deploys'])}")
    lines += [f"  {d['at']}  {d['action']} {d['details']} ({d['by']})" for d in report["deploys"]]
    lines.append(
        f"fills: {sum(c['bot'] + c['unexplained'] for c in report['fills'].values())}, "
        f"unexplained {report['unexplained_fills']}"
    )
    lines += [
        f"  {pair}: bot {c['bot']}, unexplained {c['unexplained']}" for pair, c in report["fills"].items()
    ]
    return lines
