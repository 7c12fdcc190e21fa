"""Docker facts: `docker container inspect` and `docker image inspect`, read one way for every reader."""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import dataclass, field

from bothost.errors import RemoteError
from bothost.facts import HOST_JSON, python_fact
from bothost.role import CommandResult

DOCKER_SOCKET = "/var/run/docker.sock"

# Host-side code: GET a path of the Docker Engine API on its unix socket (plain HTTP/1.0; `_socket`, since
# `socket` imports re and enum), as (HTTP status, body text); OSError when dockerd cannot be reached.
ENGINE_GET = r"""
import _socket, sys
def engine_get(socket_path, path):
    connection = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        connection.settimeout(30)
        connection.connect(socket_path)
        connection.sendall(("GET %s HTTP/1.0\r\nHost: docker\r\n\r\n" % path).encode())
        chunks = [connection.recv(65536)]
        while chunks[-1]:
            chunks.append(connection.recv(65536))
    finally:
        connection.close()
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    status = head.split(b" ", 2)[1:2] or [b"?"]
    return status[0].decode(errors="replace"), body.decode(errors="replace").strip()
"""

# Runs on the host: what `docker container inspect NAME` prints (a list of one object), read from the Engine
# API; for a missing container, its error and exit status 1, as the CLI does.
CONTAINER_INSPECT = HOST_JSON + ENGINE_GET + r"""
socket_path, name = sys.argv[1], sys.argv[2]
try:
    status, body = engine_get(socket_path, "/containers/%s/json" % name)
except OSError as error:  # its class only: "No such file" would read as "no such container"
    sys.exit("Cannot connect to the Docker daemon at unix://%s (%s)" % (socket_path, type(error).__name__))
if status != "200":
    try:
        message = loads(body).get("message")
    except (ValueError, AttributeError):
        message = None
    sys.exit("Error response from daemon: %s" % (message or "HTTP %s %s" % (status, body[:200])))
print("[%s]" % body)
"""


@dataclass(frozen=True)
class ContainerFact:
    """What `docker inspect` says about one container."""

    name: str
    id: str
    image_id: str
    running: bool
    status: str  # created, running, exited, ...
    health: str | None  # starting, healthy, unhealthy; None without a health check
    started_at: str
    finished_at: str
    exit_code: int | None  # the last exit code (docker's 137: killed after the grace period)
    labels: dict[str, str] = field(default_factory=dict)
    first_healthy: float | None = None  # Unix time the first passing health check in docker's log ended


@dataclass(frozen=True)
class ImageFact:
    """What `docker image inspect` says about one image."""

    id: str
    labels: dict[str, str]
    repo_digests: tuple[str, ...]
    tags: tuple[str, ...]


def inspect_container_argv(name: str) -> list[str]:
    """Read one container's state (as `docker container inspect` prints it, from the Engine API)."""
    return list(python_fact(CONTAINER_INSPECT, DOCKER_SOCKET, name))


def inspect_image_argv(ref: str) -> list[str]:
    """Read one image's identity."""
    return ["docker", "image", "inspect", ref]


def parse_container(result: CommandResult) -> ContainerFact | None:
    """The container, or None when it does not exist."""
    data = inspect_object(result)
    if data is None:
        return None
    state = data.get("State") or {}
    labels = (data.get("Config") or {}).get("Labels") or {}
    health = (state.get("Health") or {}).get("Status")
    passed = [
        e.get("End", "") for e in (state.get("Health") or {}).get("Log") or [] if e.get("ExitCode") == 0
    ]
    return ContainerFact(
        name=str(data.get("Name", "")).lstrip("/"),
        id=str(data.get("Id", "")),
        image_id=str(data.get("Image", "")),
        running=bool(state.get("Running")),
        status=str(state.get("Status", "")),
        health=health,
        started_at=str(state.get("StartedAt", "")),
        finished_at=str(state.get("FinishedAt", "")),
        exit_code=state.get("ExitCode") if isinstance(state.get("ExitCode"), int) else None,
        labels=dict(labels),
        first_healthy=unix_time(passed[0]) if passed else None,
    )


def unix_time(text: str) -> float | None:
    """Docker's RFC 3339 time (nanoseconds, Z or an offset) as Unix seconds; None when unparseable."""
    match = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)?", text.strip())
    if not match:
        return None
    zone = match.group(3) or "Z"
    moment = datetime.datetime.fromisoformat(match.group(1) + ("+00:00" if zone == "Z" else zone))
    return moment.timestamp() + float("0" + (match.group(2) or ""))


def parse_image(result: CommandResult) -> ImageFact | None:
    """The image, or None when it is not on the host."""
    data = inspect_object(result)
    if data is None:
        return None
    return ImageFact(
        id=str(data.get("Id", "")),
        labels=dict((data.get("Config") or {}).get("Labels") or {}),
        repo_digests=tuple(data.get("RepoDigests") or ()),
        tags=tuple(data.get("RepoTags") or ()),
    )


def inspect_object(result: CommandResult) -> dict[str, object] | None:
    """The single object of a `docker ... inspect` result; None for "no such object"; RemoteError else."""
    if result.exit_status != 0:
        text = (result.stderr + result.stdout).lower()
        if "no such" in text:
            return None
        raise RemoteError(f"docker inspect failed (exit {result.exit_status}): {text.strip()[:300]}")
    try:
        items = json.loads(result.stdout)
    except json.JSONDecodeError as exc:
        raise RemoteError(f"docker inspect printed something other than JSON: {exc}") from None
    if not isinstance(items, list) or len(items) != 1 or not isinstance(items[0], dict):
        raise RemoteError("docker inspect did not describe exactly one object")
    return items[0]
