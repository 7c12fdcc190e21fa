"""A Docker Engine API stand-in on a unix socket, for the host programs that read dockerd without its CLI."""

from __future__ import annotations

import json
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path

NOT_FOUND = {"message": "page not found"}


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    """A threaded HTTP server on a unix socket."""

    daemon_threads = True


@contextmanager
def fake_engine(socket_path: Path, routes: dict[str, object]) -> Iterator[None]:
    """GET path -> 200 and the route's JSON body; a missing container -> dockerd's 404; anything else 404."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            """Answer from the routes, in dockerd's words when a container is missing."""
            found = self.path in routes
            missing = NOT_FOUND
            if self.path.startswith("/containers/") and self.path.endswith("/json"):
                missing = {"message": f"No such container: {self.path.split('/')[2]}"}
            body = json.dumps(routes[self.path] if found else missing).encode()
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            """Keep test output quiet."""

    server = _Server(str(socket_path), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        socket_path.unlink(missing_ok=True)
