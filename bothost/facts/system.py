"""System facts: units, time, sshd and apt config, sockets, kernel parameters and modules, accounts."""

from __future__ import annotations

import re
from collections.abc import Callable

from bothost.facts import python_fact
from bothost.shell import CommandResult

# What `timedatectl show` says of the time zone and sync, read where timedated reads them (it is started
# over D-Bus for each query once idle, ~1 s under emulation): the zone is /etc/localtime's link target
# (no link: UTC), and the clock counts as synchronised while the kernel's maximum error (adjtimex, struct
# timex: maxerror is the long at byte 24 on 64-bit Linux) is under 16 s, as timedated's ntp_synced() says.
TIMEDATE_PROGRAM = """
import ctypes, os, sys
try:
    target = os.readlink("/etc/localtime")
    zone = target.split("zoneinfo/", 1)[1] if "zoneinfo/" in target else ""
except FileNotFoundError:
    zone = "UTC"
except OSError:
    zone = ""
timex = ctypes.create_string_buffer(512)  # modes 0: read only
synced = (ctypes.CDLL(None).adjtimex(timex) >= 0
          and int.from_bytes(timex.raw[24:32], sys.byteorder, signed=True) < 16000000)
print("Timezone=" + zone)
print("NTPSynchronized=" + ("yes" if synced else "no"))
"""
# One time query (K=V lines) that the base and time roles' checks share: verify runs it once.
TIMEDATE_SHOW = python_fact(TIMEDATE_PROGRAM)


def key_values(stdout: str, separator: str = "=") -> dict[str, str]:
    """Lines of `key<sep>value` (sysctl's `k = v`, systemctl show's `K=V`) as a dict."""
    values: dict[str, str] = {}
    for line in stdout.splitlines():
        key, sep, value = line.partition(separator)
        if sep:
            values[key.strip()] = value.strip()
    return values


UNIT_PROPERTIES = "--property=Id,UnitFileState,ActiveState"
Unfold = Callable[[dict[tuple[str, ...], CommandResult]], None]  # fills in folded commands' own results


def unit_command(*units: str) -> tuple[str, ...]:
    """The `systemctl show` argv that reads enablement and activity of units."""
    return ("systemctl", "show", *units, UNIT_PROPERTIES)


def units_read_by(argv: tuple[str, ...]) -> tuple[str, ...]:
    """The units a `unit_command` argv reads; () for any other argv."""
    if len(argv) > 3 and argv[:2] == ("systemctl", "show") and argv[-1] == UNIT_PROPERTIES:
        return argv[2:-1]
    return ()


def fold_unit_commands(commands: list[tuple[str, ...]]) -> tuple[list[tuple[str, ...]], Unfold]:
    """Every `unit_command` folded into one (one systemctl start reads all units: facts read once), and
    the function that gives each folded command its own units' blocks of the shared output."""
    folded = {command: units for command in commands if (units := units_read_by(command))}
    if len(folded) < 2:
        return commands, lambda outputs: None
    shared = unit_command(*dict.fromkeys(unit for units in folded.values() for unit in units))

    def unfold(outputs: dict[tuple[str, ...], CommandResult]) -> None:
        result = outputs.pop(shared)
        blocks = re.split(r"\n\s*\n", result.stdout.strip())
        for command, units in folded.items():
            mine = [block for block in blocks if key_values(block).get("Id") in units]
            outputs[command] = CommandResult(result.exit_status, "\n\n".join(mine) + "\n", result.stderr)

    return [c for c in commands if c not in folded] + [shared], unfold


def unit_states(stdout: str) -> dict[str, dict[str, str]]:
    """`systemctl show UNIT... --property=Id,...` output: unit id -> its properties."""
    units: dict[str, dict[str, str]] = {}
    for block in re.split(r"\n\s*\n", stdout.strip()):
        props = key_values(block)
        if "Id" in props:
            units[props["Id"]] = props
    return units


def sshd_options(stdout: str) -> dict[str, list[str]]:
    """`sshd -T` output: lower-case keyword -> every value given for it, in order."""
    options: dict[str, list[str]] = {}
    for line in stdout.splitlines():
        key, _, value = line.strip().partition(" ")
        if key:
            options.setdefault(key.lower(), []).append(value.strip())
    return options


def apt_config(stdout: str) -> dict[str, list[str]]:
    """`apt-config dump` output: key (case-folded, as apt compares them) -> its value, or its list items."""
    scalars: dict[str, str] = {}
    items: dict[str, list[str]] = {}
    for line in stdout.splitlines():
        match = re.fullmatch(r'\s*(\S+?)(::)?\s+"(.*)";\s*', line)
        if not match:
            continue
        key = match.group(1).lower()
        if match.group(2):
            items.setdefault(key, []).append(match.group(3))
        elif match.group(3):  # an empty scalar is only the header of a list node
            scalars[key] = match.group(3)
    config = {key: [value] for key, value in scalars.items()}
    config.update(items)
    return _Folded(config)


class _Folded(dict):
    """A dict whose lookups ignore case, like apt's configuration tree."""

    def get(self, key: object, default: object = None) -> object:
        return super().get(str(key).lower(), default)


def listeners(stdout: str) -> list[tuple[str, str, int, str]]:
    """`ss -Hltnup` lines as (protocol, local address, port, process name) tuples."""
    found = []
    for line in stdout.splitlines():
        fields = line.split()
        if len(fields) < 5:
            continue
        host, _, port = fields[4].rpartition(":")
        host = host.strip("[]").split("%")[0]
        name = re.search(r'users:\(\("([^"]+)"', line)
        if port.isdigit():
            found.append((fields[0], host, int(port), name.group(1) if name else "?"))
    return found


