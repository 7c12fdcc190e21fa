"""The few exceptions that the CLI turns into one-line user errors."""

from __future__ import annotations


class BothostError(Exception):
    """A failure the user can act on; its message is shown without a traceback."""


class ConfigError(BothostError):
    """A stack config value is missing or invalid; names the key, the value and the fix."""

    def __init__(self, key: str, value: object, problem: str, fix: str) -> None:
        self.key = key
        self.value = value
        self.problem = problem
        self.fix = fix
        super().__init__(f"{key} = {_show(value)}: {problem}. Fix: {fix}")


class RemoteError(BothostError):
    """An SSH operation on the host failed."""


class HostKeyMismatch(RemoteError):
    """The host presented a key other than the pinned one: possible man-in-the-middle."""


class AuthenticationFailed(RemoteError):
    """The host answered but refused our key: the host is there, so nothing on it may be skipped."""


def _show(value: object) -> str:
    """Render a config value for an error message (secrets redact themselves)."""
    if value is None:
        return "(not set)"
    text = repr(value) if not isinstance(value, str) else f'"{value}"'
    return text if len(text) <= 80 else text[:77] + "..."
