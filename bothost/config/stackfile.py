"""Read a Pulumi stack file (Pulumi.<stack>.yaml) without the engine, for render and rehearse."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from bothost.config.raw import Encrypted, RawConfig
from bothost.errors import BothostError

DEFAULT_STACK_FILE = "Pulumi.example.yaml"


class _Loader(yaml.SafeLoader):
    """Reads scalars as the Pulumi CLI does (YAML 1.2): `14:30` and `yes` stay strings, not 870 and True."""


_YAML11_ONLY = re.compile(r"^(?:[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?"
                          r"|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|y|Y|n|N)$")
_Loader.yaml_implicit_resolvers = {
    first: [("tag:yaml.org,2002:str", _YAML11_ONLY), *resolvers]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def stack_name(path: Path) -> str:
    """The stack name a file like Pulumi.prod.yaml stands for."""
    match = re.fullmatch(r"Pulumi\.(.+)\.ya?ml", path.name)
    return match.group(1) if match else path.stem


def stack_file(stack: str) -> Path:
    """The stack file that stands for a stack name (the inverse of stack_name)."""
    return Path(f"Pulumi.{stack}.yaml")


def read_stack_file(path: Path) -> RawConfig:
    """The `config:` mapping of a stack file; `secure:` values stay encrypted."""
    try:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader) or {}
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
