"""A real SSH server on loopback (paramiko's server side): auth, exec with a handler, dropped connections."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import paramiko

# Handles one exec request: gets the command line and the channel, writes output and sends the exit status
# (or closes the whole transport, as a dying sshd does).
Handler = Callable[[str, paramiko.Channel], None]


def answer(stdout: str = "", status: int = 0) -> Handler:
    """A handler that prints stdout and exits with status."""

    def handle(command: str, channel: paramiko.Channel) -> None:
        channel.sendall(stdout.encode())
        channel.send_exit_status(status)
        channel.close()

    return handle


def drop(command: str, channel: paramiko.Channel) -> None:
    """The connection dies mid-command: part of the output, then the transport closes without a status."""
    channel.sendall(b"partial")
    channel.get_transport().close()


class Server(paramiko.ServerInterface):
    """Offers `methods`; accepts public keys for `accept_users` only; runs exec requests with `handler`."""

    def __init__(self, methods: str = "publickey", accept_users: set[str] | None = None,
                 handler: Handler | None = None, drop_sessions: bool = False) -> None:
        self.methods = methods
        self.drop_sessions = drop_sessions  # the connection dies when a session is asked for (as in a reboot)
        self.sock: socket.socket | None = None
        self.accept_users = accept_users or set()
        self.handler = handler or answer()
        self.commands: list[str] = []

    def get_allowed_auths(self, username: str) -> str:
        return self.methods

    def check_auth_publickey(self, username: str, key: paramiko.PKey) -> int:
        return paramiko.AUTH_SUCCESSFUL if username in self.accept_users else paramiko.AUTH_FAILED

    def check_channel_request(self, kind: str, chanid: int) -> int:
        if self.drop_sessions and self.sock is not None:
            self.sock.shutdown(socket.SHUT_RDWR)  # the client sees EOF while it waits for the channel
        refused = paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED
        return paramiko.OPEN_SUCCEEDED if kind == "session" else refused

    def check_channel_exec_request(self, channel: paramiko.Channel, command: bytes) -> bool:
        line = command.decode()
        self.commands.append(line)
        threading.Thread(target=self._handle, args=(line, channel), daemon=True).start()
        return True

    def _handle(self, command: str, channel: paramiko.Channel) -> None:
        """Run the handler once the client has its exec reply (it sends EOF right after; streams never do)."""
        deadline = time.monotonic() + 2
        while not channel.eof_received and time.monotonic() < deadline:
            time.sleep(0.01)
        self.handler(command, channel)


def key_file(directory: Path, name: str) -> Path:
    """A new unencrypted ed25519 private key in OpenSSH format."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    path = directory / name
    path.write_bytes(ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()))
    return path


def host_key(directory: Path, name: str = "host") -> paramiko.PKey:
    """A new server host key."""
    return paramiko.Ed25519Key.from_private_key_file(str(key_file(directory, name)))


@contextmanager
def serve(key: paramiko.PKey, server: Server | Callable[[], Server], port: int = 0) -> Iterator[int]:
    """An SSH server on a loopback port for the duration of a with-block; a callable makes one per login."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(4)
    stop = threading.Event()
    transports: list[paramiko.Transport] = []

    def loop() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            transport = paramiko.Transport(conn)
            transport.add_server_key(key)
            interface = server if isinstance(server, Server) else server()
            interface.sock = conn
            try:
                transport.start_server(server=interface)
            except (paramiko.SSHException, EOFError, OSError):
                transport.close()  # the client went away during the handshake; keep serving the next one
                continue
            transports.append(transport)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=2)
        listener.close()
        for transport in transports:
            transport.close()
