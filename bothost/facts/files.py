"""File facts: modes and owners, content digests, key fingerprints, systemd configuration with drop-ins."""

from __future__ import annotations

import re
from collections.abc import Iterable

from bothost.facts import python_fact
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


# Each path's mode and owner names, in the verify batch's own interpreter (no process start): one line
# `PATH MODE USER:GROUP` per path (4-digit octal mode, symlinks followed), or `PATH absent`.
MODE_OWNER_PROGRAM = """
import grp, os, pwd, sys
def name(lookup, number):
    try:
        return lookup(number)[0]
    except KeyError:
        return str(number)
for path in sys.argv[1:]:
    try:
        st = os.stat(path)
    except OSError:
        print(path, "absent")
        continue
    owner = name(pwd.getpwuid, st.st_uid) + ":" + name(grp.getgrgid, st.st_gid)
    print(path, format(st.st_mode & 0o7777, "04o"), owner)
"""


def mode_owner_argv(*paths: str) -> tuple[str, ...]:
    """Read each path's mode and owner names (a python3 check: verify runs it without a process)."""
    return python_fact(MODE_OWNER_PROGRAM, *paths)


def parse_mode_owner(result: CommandResult) -> dict[str, tuple[str, str]]:
    """`mode_owner_argv` output -> path -> (4-digit octal mode, user:group), or ("absent", "")."""
    found = {}
    for line in result.stdout.splitlines():
        if line.endswith(" absent"):
            found[line.removesuffix(" absent")] = ("absent", "")
            continue
        parts = line.rsplit(" ", 2)
        if len(parts) == 3:
            found[parts[0]] = (parts[1], parts[2])
    return found


def mode_exceeds(mode: str, allowed: int) -> bool:
    """Whether a `parse_mode_owner` mode grants a bit beyond `allowed` (an absent or unread path: True)."""
    return not mode.isdigit() or bool(int(mode, 8) & ~allowed)


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


# The SHA256 fingerprint of every public key in an authorized_keys file (options and comments allowed), one
# `SHA256:... TYPE` line each, as `ssh-keygen -l -E sha256 -f FILE` finds them; exit 1 if it is unreadable.
KEY_FINGERPRINTS_PROGRAM = """
import binascii, sys
try:  # the builtin SHA-256 (3.12+, then 3.11): hashlib loads OpenSSL, a tenth of a second under emulation
    from _sha2 import sha256
except ImportError:
    try:
        from _sha256 import sha256
    except ImportError:
        from hashlib import sha256
try:
    with open(sys.argv[1]) as f:
        lines = f.read().splitlines()
except OSError as e:
    sys.exit("%s: %s" % (sys.argv[1], e.strerror))
for words in (line.split() for line in lines if not line.lstrip().startswith("#")):
    for kind, blob in zip(words, words[1:]):
        try:
            raw = binascii.a2b_base64(blob, strict_mode=True)
        except (binascii.Error, ValueError):
            continue
        if raw[4:4 + len(kind)] == kind.encode() and int.from_bytes(raw[:4], "big") == len(kind):
            digest = binascii.b2a_base64(sha256(raw).digest(), newline=False)
            print("SHA256:" + digest.decode().rstrip("="), kind)
            break
"""


def key_fingerprints_argv(path: str) -> tuple[str, ...]:
    """The fingerprints of the keys an authorized_keys file admits."""
    return python_fact(KEY_FINGERPRINTS_PROGRAM, path)


# A systemd configuration file merged as the daemon reads it, like `systemd-analyze cat-config NAME`: the
# first NAME found in /etc, /run, /usr/local/lib, /usr/lib, then every NAME.d/*.conf sorted by file name,
# where a drop-in in an earlier directory hides one of the same name later (an empty one, or a link to
# /dev/null, adds nothing: it masks). Each file is printed after a `# PATH` line.
CAT_CONFIG_PROGRAM = """
import os, sys
name, top = sys.argv[1], (sys.argv[2:] or [""])[0]  # top: an image's root directory (tests)
roots = tuple(top + root for root in ("/etc/", "/run/", "/usr/local/lib/", "/usr/lib/"))
paths = [root + name for root in roots if os.path.isfile(root + name)][:1]
drop_ins = {}
for root in reversed(roots):
    try:
        entries = os.listdir(root + name + ".d")
    except OSError:
        continue
    for entry in entries:
        if entry.endswith(".conf"):
            drop_ins[entry] = root + name + ".d/" + entry
paths += [path for _, path in sorted(drop_ins.items())]
paths = [path[len(top):] for path in paths]
for number, path in enumerate(paths):
    with open(top + path) as f:
        print(("\\n" if number else "") + "# " + path + "\\n" + f.read(), end="")
"""


def cat_config_argv(name: str) -> tuple[str, ...]:
    """A systemd configuration (e.g. `systemd/journald.conf`) with its drop-ins, in the order they apply."""
    return python_fact(CAT_CONFIG_PROGRAM, name)
