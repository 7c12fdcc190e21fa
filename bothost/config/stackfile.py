"""Read a Pulumi stack file (Pulumi.<stack>.yaml) without the engine, for every CLI verb."""

from __future__ import annotations

import re
from pathlib import Path

from bothost.config.raw import Encrypted, RawConfig
from bothost.config.strict_yaml import MAX_BYTES, load_yaml
from bothost.errors import BothostError, printable

DEFAULT_STACK_FILE = "Pulumi.example.yaml"


def stack_name(path: Path) -> str:
    """The stack name a file like Pulumi.prod.yaml stands for."""
    match = re.fullmatch(r"Pulumi\.(.+)\.ya?ml", path.name)
    return match.group(1) if match else path.stem


def stack_file(stack: str) -> Path:
    """The stack file that stands for a stack name (the inverse of stack_name)."""
    return Path(f"Pulumi.{stack}.yaml")


def read_stack_file(path: Path) -> RawConfig:
    """The `config:` mapping of a stack file; `secure:` values stay encrypted, plain ones are marked plain."""
    where = printable(str(path), 200)
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise BothostError(f"{where}: no such stack file (copy Pulumi.example.yaml to start)") from None
    except OSError as exc:
        raise BothostError(f"{where}: cannot read it ({exc.strerror or type(exc).__name__})") from None
    try:
        document = load_yaml(data) or {}
    except ValueError as exc:
        raise BothostError(f"{where}: {exc}") from None
    config = document.get("config") if isinstance(document, dict) else None
    if not isinstance(config, dict):
        raise BothostError(f"{where}: no 'config:' mapping found")
    values: dict[str, object] = {}
    for key, value in config.items():
        if not isinstance(key, str):
            raise BothostError(f"{where}: config key {printable(repr(key), 60)} is not a name like "
                               "bothost:location; quote it or remove it")
        values[key] = _decode(key, value, where)
    return RawConfig(values, plain={key for key, value in values.items() if _has_plain(value)})


def _decode(key: str, value: object, where: str) -> object:
    """Map `{secure: ...}` to Encrypted, and `{value: ...}` (Pulumi's long form) to the value."""
    if isinstance(value, dict) and set(value) == {"secure"}:
        if not isinstance(value["secure"], str):
            raise BothostError(f"{where}: {printable(key, 120)}: a secure: value must be the ciphertext "
                               "string `pulumi config set --secret` wrote; set it again that way")
        return Encrypted(value["secure"])
    if isinstance(value, dict) and set(value) == {"value"}:
        return _decode(key, value["value"], where)
    if isinstance(value, dict):
        return {name: _decode(f"{key}.{name}", item, where) for name, item in value.items()}
    if isinstance(value, list):
        return [_decode(f"{key}[{index}]", item, where) for index, item in enumerate(value)]
    return value


def _has_plain(value: object) -> bool:
    """True when any leaf of the value is readable in the file (not a `secure:` ciphertext)."""
    if isinstance(value, dict):
        return any(_has_plain(item) for item in value.values())
    if isinstance(value, list):
        return any(_has_plain(item) for item in value)
    return value is not None and not isinstance(value, Encrypted)
