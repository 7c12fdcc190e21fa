"""The uids and gids a bot's container may run as: ids that no host login or system account has.

Debian gives system accounts 0-999 and logins 1000 upward (the admin user is the first: 1000), and
reserves 60000-65535 (Debian's static ids, systemd's dynamic users, nobody). BOT_UIDS sits between:
far above the few logins of a single-admin server, and below 65536 so that a user-namespace remap
(which maps 65536 ids) still covers it. The host side proves no account owns the id (bot role, verify).
"""

from __future__ import annotations

BOT_UIDS = range(10000, 20000)  # uids and gids a bot may run as (bothost:bot.user)
DEFAULT_BOT_UID = BOT_UIDS.start  # the dedicated unprivileged id a generic bot runs as by default


def bot_id_problem(uid: int, gid: int) -> str | None:
    """Why a container may not run as uid:gid, or None when it may."""
    for kind, value in (("uid", uid), ("gid", gid)):
        if value == 0:
            return f"{kind} 0 is root"
        if value not in BOT_UIDS:
            return (f"{kind} {value} is outside the bot range {BOT_UIDS.start}-{BOT_UIDS.stop - 1} "
                    "(lower ids are system accounts and host logins such as the admin, 1000)")
    return None
