"""The bot on the host: its uid is no host account, its data lives under bothost's own root, its container
shares no namespace, device or mount propagation with the host, and its process dumps no core (bot-18..21)."""

from __future__ import annotations

from bothost.facts import HOST_JSON
from bothost.facts.docker import ENGINE_GET
from bothost.role import CommandResult, Outcome
from roles.bot.parsers import inspected
from roles.expect import Parser, json_object

# Runs on the host as root: the uid and gid the container's main process really has (the kernel's view,
# not the image's), the host account and group that own those ids, if any, and its core file size limit.
BOT_IDENTITY_SCRIPT = HOST_JSON + ENGINE_GET + r"""
import grp, pwd
socket_path, name = sys.argv[1:3]
status, shown = engine_get(socket_path, "/containers/%s/json" % name)
pid = (loads(shown).get("State") or {}).get("Pid") if status == "200" else None
if not pid:
    sys.exit("%s is not running: HTTP %s %s" % (name, status, shown[:200]))
ids = {}
with open("/proc/%d/status" % pid) as status_file:
    for line in status_file:
        if line.startswith(("Uid:", "Gid:")):
            ids[line[0]] = [int(v) for v in line.split()[1:]]
with open("/proc/%d/limits" % pid) as limits:  # "Max core file size  SOFT  HARD  bytes"
    core = next((line.split()[4:6] for line in limits if line.startswith("Max core file size")), None)
def account(uid):
    try:
        entry = pwd.getpwuid(uid)
    except KeyError:
        return None
    return [entry.pw_name, entry.pw_shell]
def group(gid):
    try:
        entry = grp.getgrgid(gid)
    except KeyError:
        return None
    return [entry.gr_name, entry.gr_mem]
uids, gids = ids["U"], ids["G"]
print(dumps({"uids": uids, "gids": gids, "accounts": [account(u) for u in sorted(set(uids))],
             "groups": [group(g) for g in sorted(set(gids))], "core": core}))
"""

# Runs on the host as root: what the data directory and bothost's data root really are (lstat: a symlink
# shows as one), and where the data path resolves to.
DATA_DIR_SCRIPT = HOST_JSON + r"""
import os, stat, sys
root, data = sys.argv[1], sys.argv[2]
def seen(path):
    try:
        st = os.lstat(path)
    except OSError as error:
        return str(error)
    kind = "dir" if stat.S_ISDIR(st.st_mode) else "symlink" if stat.S_ISLNK(st.st_mode) else "other"
    return [kind, st.st_uid, st.st_gid, oct(st.st_mode & 0o7777)]
print(dumps({"root": seen(root), "data": seen(data), "resolved": os.path.realpath(data)}))
"""


def uid_is_no_account(user: str | None) -> Parser:
    """Parser of BOT_IDENTITY_SCRIPT: the process runs as the configured ids, and no host account or group
    has them (no configured user, i.e. the image's own, fails: no preset runs as the image's user)."""
    expected_uid, expected_gid = (0, 0) if user is None else (int(x) for x in user.split(":"))

    def evaluate(result: CommandResult) -> Outcome:
        seen, failure = json_object(result)
        if failure:
            return failure
        uids, gids = set(seen.get("uids") or []), set(seen.get("gids") or [])
        accounts = [a for a in seen.get("accounts") or [] if a]
        groups = [g for g in seen.get("groups") or [] if g]
        actual = (f"uid {','.join(map(str, sorted(uids)))} gid {','.join(map(str, sorted(gids)))}; "
                  f"accounts: {', '.join(a[0] for a in accounts) or 'none'}; "
                  f"groups: {', '.join(g[0] for g in groups) or 'none'}")
        if uids != {expected_uid} or gids != {expected_gid}:
            return Outcome(False, actual)
        return Outcome(user is not None and not accounts and not groups, actual)

    return evaluate


def no_core_dumps(result: CommandResult) -> Outcome:
    """Parser of BOT_IDENTITY_SCRIPT: the kernel's core file size limit of the bot's process is 0, soft and
    hard (what `--ulimit core=0` asked for, as the process really has it)."""
    seen, failure = json_object(result)
    if failure:
        return failure
    core = seen.get("core")
    return Outcome(core == ["0", "0"], f"core file size {'/'.join(core) if core else 'unknown'}")


def data_dir_owned(root: str, data_dir: str, owner: str) -> Parser:
    """Parser of DATA_DIR_SCRIPT: the root is a root-owned directory nobody else may write, the data
    directory a real directory below it owned by the bot, and the path resolves to itself."""
    uid, gid = (int(x) for x in owner.split(":"))

    def evaluate(result: CommandResult) -> Outcome:
        seen, failure = json_object(result)
        if failure:
            return failure
        root_seen, data_seen, resolved = seen.get("root"), seen.get("data"), seen.get("resolved")
        wrong = []
        if not (isinstance(root_seen, list) and root_seen[:3] == ["dir", 0, 0]
                and int(root_seen[3], 8) & 0o022 == 0):
            wrong.append(f"{root}: {root_seen}")
        if not (isinstance(data_seen, list) and data_seen[:3] == ["dir", uid, gid]):
            wrong.append(f"{data_dir}: {data_seen}")
        if resolved != data_dir or not data_dir.startswith(root + "/"):
            wrong.append(f"{data_dir} resolves to {resolved}")
        shown = f"{root} {root_seen}; {data_dir} {data_seen}"
        return Outcome(not wrong, "; ".join(wrong) if wrong else shown)

    return evaluate


def isolated(result: CommandResult) -> Outcome:
    """Parser of `docker container inspect`: no host PID, IPC, UTS or user namespace, no devices, Docker's
    own cgroup, and no bind mount that propagates mounts to or from the host (CIS 5.16-5.18, 5.20, 5.21,
    5.25, 5.31; the host network is bot-09's)."""
    data = inspected(result)
    if isinstance(data, Outcome):
        return data
    host = data.get("HostConfig") or {}
    wrong = [f"{key}={host.get(key)!r}" for key in ("PidMode", "UTSMode", "UsernsMode", "CgroupParent")
             if host.get(key)]
    if host.get("IpcMode") not in ("private", "shareable", "none"):
        wrong.append(f"IpcMode={host.get('IpcMode')!r}")
    if host.get("Devices"):
        wrong.append(f"Devices={len(host['Devices'])}")
    shared = [m.get("Destination") for m in data.get("Mounts") or []
              if m.get("Type") == "bind" and m.get("Propagation") not in ("rprivate", "private", "")]
    wrong += [f"{path} propagates" for path in shared]
    return Outcome(not wrong, "; ".join(wrong) or "private namespaces, no devices, no propagation")
