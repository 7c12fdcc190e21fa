"""Docker facts: `docker container inspect` and `docker image inspect` output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from fake_engine import fake_engine

from bothost.errors import RemoteError
from bothost.facts.docker import inspect_container_argv, parse_container, parse_image
from bothost.role import CommandResult

CONTAINER = [
    {
        "Id": "abc",
        "Name": "/bothost-bot",
        "Image": "sha256:1",
        "State": {
            "Status": "running",
            "Running": True,
            "Health": {"Status": "healthy"},
            "StartedAt": "2026-01-01T00:00:00Z",
            "FinishedAt": "0001-01-01T00:00:00Z",
            "ExitCode": 0,
        },
        "Config": {"Labels": {"bothost.spec": "f00d"}},
    }
]


def test_container_fact() -> None:
    fact = parse_container(CommandResult(0, json.dumps(CONTAINER)))
    assert (fact.name, fact.running, fact.health, fact.labels, fact.image_id, fact.exit_code) == (
        "bothost-bot",
        True,
        "healthy",
        {"bothost.spec": "f00d"},
        "sha256:1",
        0,
    )


def test_container_without_health_or_labels() -> None:
    data = [
        {"Id": "x", "Name": "/n", "Image": "i", "State": {"Status": "exited"}, "Config": {"Labels": None}}
    ]
    fact = parse_container(CommandResult(0, json.dumps(data)))
    assert (fact.running, fact.health, fact.labels, fact.exit_code) == (False, None, {}, None)


@pytest.mark.parametrize(
    "stderr",
    [
        "Error: No such container: bothost-bot",
        "Error: No such object: x",
        "Error response from daemon: No such image: me/bot:1",
    ],
)
def test_missing_objects_are_none(stderr: str) -> None:
    assert parse_container(CommandResult(1, "[]", stderr)) is None
    assert parse_image(CommandResult(1, "[]", stderr)) is None


@pytest.mark.parametrize(
    "result",
    [
        CommandResult(1, "", "Cannot connect to the Docker daemon at unix:///var/run/docker.sock"),
        CommandResult(0, "not json"),
        CommandResult(0, "[]"),
    ],
)
def test_other_failures_raise(result: CommandResult) -> None:
    with pytest.raises(RemoteError):
        parse_container(result)


def test_image_fact() -> None:
    data = [
        {
            "Id": "sha256:2",
            "RepoTags": ["me/bot:1"],
            "RepoDigests": ["me/bot@sha256:3"],
            "Config": {"Labels": {"bothost.archive": "ab"}},
        }
    ]
    fact = parse_image(CommandResult(0, json.dumps(data)))
    assert (fact.id, fact.tags, fact.repo_digests, fact.labels) == (
        "sha256:2",
        ("me/bot:1",),
        ("me/bot@sha256:3",),
        {"bothost.archive": "ab"},
    )


def run_inspect(engine: Path, name: str) -> CommandResult:
    """The container inspect fact's program, run here against the given Engine API socket."""
    argv = inspect_container_argv(name)
    done = subprocess.run([sys.executable, *argv[1:-2], str(engine), name], capture_output=True, text=True)
    return CommandResult(done.returncode, done.stdout, done.stderr)


def test_container_inspect_reads_the_engine_api_as_the_cli_prints_it(tmp_path: Path) -> None:
    """The Engine API's body comes out as `docker container inspect` prints it (a list of one), a missing
    container as the CLI's error (None to the parser), no daemon as a failure (RemoteError)."""
    engine = tmp_path / "docker.sock"
    with fake_engine(engine, {"/containers/bothost-bot/json": CONTAINER[0]}):
        found, missing = run_inspect(engine, "bothost-bot"), run_inspect(engine, "other")
    assert json.loads(found.stdout) == CONTAINER
    fact = parse_container(found)
    assert fact is not None and fact.running and fact.labels == {"bothost.spec": "f00d"}
    assert missing.exit_status == 1
    assert missing.stderr.strip() == "Error response from daemon: No such container: other"
    assert parse_container(missing) is None
    down = run_inspect(engine, "bothost-bot")
    assert down.exit_status == 1 and "Cannot connect to the Docker daemon" in down.stderr
    with pytest.raises(RemoteError):
        parse_container(down)
