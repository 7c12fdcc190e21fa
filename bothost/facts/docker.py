"""Docker facts: `docker container inspect` and `docker image inspect`, read one way for every reader."""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import dataclass, field

from bothost.errors import RemoteError
from bothost.role import CommandResult


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
    """Read one container's state."""
    return ["docker", "container", "inspect", name]


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
