"""Stack config: read once, validated, turned into a typed spec before any resource is declared."""

from bothost.config.raw import RawConfig
from bothost.config.spec import StackSpec, parse_spec

__all__ = ["RawConfig", "StackSpec", "parse_spec"]
