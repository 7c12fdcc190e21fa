"""Rotate the admin SSH key without ever locking the user out: add, prove over a new login, then remove."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

from bothost.config.sshkeys import ACCEPTED_TYPES, key_problem
from bothost.errors import BothostError, RemoteError
from bothost.host import Host
from bothost.progress import Report
from bothost.runbook.steps import step
from bothost.ssh import Target

Connect = Callable[[Target], Host]


def key_blob(line: str) -> str | None:
    """The base64 part of an authorized_keys or .pub line (options before the type are skipped)."""
    parts = line.split()
    for index, part in enumerate(parts[:-1]):
        if part in ACCEPTED_TYPES:
            return parts[index + 1]
    return None


def authorized_keys_path(user: str) -> str:
    """Where the ssh role has sshd look for the admin's keys (AuthorizedKeysFile .ssh/authorized_keys)."""
    return f"/home/{user}/.ssh/authorized_keys"


def read_keys(remote: Host, user: str) -> list[str]:
    """The admin's authorized_keys lines (blank lines and comments dropped)."""
    text = remote.check(["cat", authorized_keys_path(user)]).stdout
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def write_keys(remote: Host, user: str, lines: list[str]) -> None:
    """Replace authorized_keys atomically, owned by the admin, 0600 (sshd's StrictModes wants that)."""
    if not lines:
        raise BothostError("refusing to write an empty authorized_keys: that would lock everyone out")
    remote.write_file(authorized_keys_path(user), ("\n".join(lines) + "\n").encode(), mode="0600",
                      owner=f"{user}:{user}")


def proves_login(connect: Connect, target: Target) -> bool:
    """True when a NEW connection with the target's identity logs in and may use sudo."""
    try:
        with connect(target) as remote:
            return remote.run(["true"]).exit_status == 0
    except RemoteError:
        return False


def rotate_ssh_key(connect: Connect, target: Target, new_public: str, new_identity: Path, old_public: str,
                   report: Report) -> list[str]:
    """Add NEW, prove a login with it, remove OLD (never the last key), prove OLD is refused; returns keys."""
    problem = key_problem(new_public)
    if problem:
        raise BothostError(f"new key refused: {problem}")
    new_blob, old_blob = key_blob(new_public), key_blob(old_public)
    if new_blob is None or old_blob is None:
        raise BothostError("new and old keys must be OpenSSH public key lines")
    if new_blob == old_blob:
        raise BothostError("the new key is the old key: generate one with ssh-keygen -t ed25519")
    user = target.user
    new_target = dataclasses.replace(target, identity=new_identity)
    new_line = " ".join(new_public.split()[:3])
    report(f"Rotating the admin SSH key of {user}@{target.host}:{target.port}")

    def blobs(remote: Host) -> list[str | None]:
        return [key_blob(line) for line in read_keys(remote, user)]

    def logged_in_with_new() -> bool:
        return proves_login(connect, new_target)

    # 1. Add the new key over whichever key works now (the old one, or the new one on a rerun).
    with _any_login(connect, target, new_target) as remote:
        step(report, "new key is in authorized_keys", lambda: new_blob in blobs(remote),
             lambda: write_keys(remote, user, [*read_keys(remote, user), new_line]))
    # 2. Prove it over a NEW connection: only a fresh login shows that sshd accepts the key.
    if not logged_in_with_new():
        raise BothostError("the new key does not log in over a fresh connection; the old key was left in "
                           "place, nothing is lost. Check the private key file and rerun.")
    report("  + a new connection logs in with the new key and may sudo")
    # 3. Remove the old key, over the proven new login, never leaving zero keys.
    with connect(new_target) as remote:
        def remove_old() -> None:
            kept = [line for line in read_keys(remote, user) if key_blob(line) != old_blob]
            if new_blob not in [key_blob(line) for line in kept]:
                raise BothostError("refusing to remove the old key: the new key is not in authorized_keys")
            write_keys(remote, user, kept)

        step(report, "old key is gone from authorized_keys", lambda: old_blob not in blobs(remote),
             remove_old)
        final = read_keys(remote, user)
    # 4. The new key still logs in after the change (over yet another new connection).
    if not logged_in_with_new():
        raise BothostError("after removing the old key the new key no longer logs in: use the Hetzner "
                           "console (rescue) and add it back to authorized_keys")
    report("  + the new key still logs in after the old one was removed")
    return final


def old_key_refused(connect: Connect, target: Target, old_identity: Path, report: Report) -> bool:
    """Prove the old private key no longer logs in (when the user still has it)."""
    refused = not proves_login(connect, dataclasses.replace(target, identity=old_identity))
    report("  + the old key is refused" if refused else "  ! the old key STILL logs in")
    return refused


class _any_login:
    """Connect with the first identity that logs in (the old key first, then the new one)."""

    def __init__(self, connect: Connect, *targets: Target) -> None:
        self._connect, self._targets, self._remote = connect, targets, None

    def __enter__(self) -> Host:
        errors = []
        for target in self._targets:
            try:
                self._remote = self._connect(target)
                return self._remote
            except RemoteError as exc:
                errors.append(str(exc))
        raise BothostError("neither the old nor the new key logs in: " + " | ".join(errors))

    def __exit__(self, *exc: object) -> None:
        if self._remote is not None:
            self._remote.close()


def config_hint(stack: str, final_keys: list[str]) -> str:
    """The exact config commands so the next `pulumi up` agrees with the host."""
    lines = [f"Make stack {stack}'s config agree (bothost:adminSshKeys), or the next `pulumi up` "
             "will put the old key back on a new server:",
             f"  pulumi config rm --stack {stack} bothost:adminSshKeys"]
    lines += [f"  pulumi config set --stack {stack} --path 'bothost:adminSshKeys[{i}]' '{key}'"
              for i, key in enumerate(final_keys)]
    return "\n".join(lines)
