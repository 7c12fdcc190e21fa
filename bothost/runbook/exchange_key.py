"""Rotate the exchange API key: audit the new one, push it, wait healthy, then name the old one to delete."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bothost.errors import BothostError
from bothost.progress import Report

if TYPE_CHECKING:
    from bothost.host import Host

KEY_HINT_CHARS = 4  # an API key's first characters name it on the exchange's page; they are not the secret


class RotationRefused(BothostError):
    """The new key was refused before anything changed on the host: the old key keeps running."""


@dataclass(frozen=True)
class ExchangeRotation:
    """The pieces a rotation needs, wired by the CLI (key audit, bot deploy) or by tests (fakes)."""

    title: str  # the exchange's name, e.g. Binance
    page: str  # its API-management page
    audit: Callable[[], Any]  # audits the NEW key from the host; returns an AuditResult (render, refused)
    push: Callable[[], Any]  # deploys the NEW key files and restarts the bot; waits until healthy or raises
    healthy: Callable[[], bool]  # the bot is up and healthy now
    old_key_hint: Callable[[], str | None]  # first characters of the key the host runs now (None if unknown)


def rotate_exchange_key(rotation: ExchangeRotation, report: Report) -> str:
    """Audit, push, prove healthy; returns the checklist line naming the old key to delete."""
    old = rotation.old_key_hint()
    result = rotation.audit()
    report(result.render())
    if result.refused:
        raise RotationRefused(f"the new {rotation.title} key failed the audit; nothing was pushed and the "
                              "bot "
                              "keeps running with the old key. Fix the new key (see above) and rerun.")
    report("  + new key passed the audit")
    rotation.push()
    if not rotation.healthy():
        raise BothostError("the bot is not healthy with the new key. Do NOT delete the old key yet: "
                           "check `bothost logs`, fix, and rerun (the deploy rolls back to the last healthy "
                           "container on failure)")
    report("  + the bot runs with the new key and is healthy")
    key = f"the old API key starting {old}..." if old else "the old API key (the one that is not the new key)"
    return f"Now delete {key} at {rotation.title}: {rotation.page}"


def running_key_hint(host: Host, secrets_dir: str) -> str | None:
    """The first characters of the API key the host runs now (None when there is none)."""
    found = host.run(["head", "-c", str(KEY_HINT_CHARS), f"{secrets_dir}/exchange_api_key"])
    return (found.stdout.strip() or None) if found.exit_status == 0 else None
