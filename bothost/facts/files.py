"""File facts: modes and owners (`stat`), content digests (`sha256sum`)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from bothost.role import CommandResult


def stat_argv(paths: Iterable[str]) -> list[str]:
    """Read each path's octal mode and numeric owner."""
    return ["stat", "-c", "%n %a %u:%g", "--", *paths]


def parse_stat(result: CommandResult) -> dict[str, tuple[str, str]]:
    """`stat_argv` output -> path -> (4-digit octal mode, uid:gid); missing paths are absent."""
    found = {}
    for line in result.stdout.splitlines():
        parts = line.rsplit(" ", 2)
        if len(parts) == 3:
            found[parts[0]] = (parts[1].zfill(4), parts[2])
    return found


def sha256_argv(paths: Iterable[str]) -> list[str]:
    """Hash each file (missing ones are reported on stderr and left out)."""
    return ["sha256sum", "--", *paths]


def parse_sha256sum(result: CommandResult) -> dict[str, str]:
    """`sha256sum FILE...` (text or binary mode) -> base name -> hex digest."""
    digests = {}
    for line in result.stdout.splitlines():
        match = re.fullmatch(r"([0-9a-f]{64}) [ *](.+)", line.strip())
        if match:
            digests[match[2].rsplit("/", 1)[-1]] = match[1]
    return digests


def parse_sha256sum_paths(result: CommandResult) -> dict[str, str]:
    """`sha256sum FILE...` -> full path -> hex digest (for trees, where base names repeat)."""
    digests = {}
    for line in result.stdout.splitlines():
        match = re.fullmatch(r"([0-9a-f]{64}) [ *](.+)", line.strip())
        if match:
            digests[match[2]] = match[1]
    return digests
