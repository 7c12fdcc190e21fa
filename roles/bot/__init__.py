"""bot: the trading bot runs in a locked-down container; a leak in the bot reaches as little as possible.

The role owns the bot: its settings and presets (settings.py, presets.py), the docker run flags
(flags.py), and the checks that prove them (checks.py). bothost/deploy converges a host to what it says.
"""

from __future__ import annotations

from bothost.config import StackSpec
from bothost.role import Changes, Check, RenderContext, Role
from roles.bot.checks import bot_checks
from roles.bot.presets import stack_bot_settings
from roles.bot.settings import ROOT_DIRS, BotSettings, hmac_key_argv


class BotRole(Role):
    """The bot container: its host directories at first boot, its confinement proven on the live host."""

    name = "bot"

    def settings(self, spec: StackSpec, context: RenderContext) -> BotSettings | None:
        if spec.bot is None:
            return None
        return stack_bot_settings(spec)

    def changes(self, s: BotSettings | None) -> Changes:
        # docker itself (package, daemon.json, enabled) is roles/docker; the container is `bothost deploy`'s.
        wanted = ROOT_DIRS if s is None else s.directories()
        commands = [install_dir(path, mode, owner) for path, mode, owner in wanted]
        if s is not None:
            commands.append(hmac_key_argv())  # keys the secret digests in the container's label
        return Changes(commands=tuple(commands))

    def checks(self, s: BotSettings | None) -> list[Check]:
        return [] if s is None else bot_checks(s)  # no bot configured: nothing runs, nothing to prove


def install_dir(path: str, mode: str, owner: str) -> tuple[str, ...]:
    """The first-boot command that creates a directory with its mode and owner."""
    uid, gid = owner.split(":")
    return ("install", "-d", "-m", mode, "-o", uid, "-g", gid, path)
