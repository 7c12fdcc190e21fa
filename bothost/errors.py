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
        # Key, problem and fix may quote what the user wrote: escaped too, so the message stays one line.
        super().__init__(f"{printable(key, 120)} = {_show(value)}: {printable(problem, 300)}. "
                         f"Fix: {printable(fix, 300)}")


class RemoteError(BothostError):
    """An SSH operation on the host failed."""


class HostKeyMismatch(RemoteError):
    """The host presented a key other than the pinned one: possible man-in-the-middle."""


class AuthenticationFailed(RemoteError):
    """The host answered but refused our key: the host is there, so nothing on it may be skipped."""


def printable(text: str, limit: int = 80) -> str:
    """Text safe for a one-line message: control characters escaped, shortened to `limit` characters."""
    escaped = "".join(
        char if char.isprintable() else char.encode("unicode_escape").decode("ascii")
        for char in str(text)[: limit + 1]
    )
    return escaped if len(escaped) <= limit else escaped[: limit - 3] + "..."


def _show(value: object) -> str:
    """Render a config value for an error message: one line, short; secrets redact themselves."""
    if value is None:
        return "(not set)"
    if value in ("***", "(set)"):  # markers that stand for a value not shown
        return value
    if isinstance(value, str):
        return f'"{printable(value, 78)}"'
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**30:
        return "(a number of more than 30 digits)"
    if isinstance(value, list | tuple) and len(value) <= 8 and all(_short_scalar(v) for v in value):
        return printable(repr(list(value)))
    if isinstance(value, dict) and len(value) <= 8 and all(map(_short_scalar, [*value, *value.values()])):
        return printable(repr(value))
    if isinstance(value, dict | list | tuple):
        # Never repr a whole structure: it may be huge or deeply nested.
        return f"({type(value).__name__} of {len(value)} item{'s' if len(value) != 1 else ''})"
    return printable(repr(value))


def _short_scalar(value: object) -> bool:
    if isinstance(value, str):
        return len(value) <= 200
    return isinstance(value, float | bool) or (isinstance(value, int) and abs(value) < 10**30)
