"""Client-side probes against a real SSH server on loopback (paramiko's server side)."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import paramiko
import pytest
from fakes import ssh_server
from fakes.ssh_server import Server

from bothost.errors import HostKeyMismatch
from bothost.ssh import Target
from bothost.verify import probes
from bothost.verify.probes import PROBES, auth_methods, client_probes, root_login


@pytest.fixture
def host_key(tmp_path: Path) -> paramiko.PKey:
    return ssh_server.host_key(tmp_path)


_key_file = ssh_server.key_file
_serve = ssh_server.serve


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
