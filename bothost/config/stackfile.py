"""Read a Pulumi stack file (Pulumi.<stack>.yaml) without the engine, for render and rehearse."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from bothost.config.raw import Encrypted, RawConfig
from bothost.errors import BothostError

DEFAULT_STACK_FILE = "Pulumi.example.yaml"


def stack_name(path: Path) -> str:
    """The stack name a file like Pulumi.prod.yaml stands for."""
    match = re.fullmatch(r"Pulumi\.(.+)\.ya?ml", path.name)
    return match.group(1) if match else path.stem


def read_stack_file(path: Path) -> RawConfig:
    """The `config:` mapping of a stack file; `secure:` values stay encrypted."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise BothostError(f"{path}: no such stack file (copy Pulumi.example.yaml to start)") from None
    except yaml.YAMLError as exc:
        raise BothostError(f"{path}: not valid YAML: {exc}") from None
    config = document.get("config") if isinstance(document, dict) else None
    if not isinstance(config, dict):
        raise BothostError(f"{path}: no 'config:' mapping found")
    return RawConfig({str(key): _decode(value) for key, value in config.items()})


def _decode(value: object) -> object:
    """Map `{secure: ...}` to Encrypted and `{value: ...}` (Pulumi's long form) to the value."""
    if isinstance(value, dict) and set(value) == {"secure"}:
        return Encrypted(str(value["secure"]))
    if isinstance(value, dict) and set(value) == {"value"}:
        return value["value"]
    return value
