"""What a role is: settings, the changes it makes on a host, and the checks that prove them."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, ClassVar

from bothost.config import StackSpec
from bothost.hostkeys import HostKeys
from bothost.shell import CommandResult

__all__ = [
    "Changes", "Check", "CommandResult", "FileChange", "Outcome", "RenderContext", "Role", "expect_equal",
    "from_wire",
]


@dataclass(frozen=True)
class FileChange:
    """A file the role writes at first boot (content already rendered)."""

    path: str
    content: str
    mode: str = "0644"
    owner: str = "root:root"
    defer: bool = False  # True when the owner is created during boot (written after users exist)
    compress: bool = False  # gzip+base64 in user_data (cloud-init's gz+b64): Hetzner caps user_data at 32 KiB


@dataclass(frozen=True)
class Changes:
    """Everything one role puts on the host at first boot."""

    packages: tuple[str, ...] = ()
    files: tuple[FileChange, ...] = ()
    commands: tuple[tuple[str, ...], ...] = ()  # argv lists, run in order in cloud-init's runcmd
    # Units enabled at boot, and units masked; all roles' units go into ONE step with ONE manager reload
    # before any role's commands, so commands start/restart them with new unit files and drop-ins loaded.
    enable_units: tuple[str, ...] = ()
    mask_units: tuple[str, ...] = ()
    cloud_config: Mapping[str, Any] = field(default_factory=dict)  # top-level keys this role owns


@dataclass(frozen=True)
class Outcome:
    """A check's verdict and what was actually seen."""

    passed: bool
    actual: str


@dataclass(frozen=True)
class Check:
    """One control proven on a live host: a command (run as root) and a pure parser of its result."""

    id: str  # stable, e.g. "ssh-01"
    title: str
    rationale: str
    expected: str
    command: tuple[str, ...] | None  # argv run on the host with sudo; None for a client-side probe
    evaluate: Callable[[CommandResult], Outcome]
    probe: str | None = None  # name of a client-side probe in bothost.verify.probes (when command is None)
    # The command reads what an SSH login's session has (PAM's limits): only `bothost verify`, which logs
    # in, can see it; the host's own drift check (a systemd service, no PAM session) skips it.
    login_session: bool = False


class Role(ABC):
    """One concern on the host. Subclasses keep the change and its proof side by side."""

    name: ClassVar[str]

    @abstractmethod
    def settings(self, spec: StackSpec, context: RenderContext) -> Any:
        """The role's settings object, derived from the spec; shared by changes() and checks()."""

    @abstractmethod
    def changes(self, settings: Any) -> Changes:
        """What the role puts on the host."""

    @abstractmethod
    def checks(self, settings: Any) -> list[Check]:
        """How to prove on a live host that the changes are in force."""


@dataclass(frozen=True)
class RenderContext:
    """Inputs to rendering that are not stack config: generated host keys (None: shown as placeholders)."""

    host_keys: HostKeys | None = None


def expect_equal(expected: str) -> Callable[[CommandResult], Outcome]:
    """Parser: the command succeeds and its trimmed stdout equals `expected`."""

    def evaluate(result: CommandResult) -> Outcome:
        actual = result.stdout.strip() or f"(exit {result.exit_status}) {result.stderr.strip()}"[:200]
        return Outcome(result.exit_status == 0 and result.stdout.strip() == expected, actual)

    return evaluate


def from_wire(cls: type, data: Mapping[str, object]) -> dict[str, object]:
    """A settings dataclass's fields from its asdict() form after Pulumi's wire format: numbers come back as
    floats (int fields made whole again), None values are dropped (optional fields restored), lists stand
    for tuples."""
    values: dict[str, object] = {}
    for f in fields(cls):
        value = data.get(f.name)
        if value is None:
            if f.default is MISSING:
                values[f.name] = None
            continue
        values[f.name] = int(value) if f.type == "int" else tuple(value) if isinstance(value, list) else value
    return values