def is_loopback(host: str) -> bool:
    """True for addresses only reachable from the host itself."""
    return host.startswith("127.") or host in ("::1", "localhost")


# The facts below are small python3 programs: verify's batch runs them in its own interpreter, so none
# costs a process start (under emulation a start costs more than the read). Each prints what the tool
# it replaces prints, so the parsers read either.

# `sysctl -e NAME...`: `name = value` for each key the kernel has; unknown keys are left out.
SYSCTL_PROGRAM = """
import sys
for name in sys.argv[1:]:
    try:
        with open("/proc/sys/" + name.replace(".", "/")) as f:
            print(name, "=", f.read().rstrip("\\n"))
    except OSError:
        pass
"""

# `modprobe --showconfig | grep -E '^(install|blacklist) '; echo ---; cat /proc/modules`, read as kmod reads
# its configuration (no process: modprobe spends most of a second on its indexes under emulation): every
# *.conf in /etc/modprobe.d, /run/modprobe.d, /usr/local/lib/modprobe.d, /lib/modprobe.d (or the directories
# in argv), sorted by file name, an earlier directory's file hiding a later one of the same name; lines joined
# at a trailing backslash; blacklist lines first, then install lines, module names with - as _. Left out:
# blacklists on the kernel command line (modprobe.blacklist=), which can only add to these.
MODULES_PROGRAM = r"""
import os, sys
def word(text):
    text = text.lstrip(" \t")
    end = min([i for i in (text.find(" "), text.find("\t")) if i >= 0] or [len(text)])
    return text[:end], text[end + 1:]
files = {}
for folder in sys.argv[1:] or ["/etc/modprobe.d", "/run/modprobe.d", "/usr/local/lib/modprobe.d",
                               "/lib/modprobe.d"]:
    try:
        names = os.listdir(folder)
    except OSError:
        continue
    for name in names:
        if name.endswith(".conf") and not name.startswith("."):
            files.setdefault(name, folder + "/" + name)
blacklist, install = [], []
for name in sorted(files):
    try:
        with open(files[name], errors="replace") as f:
            lines = f.read().replace("\\\n", "").splitlines()
    except OSError:
        continue
    for line in lines:
        command, rest = word(line)
        module, rest = word(rest)
        if command == "blacklist" and module:
            blacklist.append("blacklist " + module.replace("-", "_"))
        elif command == "install" and module and rest:
            install.append("install %s %s" % (module.replace("-", "_"), rest))
print("\n".join(blacklist + install + ["---"]))
with open("/proc/modules") as f:
    print(f.read(), end="")
"""

# `pgrep -c -x NAME`: how many processes have exactly that name; exit 1 when none.
PROCESS_COUNT_PROGRAM = """
import os, sys
count = 0
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        with open("/proc/" + pid + "/comm") as f:
            count += f.read().rstrip("\\n") == sys.argv[1]
    except OSError:
        pass
print(count)
sys.exit(0 if count else 1)
"""

# `getent group NAME`: `name:x:gid:members`; exit 2 when there is no such group.
GROUP_PROGRAM = """
import grp, sys
try:
    group = grp.getgrnam(sys.argv[1])
except KeyError:
    sys.exit(2)
print(group.gr_name, group.gr_passwd, group.gr_gid, ",".join(group.gr_mem), sep=":")
"""

# `ulimit -H -c` in a shell the batch starts: the hard core-size limit of a root session.
CORE_LIMIT_PROGRAM = """
import resource
hard = resource.getrlimit(resource.RLIMIT_CORE)[1]
print("unlimited" if hard == resource.RLIM_INFINITY else hard)
"""


def sysctl_argv(*names: str) -> tuple[str, ...]:
    """Read kernel parameters like `sysctl -e NAME...`."""
    return python_fact(SYSCTL_PROGRAM, *names)


def modules_argv() -> tuple[str, ...]:
    """modprobe's install/blacklist lines, `---`, then /proc/modules."""
    return python_fact(MODULES_PROGRAM)


def process_count_argv(name: str) -> tuple[str, ...]:
    """Count processes named exactly `name`, like `pgrep -c -x`."""
    return python_fact(PROCESS_COUNT_PROGRAM, name)


def group_argv(name: str) -> tuple[str, ...]:
    """Read a group like `getent group NAME`."""
    return python_fact(GROUP_PROGRAM, name)


def core_limit_argv() -> tuple[str, ...]:
    """A root session's hard core-size limit, like `ulimit -H -c`."""
    return python_fact(CORE_LIMIT_PROGRAM)


# `passwd --status USER`'s first two fields from /etc/shadow: L when the hash starts with ! or * (no
# password can match), NP when empty, else P; exit 1 for an unknown user.
PASSWORD_STATUS_PROGRAM = """
import sys
with open("/etc/shadow") as f:
    entries = dict(line.rstrip("\\n").split(":")[:2] for line in f if ":" in line)
if sys.argv[1] not in entries:
    sys.exit("passwd: user '%s' does not exist" % sys.argv[1])
password = entries[sys.argv[1]]
print(sys.argv[1], "L" if password[:1] in ("!", "*") else "NP" if password == "" else "P")
"""


def password_status_argv(user: str) -> tuple[str, ...]:
    """Whether a user's password is locked (L), empty (NP) or set (P), like `passwd --status`."""
    return python_fact(PASSWORD_STATUS_PROGRAM, user)
