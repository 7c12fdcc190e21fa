"""Where a bot's data may live on the host: under one bothost-owned root, never a system path.

The same rule serves the config (bothost:bot.dataDir) and anything on the host that re-checks a path
before it creates, chowns or mounts it (the bot role, verify): call data_dir_problem / data_dir_ok.
"""

from __future__ import annotations

import re

BOT_DATA_ROOT = "/srv/bothost"  # bothost owns this directory; every bot's data lives below it
_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")  # no "", ".", "..", hidden or option-like names
MAX_DEPTH = 4  # parts below BOT_DATA_ROOT


def data_dir_problem(path: object) -> str | None:
    """Why `path` may not be a bot's data directory, or None when it may (a pure string check)."""
    if not isinstance(path, str) or not path.startswith("/"):
        return "expected an absolute path"
    if not path.startswith(BOT_DATA_ROOT + "/"):
        return f"bot data lives under {BOT_DATA_ROOT}/, never in a system or home directory"
    parts = path[len(BOT_DATA_ROOT) + 1:].split("/")
    if not all(_PART.fullmatch(part) for part in parts):
        return "not a normalised path: each part is letters, digits, '.', '_' or '-', not starting " \
               "with '.' or '-', with no '.', '..' or empty parts"
    if len(parts) > MAX_DEPTH:
        return f"at most {MAX_DEPTH} directories below {BOT_DATA_ROOT}"
    return None


def data_dir_ok(path: object) -> bool:
    """True when `path` is an acceptable bot data directory."""
    return data_dir_problem(path) is None
