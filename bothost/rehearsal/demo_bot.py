"""What `bothost rehearse` deploys: the configured bot's limits around the demo image, throwaway secrets."""

from __future__ import annotations

import dataclasses
import secrets
from pathlib import Path

from bothost.config import StackSpec
from bothost.config.bot import BotSpec
from bothost.deploy.secretfiles import BotSecrets
from bothost.rehearsal.demo_image import DEMO_COMMAND, DEMO_TAG, write_demo_image
from bothost.secret import Credentials, Secret

DEMO_SECRET_NAMES = ("telegramToken",)  # so a rehearsal without a bot still proves a bot secret's handling


def demo_bot(spec: StackSpec, archive: Path | None = None) -> tuple[StackSpec, list[tuple[str, str, str]]]:
    """The spec with its bot replaced by the demo bot (same limits), and (key, value, why) overrides to print.

    The rehearsal VM has no registry access and no real secrets, so the image becomes the demo image (from
    `archive`, a local tarball: nothing to pin by digest) and the preset generic; stop grace period, memory,
    cpus and data directory stay as configured.
    """
    bot: BotSpec | None = spec.bot
    names = tuple(n for n, _ in bot.secrets) if bot else DEMO_SECRET_NAMES
    placeholder = tuple((name, Secret("rehearsal-placeholder")) for name in names)
    base = bot or BotSpec(
        preset="generic",
        image=DEMO_TAG,
        image_archive=None,
        command=None,
        args=None,
        env=(),
        user=None,
        stop_grace_period=90,
        memory_bytes=512 * 1024**2,
        cpus=1.0,
        data_dir="/srv/bothost/data",
        health_cmd=None,
        files=None,
        secrets=placeholder,
    )
    demo = dataclasses.replace(
        base,
        preset="generic",
        image=DEMO_TAG,
        image_archive=str(archive) if archive else None,
        command=DEMO_COMMAND,
        args=(),
        user=None,
        health_cmd=None,
        files=None,  # the demo bot needs none of the real bot's files
        secrets=placeholder,
        env=(("BOT_STOP_SECONDS", "2"),),
    )
    why = "the VM has no registry access: the busybox demo bot runs with your bot's limits"
    overrides = [("bothost:bot.image", f"{bot.image if bot else '(no bot)'} -> {DEMO_TAG} (tarball)", why)]
    if bot and bot.preset != "generic":
        overrides.append(
            ("bothost:bot.preset", f"{bot.preset} -> generic", "the demo image is not " + bot.preset)
        )
    return dataclasses.replace(spec, bot=demo), overrides


def demo_secrets(spec: StackSpec) -> BotSecrets:
    """Fresh random values for every secret the (demo) bot needs; tests search outputs for them."""

    def fresh() -> Secret:
        return Secret("rehearsal-" + secrets.token_urlsafe(24))

    passphrase = spec.exchange is not None and spec.exchange.passphrase is not None
    exchange = Credentials(fresh(), fresh(), fresh() if passphrase else None)
    return BotSecrets(exchange, {name: fresh() for name, _ in spec.bot.secrets})


def demo_archive(folder: Path) -> Path:
    """The demo image tarball that rehearse streams to the VM."""
    return write_demo_image(folder / "bothost-demo.tar")
