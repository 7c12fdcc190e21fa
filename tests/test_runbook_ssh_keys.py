"""SSH key rotation never locks the user out: add, prove with a new login, then remove; never the last key."""

from __future__ import annotations

from pathlib import Path

import pytest

from bothost.errors import BothostError, RemoteError
from bothost.role import CommandResult
from bothost.runbook import ssh_keys
from bothost.ssh import Target

OLD = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHM8p2zW3ZlsbqQcNq2BNa0RDk8vg9k3Jw+VslVkRqDs old@laptop"
NEW = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBpDb0qKkh3N8Rk6Xqzq7eWg3mK5c0Yw1l2nVn8Ue9aT new@laptop"
OTHER = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMr6rV4wqg2l2b6mZl4a7mTq3j0aEw3a2Vb2p1y1d3kH other@desk"
IDENTITIES = {Path("/keys/old"): OLD, Path("/keys/new"): NEW, Path("/keys/other"): OTHER}
TARGET = Target("203.0.114.9", 22, "bothost", ("ssh-ed25519 AAAA",), Path("/keys/old"))


class FakeHost:
    """authorized_keys in memory; a login works when the identity's key is listed (read at connect time)."""

    def __init__(self, lines: list[str], fail_new_login: bool = False, fail_writes_after: int | None = None):
        self.lines, self.fail_new_login, self.logins, self.writes = list(lines), fail_new_login, [], 0
        self.fail_writes_after = fail_writes_after

    def connect(self, target: Target) -> FakeRemote:
        public = IDENTITIES[target.identity]
        self.logins.append(target.identity.name)
        listed = ssh_keys.key_blob(public) in [ssh_keys.key_blob(line) for line in self.lines]
        if not listed or (self.fail_new_login and target.identity.name == "new"):
            raise RemoteError(f"cannot SSH with {target.identity}: authentication failed")
        return FakeRemote(self)


class FakeRemote:
    def __init__(self, host: FakeHost) -> None:
        self.host = host

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        pass

    def run(self, argv, **kwargs) -> CommandResult:
        return CommandResult(0, "")

    def check(self, argv, **kwargs) -> CommandResult:
        assert argv == ["cat", "/home/bothost/.ssh/authorized_keys"]
        return CommandResult(0, "# managed\n" + "".join(line + "\n" for line in self.host.lines))

    def write_file(self, path, data, *, mode, owner) -> None:
        assert (path, mode, owner) == ("/home/bothost/.ssh/authorized_keys", "0600", "bothost:bothost")
        if self.host.fail_writes_after is not None and self.host.writes >= self.host.fail_writes_after:
            raise RemoteError("connection lost")
        self.host.writes += 1
        self.host.lines = data.decode().splitlines()


def rotate(host: FakeHost, lines: list[str]) -> list[str]:
    return ssh_keys.rotate_ssh_key(host.connect, TARGET, NEW, Path("/keys/new"), OLD, lines.append)


def test_rotation_replaces_the_old_key_and_the_old_key_is_refused_afterwards() -> None:
    host, lines = FakeHost([OLD, OTHER]), []
    final = rotate(host, lines)
    assert [ssh_keys.key_blob(k) for k in final] == [ssh_keys.key_blob(OTHER), ssh_keys.key_blob(NEW)]
    assert ssh_keys.old_key_refused(host.connect, TARGET, Path("/keys/old"), lines.append)
    assert "  + new key is in authorized_keys: done" in lines
    assert "  + old key is gone from authorized_keys: done" in lines


def test_the_new_key_is_proven_over_a_new_login_before_the_old_one_goes() -> None:
    host = FakeHost([OLD])
    rotate(host, [])
    # old (adds new) -> new (proof) -> new (removes old) -> new (proof after removal)
    assert host.logins == ["old", "new", "new", "new"]


def test_a_new_key_that_cannot_log_in_leaves_the_old_key_in_place() -> None:
    host = FakeHost([OLD], fail_new_login=True)
    with pytest.raises(BothostError, match="old key was left in place"):
        rotate(host, [])
    assert ssh_keys.key_blob(OLD) in [ssh_keys.key_blob(k) for k in host.lines]


def test_rerun_after_success_changes_nothing_and_uses_the_new_key() -> None:
    host = FakeHost([OLD])
    rotate(host, [])
    writes, lines = host.writes, []
    rotate(host, lines)
    assert host.writes == writes
    assert "  = new key is in authorized_keys: already done" in lines
    assert "  = old key is gone from authorized_keys: already done" in lines


def test_rerun_after_a_failure_midway_finishes_the_job() -> None:
    host = FakeHost([OLD], fail_writes_after=1)  # the add works, the removal's write fails
    with pytest.raises(RemoteError):
        rotate(host, [])
    assert len(host.lines) == 2  # both keys: nobody is locked out
    host.fail_writes_after = None
    final = rotate(host, [])
    assert [ssh_keys.key_blob(k) for k in final] == [ssh_keys.key_blob(NEW)]


@pytest.mark.parametrize(("new", "problem"), [
    (OLD, "the new key is the old key"),
    ("ssh-dss AAAAB3NzaC1kc3MAAACBAP", "DSA"),
    ("not a key", "unsupported key type"),
])
def test_bad_new_keys_are_refused_before_any_change(new: str, problem: str) -> None:
    host = FakeHost([OLD])
    with pytest.raises(BothostError, match=problem):
        ssh_keys.rotate_ssh_key(host.connect, TARGET, new, Path("/keys/new"), OLD, [].append)
    assert host.lines == [OLD] and host.logins == []


def test_never_writes_an_empty_authorized_keys() -> None:
    with pytest.raises(BothostError, match="lock everyone out"):
        ssh_keys.write_keys(FakeRemote(FakeHost([OLD])), "bothost", [])


@pytest.mark.parametrize(("line", "blob"), [
    (OLD, OLD.split()[1]),
    ('from="203.0.113.7" ' + NEW, NEW.split()[1]),
    ("# comment only", None),
])
def test_key_blob_reads_plain_and_optioned_lines(line: str, blob: str | None) -> None:
    assert ssh_keys.key_blob(line) == blob


def test_config_hint_names_every_key_to_set() -> None:
    hint = ssh_keys.config_hint("prod", [OTHER, NEW])
    assert "pulumi config rm --stack prod bothost:adminSshKeys" in hint
    assert f"--path 'bothost:adminSshKeys[1]' '{NEW}'" in hint
