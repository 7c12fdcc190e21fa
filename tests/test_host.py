"""The one host layer against a real SSH server on loopback: commands, pinning, and dropped connections."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import paramiko
import pytest
from fakes import ssh_server
from fakes.ssh_server import Server, answer, drop

from bothost.errors import HostKeyMismatch, RemoteError
from bothost.host import Host, connect
from bothost.rehearsal import session
from bothost.ssh import Target


@pytest.fixture
def keys(tmp_path: Path) -> SimpleNamespace:
    return SimpleNamespace(host=ssh_server.host_key(tmp_path), admin=ssh_server.key_file(tmp_path, "admin"))


def _target(port: int, keys: SimpleNamespace, pinned: paramiko.PKey | None = None) -> Target:
    key = pinned or keys.host
    return Target("127.0.0.1", port, "bothost", (f"{key.get_name()} {key.get_base64()} comment",), keys.admin)


def echo_stdin(command: str, channel: paramiko.Channel) -> None:
    """Prints the command line, then its stdin, and 'err' on stderr; exits 3."""
    data = b""
    while chunk := channel.recv(1024):
        data += chunk
    channel.sendall(command.encode() + b"|" + data)
    channel.sendall_stderr(b"err")
    channel.send_exit_status(3)
    channel.close()


def test_run_sends_a_quoted_sudo_command_and_stdin_and_collects_the_result(keys) -> None:
    server = Server(accept_users={"bothost"}, handler=echo_stdin)
    with ssh_server.serve(keys.host, server) as port, connect(_target(port, keys)) as host:
        result = host.run(["printf", "a b"], stdin=b"secret-on-stdin")
        plain = host.run(["true"], sudo=False)
    assert result.stdout == "sudo -n -- printf 'a b'|secret-on-stdin"
    assert (result.exit_status, result.stderr) == (3, "err")
    assert plain.stdout == "true|"


def test_the_login_records_the_methods_the_server_offers(keys) -> None:
    server = Server("publickey,password", accept_users={"bothost"})
    with ssh_server.serve(keys.host, server) as port, connect(_target(port, keys)) as host:
        assert host.offered_auth_methods == ("password", "publickey")


def test_check_raises_with_the_command_and_its_error(keys) -> None:
    server = Server(accept_users={"bothost"}, handler=echo_stdin)
    with ssh_server.serve(keys.host, server) as port, connect(_target(port, keys)) as host, \
            pytest.raises(RemoteError, match=r"exit 3\): err"):
        host.check(["false"])


@pytest.mark.parametrize("operation", [
    lambda host, tmp: host.run(["cat", "/proc/sys/kernel/random/boot_id"], timeout=10),
    lambda host, tmp: host.check(["true"], timeout=10),
    lambda host, tmp: host.stream(["docker", "logs", "bot"], lambda text: None),
    lambda host, tmp: host.send_file(["docker", "load"], _file(tmp), timeout=10),
    lambda host, tmp: host.lock().__enter__(),
], ids=["run", "check", "stream", "send_file", "lock"])
def test_a_connection_dropped_mid_command_is_a_remote_error(keys, tmp_path: Path, operation) -> None:
    with ssh_server.serve(keys.host, Server(accept_users={"bothost"}, handler=drop)) as port:
        host = connect(_target(port, keys))
        try:
            with pytest.raises(RemoteError, match="connection"):
                operation(host, tmp_path)
            with pytest.raises(RemoteError):  # the next command on the dead connection: open_session fails
                host.run(["true"], timeout=10)
        finally:
            host.close()


def test_a_connection_dropped_while_a_session_opens_is_a_remote_error(keys) -> None:
    """paramiko raises the transport's EOFError out of open_session here: the escape the VM test hit."""
    with ssh_server.serve(keys.host, Server(accept_users={"bothost"}, drop_sessions=True)) as port, \
            connect(_target(port, keys)) as host, pytest.raises(RemoteError, match="connection"):
        host.run(["cat", "/proc/sys/kernel/random/boot_id"], timeout=10)


def _file(tmp_path: Path) -> Path:
    path = tmp_path / "image.tar"
    path.write_bytes(b"x" * 1000)
    return path


def test_a_host_key_other_than_the_pinned_one_fails_at_once_even_when_waiting(keys, tmp_path: Path) -> None:
    other = ssh_server.host_key(tmp_path, "other")
    with ssh_server.serve(keys.host, Server(accept_users={"bothost"})) as port:
        started = time.monotonic()
        with pytest.raises(HostKeyMismatch, match="not the pinned one"):
            connect(_target(port, keys, pinned=other), wait=30)
        assert time.monotonic() - started < 10


def test_a_refused_login_is_a_remote_error(keys) -> None:
    with ssh_server.serve(keys.host, Server(accept_users={"root"})) as port, \
            pytest.raises(RemoteError, match="authentication failed"):
        connect(_target(port, keys))


def test_waiting_connects_once_sshd_answers(keys) -> None:
    with socket.socket() as sock:  # a port with nothing listening yet, as while the VM boots
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    connected: list[Host | BaseException] = []

    def wait() -> None:
        try:
            connected.append(connect(_target(port, keys), wait=30, interval=0.2))
        except BaseException as exc:
            connected.append(exc)

    thread = threading.Thread(target=wait)
    thread.start()
    time.sleep(0.7)
    with ssh_server.serve(keys.host, Server(accept_users={"bothost"}), port=port):
        thread.join(timeout=20)
        assert connected and isinstance(connected[0], Host)
        connected[0].close()


class RebootingGuest:
    """One guest behind one port: the old boot's sshd drops connections while it shuts down (first while a
    session opens, then mid-command), then the new boot answers. Each login gets its own Server."""

    def __init__(self) -> None:
        self.phase = "up"  # up -> closing (drops the session open) -> dying (drops mid-command) -> new
        self.seen: list[tuple[str, str]] = []

    def __call__(self) -> Server:
        closing = self.phase == "closing"
        if closing:
            self.phase = "dying"
        return Server(accept_users={"bothost"}, handler=self.handle, drop_sessions=closing)

    def handle(self, command: str, channel: paramiko.Channel) -> None:
        phase = self.phase
        self.seen.append((phase, command))
        if command.endswith("systemctl reboot"):
            self.phase = "closing"
            drop(command, channel)  # the reboot takes the connection down with it
        elif phase == "dying":
            self.phase = "new"
            drop(command, channel)  # reached the old sshd once more; it dies mid-command
        elif command == "cat /proc/sys/kernel/random/boot_id":
            answer("old-boot\n" if phase == "up" else "new-boot\n")(command, channel)
        else:
            answer("running\n")(command, channel)


def test_reboot_waits_through_a_connection_that_drops_mid_command(keys, monkeypatch) -> None:
    monkeypatch.setattr(session.time, "sleep", lambda seconds: None)
    guest = RebootingGuest()
    with ssh_server.serve(keys.host, guest) as port:
        target = _target(port, keys)
        vm = SimpleNamespace(target=target, remote=lambda: connect(target))
        session.RehearsalVM.reboot(vm, timeout=60)
    assert ("dying", "cat /proc/sys/kernel/random/boot_id") in guest.seen  # the drop really happened
    assert guest.seen[-1] == ("new", "systemctl is-system-running --wait")  # waited on the NEW boot
