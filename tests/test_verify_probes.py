"""Client-side probes against a real SSH server on loopback (paramiko's server side)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import paramiko
import pytest

from bothost.errors import HostKeyMismatch
from bothost.remote import Target
from bothost.verify import probes
from bothost.verify.probes import PROBES, auth_methods, client_probes, root_login


class Server(paramiko.ServerInterface):
    """Offers `methods`; accepts public keys for `accept_users` only."""

    def __init__(self, methods: str, accept_users: set[str]) -> None:
        self.methods = methods
        self.accept_users = accept_users

    def get_allowed_auths(self, username: str) -> str:
        return self.methods

    def check_auth_publickey(self, username: str, key: paramiko.PKey) -> int:
        return paramiko.AUTH_SUCCESSFUL if username in self.accept_users else paramiko.AUTH_FAILED


@pytest.fixture
def host_key(tmp_path: Path) -> paramiko.PKey:
    return paramiko.Ed25519Key.from_private_key_file(str(_key_file(tmp_path, "host")))


def _key_file(directory: Path, name: str) -> Path:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    path = directory / name
    path.write_bytes(ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()))
    return path


@contextmanager
def _serve(host_key: paramiko.PKey, server: Server, port: int = 0) -> Iterator[int]:
    """An SSH server on a free loopback port for the duration of a with-block."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(4)
    stop = threading.Event()

    def loop() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            transport = paramiko.Transport(conn)
            transport.add_server_key(host_key)
            transport.start_server(server=server)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(timeout=2)
    listener.close()


def _target(port: int, key: paramiko.PKey, identity: Path | None) -> Target:
    return Target("127.0.0.1", port, "bothost", (f"{key.get_name()} {key.get_base64()}",), identity)


@pytest.mark.parametrize(("methods", "expected"), [
    ("publickey", "publickey"),
    ("publickey,password,keyboard-interactive", "keyboard-interactive,password,publickey"),
])
def test_auth_methods_lists_what_the_server_offers(host_key, methods: str, expected: str) -> None:
    with _serve(host_key, Server(methods, set())) as port:
        assert auth_methods(_target(port, host_key, None)).stdout == expected


@pytest.mark.parametrize(("accept", "expected"), [
    ({"bothost"}, "refused"),
    ({"bothost", "root"}, "accepted"),
])
def test_root_login(host_key, tmp_path: Path, accept: set[str], expected: str) -> None:
    identity = _key_file(tmp_path, "admin")
    with _serve(host_key, Server("publickey", accept)) as port:
        result = root_login(_target(port, host_key, identity))
        assert (result.exit_status, result.stdout) == (0, expected)


def test_a_host_key_other_than_the_pinned_one_aborts(host_key, tmp_path: Path) -> None:
    other = paramiko.Ed25519Key.from_private_key_file(str(_key_file(tmp_path, "other")))
    with _serve(host_key, Server("publickey", set())) as port, pytest.raises(HostKeyMismatch):
        auth_methods(_target(port, other, None))


def test_unreachable_host_is_a_failed_result_not_a_crash(host_key, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(probes, "RETRY_SECONDS", 0.5)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = auth_methods(_target(port, host_key, None))
    assert result.exit_status == 255 and "cannot connect" in result.stderr


def test_refused_connections_are_retried_until_sshd_answers(host_key, monkeypatch) -> None:
    monkeypatch.setattr(probes, "RETRY_INTERVAL", 0.2)
    with socket.socket() as sock:  # a port with nothing listening yet, as while sshd reloads
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result: list = []
    thread = threading.Thread(target=lambda: result.append(auth_methods(_target(port, host_key, None))))
    thread.start()
    time.sleep(0.7)
    with _serve(host_key, Server("publickey", set()), port=port):
        thread.join(timeout=10)
    assert result and result[0].stdout == "publickey"


def test_probe_names_are_the_ones_checks_use(host_key) -> None:
    assert set(PROBES) == {"ssh-auth-methods", "ssh-root-login"}
    assert set(client_probes(_target(22, host_key, None))) == set(PROBES)
