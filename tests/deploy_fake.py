"""A fake host for the deploy tests: interprets the deploy's argv like docker and coreutils would."""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import itertools
import json
import tarfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bothost.errors import RemoteError
from bothost.facts.docker import inspect_container_argv
from bothost.role import CommandResult

BOOL_FLAGS = {"--read-only"}  # docker create flags without a value


@dataclass
class FakeContainer:
    """One container as the fake docker keeps it."""

    name: str
    id: str
    image_id: str
    labels: dict[str, str]
    argv: list[str]
    running: bool = False
    status: str = "created"
    health: str | None = None
    exit_code: int = 0


@dataclass
class FakeDockerHost:
    """Implements the deploy's Host protocol in memory, recording everything that crosses the wire."""

    registry: dict[str, str] = field(default_factory=dict)  # ref -> image id a pull gives
    pull_error: str | None = None  # stderr of a failing docker pull
    unhealthy_images: set[str] = field(default_factory=set)  # image ids whose containers turn unhealthy
    fail_when: Callable[[list[str]], bool] | None = None  # raise RemoteError (an SSH drop) on this command
    fail_after_stop: bool = False  # drop the connection inside the swap, after the old bot stopped
    stop_exit_code: int = 0  # the bot's exit code on docker stop (137: killed after the grace period)
    images: dict[str, dict] = field(default_factory=dict)  # image id -> {"tags": set, "labels": dict}
    containers: dict[str, FakeContainer] = field(default_factory=dict)
    files: dict[str, tuple[bytes, str, str]] = field(default_factory=dict)  # path -> (data, mode, owner)
    dirs: dict[str, tuple[str, str]] = field(default_factory=dict)  # path -> (mode, owner)
    commands: list[list[str]] = field(default_factory=list)
    stdin_seen: list[bytes] = field(default_factory=list)
    audit_lines: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)  # docker stop/start/create/rm/rename, in order
    locks: int = 0
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    # -- the Host protocol --------------------------------------------------------------------------------
    def run(
        self, argv: Sequence[str], *, stdin: bytes | None = None, timeout: float = 120.0
    ) -> CommandResult:
        argv = list(argv)
        assert all(isinstance(a, str) for a in argv), argv
        self.commands.append(argv)
        if stdin is not None:
            self.stdin_seen.append(stdin)
        if self.fail_when is not None and self.fail_when(argv):
            self.fail_when = None
            raise RemoteError(f"{argv[0]} on fake: connection failed: [Errno 104] Connection reset by peer")
        return self._dispatch(argv, stdin)

    def check(
        self, argv: Sequence[str], *, stdin: bytes | None = None, timeout: float = 120.0
    ) -> CommandResult:
        result = self.run(argv, stdin=stdin, timeout=timeout)
        if result.exit_status != 0:
            raise RemoteError(f"{' '.join(argv)} failed: {result.stderr}")
        return result

    def write_file(self, path: str, data: bytes, *, mode: str, owner: str) -> None:
        self.run(["write-file", path, mode, owner], stdin=data)
        self.files[path] = (data, mode, owner)

    def send_file(self, argv: Sequence[str], path: Path, *, timeout: float) -> CommandResult:
        return self.run([*list(argv), "<", str(path)], stdin=path.read_bytes())

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        assert self.locks == 0, "the deploy lock is not re-entrant"
        self.locks += 1
        try:
            yield
        finally:
            self.locks -= 1

    def audit(self, line: str) -> None:
        assert self.locks == 1, "audit lines are written under the lock"
        self.audit_lines.append(line)

    # -- helpers for tests ----------------------------------------------------------------------------------
    def wire_text(self) -> str:
        """Everything that crossed the wire except file contents on stdin: argv and audit lines."""
        return "\n".join([*(" ".join(c) for c in self.commands), *self.audit_lines])

    def running(self) -> list[str]:
        """Names of running containers."""
        return sorted(c.name for c in self.containers.values() if c.running)

    # -- the fake commands ----------------------------------------------------------------------------
    def _dispatch(self, argv: list[str], stdin: bytes | None) -> CommandResult:
        if argv[:2] == ["docker", "image"]:
            return self._image_inspect(argv[3])
        if argv == inspect_container_argv(argv[-1]):
            return self._container_inspect(argv[-1])
        if argv[0] == "docker":
            return getattr(self, "_docker_" + argv[1])(argv[2:], stdin)
        if argv[0] == "write-file":
            return CommandResult(0, "")
        if argv[:3] == ["python3", "-S", "-c"] and argv[4] == "swap":
            return self._swap(argv[6], argv[7], argv[11:])
        if argv[0] == "sh" and argv[3] in ("export-data", "restore-data"):
            return self._handover(argv[3], argv[4], stdin)
        if argv[0] == "sh" and argv[3] == "hmac-key":
            key = self.files.setdefault(argv[4], (bytes(range(32)), "0600", "0:0"))[0]
            return CommandResult(0, key.hex())
        return getattr(self, "_" + argv[0].replace("-", "_"))(argv[1:])

    def _handover(self, verb: str, directory: str, stdin: bytes | None) -> CommandResult:
        """tar + base64 of a directory's files (export), or the reverse (restore), like the real pipes."""
        import base64
        import io

        prefix = directory.rstrip("/") + "/"
        if verb == "export-data":
            if directory not in self.dirs:
                return CommandResult(3, "", "")
            buffer = io.BytesIO()
            with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
                for path, (data, _mode, _owner) in sorted(self.files.items()):
                    if path.startswith(prefix):
                        info = tarfile.TarInfo("./" + path[len(prefix):])
                        info.size = len(data)
                        tar.addfile(info, io.BytesIO(data))
            return CommandResult(0, base64.b64encode(buffer.getvalue()).decode())
        self.dirs.setdefault(directory, ("0755", "0:0"))
        with tarfile.open(fileobj=io.BytesIO(base64.b64decode(stdin or b"")), mode="r:gz") as tar:
            for member in tar.getmembers():
                extracted = tar.extractfile(member)
                if extracted is not None:
                    path = prefix + member.name.removeprefix("./")
                    self.files[path] = (extracted.read(), "0644", "1000:1000")
        return CommandResult(0, "")

    def _swap(self, grace: str, new: str, olds: list[str]) -> CommandResult:
        began = time.time()
        for name in olds:
            self._docker_stop(["--time", grace, name], None)
        stopped = time.time()
        if self.fail_after_stop:
            self.fail_after_stop = False
            raise RemoteError("sh on fake: connection failed: [Errno 104] Connection reset by peer")
        self._docker_start([new], None)
        ready = "" if self.containers[new].health == "unhealthy" else f"{time.time():.6f}\n"
        return CommandResult(0, f"{began:.6f}\n{stopped:.6f}\n{time.time():.6f}\n{ready}")

    def _image_inspect(self, ref: str) -> CommandResult:
        for image_id, image in self.images.items():
            if ref == image_id or ref in image["tags"]:
                return CommandResult(
                    0,
                    json.dumps(
                        [
                            {
                                "Id": image_id,
                                "RepoTags": sorted(image["tags"]),
                                "RepoDigests": [],
                                "Config": {"Labels": image["labels"]},
                            }
                        ]
                    ),
                )
        return CommandResult(1, "[]", f"Error: No such image: {ref}")

    def _container_inspect(self, name: str) -> CommandResult:
        c = self.containers.get(name)
        if c is None:
            return CommandResult(1, "", f"Error response from daemon: No such container: {name}")
        health = None
        if c.health:
            passed = c.health == "healthy"
            end = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            health = {"Status": c.health, "Log": [{"ExitCode": 0 if passed else 1, "End": end}]}
        return CommandResult(
            0,
            json.dumps(
                [
                    {
                        "Id": c.id,
                        "Name": "/" + c.name,
                        "Image": c.image_id,
                        "State": {
                            "Status": c.status,
                            "Running": c.running,
                            "Health": health,
                            "StartedAt": "2026-01-01T00:00:00Z",
                            "FinishedAt": "0001-01-01T00:00:00Z",
                            "ExitCode": c.exit_code,
                        },
                        "Config": {"Labels": c.labels},
                    }
                ]
            ),
        )

    def _docker_pull(self, args: list[str], stdin: bytes | None) -> CommandResult:
        if self.pull_error is not None:
            return CommandResult(1, "", self.pull_error)
        image_id = self.registry[args[0]]
        self.images.setdefault(image_id, {"tags": set(), "labels": {}})["tags"].add(args[0])
        self.events.append(f"pull {args[0]}")
        return CommandResult(0, f"Status: Downloaded newer image for {args[0]}\n")

    def _docker_load(self, args: list[str], stdin: bytes | None) -> CommandResult:
        import io

        with tarfile.open(fileobj=io.BytesIO(stdin or b"")) as tar:
            manifest = json.load(tar.extractfile("manifest.json"))
            config = tar.extractfile(manifest[0]["Config"]).read()
        image_id = "sha256:" + hashlib.sha256(config).hexdigest()
        self.images.setdefault(image_id, {"tags": set(), "labels": {}})["tags"].update(
            manifest[0]["RepoTags"]
        )
        self.events.append("load")
        return CommandResult(0, f"Loaded image: {manifest[0]['RepoTags'][0]}\n")

    def _docker_import(self, args: list[str], stdin: bytes | None) -> CommandResult:
        label = args[args.index("--change") + 1].removeprefix("LABEL ")
        key, _, value = label.partition("=")
        ref = args[args.index("-") + 1]
        image_id = "sha256:" + hashlib.sha256((stdin or b"") + str(next(self._ids)).encode()).hexdigest()
        for image in self.images.values():
            image["tags"].discard(ref)
        self.images[image_id] = {"tags": {ref}, "labels": {key: value}}
        self.events.append("import")
        return CommandResult(0, image_id + "\n")

    def _docker_tag(self, args: list[str], stdin: bytes | None) -> CommandResult:
        for image in self.images.values():
            image["tags"].discard(args[1])
        self.images[args[0]]["tags"].add(args[1])
        return CommandResult(0, "")

    def _docker_create(self, args: list[str], stdin: bytes | None) -> CommandResult:
        labels: dict[str, str] = {}
        index, name = 0, ""
        while args[index].startswith("--"):
            flag = args[index]
            if flag in BOOL_FLAGS:
                index += 1
                continue
            value = args[index + 1]
            if flag == "--name":
                name = value
            if flag == "--label":
                key, _, text = value.partition("=")
                labels[key] = text
            index += 2
        if name in self.containers:
            return CommandResult(125, "", f'Conflict. The container name "/{name}" is already in use')
        image = args[index]
        result = self._image_inspect(image)
        if result.exit_status != 0:
            return CommandResult(125, "", f"Unable to find image '{image}' locally")
        image_id = json.loads(result.stdout)[0]["Id"]
        self.containers[name] = FakeContainer(
            name, f"c{next(self._ids)}", image_id, labels, ["docker", "create", *args]
        )
        self.events.append(f"create {name}")
        return CommandResult(0, self.containers[name].id + "\n")

    def _docker_stop(self, args: list[str], stdin: bytes | None) -> CommandResult:
        c = self.containers[args[-1]]
        c.running, c.status, c.health, c.exit_code = False, "exited", None, self.stop_exit_code
        self.events.append(f"stop {c.name} --time {args[1]}")
        return CommandResult(0, c.name + "\n")

    def _docker_start(self, args: list[str], stdin: bytes | None) -> CommandResult:
        c = self.containers[args[-1]]
        assert self.running() in ([], [c.name]), f"starting {c.name} while {self.running()} run: two bots"
        c.running, c.status = True, "running"
        c.health = "unhealthy" if c.image_id in self.unhealthy_images else "healthy"
        self.events.append(f"start {c.name}")
        return CommandResult(0, c.name + "\n")

    def _docker_rm(self, args: list[str], stdin: bytes | None) -> CommandResult:
        if self.containers.pop(args[-1], None) is None:
            return CommandResult(1, "", f"Error: No such container: {args[-1]}")
        self.events.append(f"rm {args[-1]}")
        return CommandResult(0, "")

    def _docker_rename(self, args: list[str], stdin: bytes | None) -> CommandResult:
        c = self.containers.pop(args[0])
        c.name = args[1]
        self.containers[args[1]] = c
        self.events.append(f"rename {args[0]} {args[1]}")
        return CommandResult(0, "")

    def _stat(self, args: list[str]) -> CommandResult:
        lines, paths = [], [a for a in args[2:] if a != "--"]
        for path in paths:
            if path in self.dirs:
                lines.append(f"{path} {self.dirs[path][0].lstrip('0')} {self.dirs[path][1]}")
            elif path in self.files:
                lines.append(f"{path} {self.files[path][1].lstrip('0')} {self.files[path][2]}")
        return CommandResult(0 if len(lines) == len(paths) else 1, "\n".join(lines) + "\n")

    def _mkdir(self, args: list[str]) -> CommandResult:
        self.dirs.setdefault(args[-1], ("0755", "0:0"))
        return CommandResult(0, "")

    def _chown(self, args: list[str]) -> CommandResult:
        self.dirs[args[1]] = (self.dirs[args[1]][0], args[0])
        return CommandResult(0, "")

    def _chmod(self, args: list[str]) -> CommandResult:
        self.dirs[args[1]] = (args[0], self.dirs[args[1]][1])
        return CommandResult(0, "")

    def _find(self, args: list[str]) -> CommandResult:
        folder = args[0]
        names = [p.rsplit("/", 1)[1] for p in self.files if p.rsplit("/", 1)[0] == folder]
        return CommandResult(0, "".join(f"{n}\n" for n in sorted(names)))

    def _sha256sum(self, args: list[str]) -> CommandResult:
        lines = [f"{hashlib.sha256(self.files[p][0]).hexdigest()}  {p}" for p in args[1:] if p in self.files]
        return CommandResult(0, "\n".join(lines) + "\n")

    def _docker_update(self, args: list[str], stdin: bytes | None) -> CommandResult:
        self.events.append(f"update {' '.join(args)}")
        return CommandResult(0, args[-1] + "\n")

    def _setpriv(self, args: list[str]) -> CommandResult:
        """setpriv --reuid=U --regid=G --clear-groups CMD...: bot files are read and written as the bot."""
        owner = f"{args[0].split('=')[1]}:{args[1].split('=')[1]}"
        command = args[3:]
        if command[0] == "sha256sum":
            return self._sha256sum(command[1:])
        assert command[:2] == ["sh", "-c"] and command[3] == "bot-files", command
        self.files[command[4]] = (self.stdin_seen[-1], command[5], owner)
        return CommandResult(0, "")

    def _rm(self, args: list[str]) -> CommandResult:
        for path in args[2:]:
            self.files.pop(path, None)
            if args[0] == "-rf":
                self.files = {p: v for p, v in self.files.items() if not p.startswith(path + "/")}
                self.dirs.pop(path, None)
        return CommandResult(0, "")


class WatchHost(FakeDockerHost):
    """The fake host, plus what the watcher's install runs: install -d, systemd-sysusers, id, systemctl."""

    def __init__(self) -> None:
        super().__init__()
        self.users: set[str] = set()
        self.active: set[str] = set()

    def _install(self, args: list[str]) -> CommandResult:
        self.dirs[args[-1]] = (args[2], "0:0")
        return CommandResult(0, "")

    def _systemd_sysusers(self, args: list[str]) -> CommandResult:
        self.users.add(self.files[args[0]][0].decode().split("\nu ")[1].split()[0])
        return CommandResult(0, "")

    def _id(self, args: list[str]) -> CommandResult:
        return CommandResult(0 if args[0] in self.users else 1, "")

    def _systemctl(self, args: list[str]) -> CommandResult:
        units = [a for a in args[1:] if not a.startswith("-")]
        if args[0] in ("start", "restart"):
            self.active.update(units)
        return CommandResult(0 if args[0] != "is-active" or set(units) <= self.active else 3, "")
