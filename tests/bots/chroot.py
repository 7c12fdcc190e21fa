"""Run a command from a built bot image's rootfs as the container would: its user, env and mounts.

A private mount namespace (unshare) holds /proc and the bind mounts, so nothing outlives the process
and the cached rootfs is never written to (apart from the empty mount points made once).
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path

from bothost.rehearsal.bot_image import BotImageRecipe


def chroot_argv(
    rootfs: Path,
    recipe: BotImageRecipe,
    mounts: dict[str, Path],
    argv: list[str],
    env: dict[str, str] | None = None,
    user: str | None = None,
) -> list[str]:
    """unshare + mount + chroot --userspec + env -i: argv runs like `docker run` would run it.

    user is the container's uid:gid when the preset overrides the image's user (docker run --user)."""
    steps = [["mount", "-t", "proc", "proc", str(rootfs / "proc")]]
    for target, source in mounts.items():
        point = rootfs / target.lstrip("/")
        if source.is_file():  # a single file (e.g. /etc/hosts) is bound onto the image's own file
            point.touch(exist_ok=True)
        else:
            point.mkdir(parents=True, exist_ok=True)
        steps.append(["mount", "--bind", str(source), str(point)])
    variables = dict(recipe.env) | {"HOME": f"/home/{recipe.user}"} | (env or {})
    run = [
        "chroot",
        f"--userspec={user or f'{recipe.uid}:{recipe.gid}'}",
        str(rootfs),
        "/usr/bin/env",
        "-i",
        *(f"{k}={v}" for k, v in variables.items()),
        "/bin/sh",
        "-c",
        'cd "$0" && exec "$@"',
        recipe.workdir,
        *argv,
    ]
    script = " && ".join(shlex.join(step) for step in steps) + " && exec " + shlex.join(run)
    return ["unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", script]


def can_chroot() -> bool:
    """Root and unshare/chroot are there (the image build needs root anyway)."""
    import os

    return os.geteuid() == 0 and all(shutil.which(t) for t in ("unshare", "chroot", "debootstrap"))


def run_in(
    rootfs: Path,
    recipe: BotImageRecipe,
    mounts: dict[str, Path],
    argv: list[str],
    timeout: float = 60,
    env: dict[str, str] | None = None,
    user: str | None = None,
) -> subprocess.CompletedProcess:
    """Run argv to completion in the image's rootfs; output captured."""
    return subprocess.run(
        chroot_argv(rootfs, recipe, mounts, argv, env, user),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def built_rootfs(recipe: BotImageRecipe, bot: str) -> Path:
    """The recipe's image rootfs (built once, cached by its hash); no root: fails in CI, skips elsewhere."""
    from tools import require

    from bothost.rehearsal.bot_image import ensure_bot_image, rootfs_path

    require(f"root, unshare, chroot and debootstrap (to build and run the {bot} image)", can_chroot())
    return rootfs_path(ensure_bot_image(recipe))
