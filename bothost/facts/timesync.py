"""The NTP servers systemd-timesyncd runs with, read as timesyncd reads them (no D-Bus round trip)."""

from __future__ import annotations

from bothost.facts import python_fact

# `timedatectl show-timesync --property=SystemNTPServers --value`, without starting timedatectl and asking
# timesyncd over D-Bus (0.3 s of a verify under emulation). timesyncd reads its configuration once, at start
# (systemd 252+, src/timesync/timesyncd-conf.c, src/shared/conf-parser.c): the first of
# {/etc,/run,/usr/local/lib,/usr/lib}/systemd/timesyncd.conf, then every *.conf in those directories'
# timesyncd.conf.d/ sorted by name (a name in an earlier directory hides the same name in a later one). Lines
# are stripped; `#` and `;` start comments; a trailing backslash joins the next line with a space; only
# [Time] counts. Each NTP= adds its space-separated names in order, skipping names already listed, and an
# empty NTP= drops the list so far. So the files say what the daemon read if the running daemon started
# after their last change (each file's and each directory's mtime, as a removal changes only the
# directory's); otherwise the servers are printed with what is stale, and the check shows it. Exit 3 when
# timesyncd is not running (timedatectl would report the servers of a daemon that is not syncing).
# argv[1] (tests): a root directory that the files and /proc are read under.
TIMESYNC_PROGRAM = r"""
import os, sys
top = sys.argv[1] if len(sys.argv) > 1 else ""
roots = ("/etc", "/run", "/usr/local/lib", "/usr/lib")
changed, paths = 0.0, []
for root in roots:
    path = top + root + "/systemd/timesyncd.conf"
    if os.path.isfile(path):
        paths.append(path)
        break
dropins = {}
for root in roots:
    folder = top + root + "/systemd/timesyncd.conf.d"
    try:
        names = os.listdir(folder)
        changed = max(changed, os.stat(folder).st_mtime)
    except OSError:
        continue
    for name in names:
        if name.endswith(".conf") and name not in dropins:
            dropins[name] = folder + "/" + name
paths += [dropins[name] for name in sorted(dropins)]
servers = []
for path in paths:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        changed = max(changed, os.stat(path).st_mtime)
    except OSError:
        continue
    section, pending = None, ""
    for raw in text.split("\n"):
        line = (pending + raw).strip()
        pending = ""
        if line.endswith("\\") and not line.endswith("\\\\"):
            pending = line[:-1] + " "
            continue
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        key, eq, value = line.partition("=")
        if section != "Time" or not eq or key.strip() != "NTP":
            continue
        value = value.strip()
        if not value:
            servers = []
        for name in value.split():
            if name not in servers:
                servers.append(name)
with open(top + "/proc/stat") as f:
    boot = next(int(line.split()[1]) for line in f if line.startswith("btime "))
started = None
for pid in filter(str.isdigit, os.listdir(top + "/proc")):
    try:
        with open(top + "/proc/" + pid + "/comm") as f:
            if f.read().rstrip("\n") != "systemd-timesyn":
                continue
        with open(top + "/proc/" + pid + "/stat") as f:
            ticks = int(f.read().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        continue
    started = boot + ticks / os.sysconf("SC_CLK_TCK")
if started is None:
    print("systemd-timesyncd is not running", file=sys.stderr)
    sys.exit(3)
if started + 1 < changed:
    print(" ".join(servers), "(in the files, not yet in effect: timesyncd started before they changed)")
else:
    print(" ".join(servers))
"""


def timesync_servers_argv(root: str = "") -> tuple[str, ...]:
    """The NTP servers timesyncd runs with, like `timedatectl show-timesync -p SystemNTPServers --value`."""
    return python_fact(TIMESYNC_PROGRAM, *((root,) if root else ()))
