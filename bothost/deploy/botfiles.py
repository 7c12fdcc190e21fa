"""The bot's own files (bothost:bot.files): a local tree synced into the bot's data dir, by content hash.

Read locally without following symlinks out of the tree; refused when a file holds a bothost secret in
clear; written on the host as the container user (never as root, so a symlink the bot planted in its own
data dir reaches nothing the bot could not write itself), and only the files whose content differs.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from bothost.deploy.secretfiles import BotSecrets
from bothost.errors import BothostError
from bothost.facts.files import parse_sha256sum_paths, sha256_argv
from bothost.host import Host

MAX_BYTES = 16 * 1024**2  # config and strategies are small; more means data that belongs elsewhere
MIN_SECRET_LENGTH = 8  # shorter values would match by chance
FILE_MODE = "0640"  # the bot reads them; its group may; nobody else
# As the container user: a temporary file beside the target, then an atomic rename over it.
_WRITE = (
    'set -e; umask 027; dir="${1%/*}"; mkdir -p "$dir"; tmp="$(mktemp "$dir/.bothost-files.XXXXXX")"; '
    'cat > "$tmp"; chmod "$2" "$tmp"; mv -f "$tmp" "$1"'
)


class BotFilesError(BothostError):
    """The configured bot files cannot be shipped (unreadable, too large, a symlink out, a secret inside)."""


@dataclass(frozen=True)
class BotFiles:
    """The tree to ship: relative POSIX paths and contents, sorted; its digest decides a restart."""

    root: str
    entries: tuple[tuple[str, bytes], ...]

    def __repr__(self) -> str:
        return f"BotFiles(root={self.root!r}, files={[name for name, _ in self.entries]})"

    @property
    def digest(self) -> str:
        """sha256 over every path and content: unchanged tree, unchanged digest."""
        total = hashlib.sha256()
        for name, data in self.entries:
            total.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
        return total.hexdigest()


def read_tree(root: Path) -> BotFiles:
    """Every regular file under root; a symlink is followed only when it stays inside the tree."""
    base = root.resolve()
    if not base.is_dir():
        raise BotFilesError(f"bot files: {root} is not a directory")
    entries, total = [], 0
    for folder, dirs, names in os.walk(base, followlinks=False):
        for name in sorted(dirs):
            path = Path(folder, name)
            if path.is_symlink() and not _inside(path.resolve(), base):
                raise BotFilesError(f"bot files: {path} links outside {root}; copy what it points to instead")
        for name in sorted(names):
            path = Path(folder, name)
            target = path.resolve()
            if not _inside(target, base):
                raise BotFilesError(f"bot files: {path} links outside {root}; copy what it points to instead")
            if not target.is_file():
                continue  # sockets, fifos, dangling links: nothing to ship
            data = target.read_bytes()
            total += len(data)
            if total > MAX_BYTES:
                raise BotFilesError(f"bot files: {root} holds more than {MAX_BYTES // 1024**2} MiB")
            entries.append((PurePosixPath(path.relative_to(base)).as_posix(), data))
    return BotFiles(str(root), tuple(sorted(entries)))


def refuse_secrets(files: BotFiles, secrets: BotSecrets) -> None:
    """Refuse a file that holds the exchange key material or a bot secret in clear."""
    named = {**secrets.exchange_files(), **secrets.bot}
    for name, data in files.entries:
        for secret_name, value in named.items():
            text = value.reveal()
            if len(text) >= MIN_SECRET_LENGTH and text.encode() in data:
                raise BotFilesError(
                    f"bot files: {name} contains {secret_name} in clear. Remove it from the file: bothost "
                    "delivers it to the bot itself (freqtrade: /run/secrets/config-private.json; "
                    f"others: /run/secrets/{secret_name}), set with `pulumi config set --secret`"
                )


def converge_bot_files(host: Host, data_dir: str, owner: str, files: BotFiles) -> list[str]:
    """Write the files whose content differs under data_dir, as `owner`; returns the paths written."""
    if not files.entries:
        return []
    uid, gid = owner.split(":")
    as_user = ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups"]
    paths = {name: f"{data_dir}/{name}" for name, _ in files.entries}
    present = parse_sha256sum_paths(host.run([*as_user, *sha256_argv(paths.values())]))
    written = []
    for name, data in files.entries:
        if present.get(paths[name]) != hashlib.sha256(data).hexdigest():
            host.check([*as_user, "sh", "-c", _WRITE, "bot-files", paths[name], FILE_MODE], stdin=data)
            written.append(name)
    return written


def _inside(path: Path, base: Path) -> bool:
    return path == base or base in path.parents
