"""Read the running Pulumi program's config into a RawConfig, and validate it before any resource exists."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable

import pulumi
import pulumi.runtime

from bothost.config import RawConfig, StackSpec, parse_spec
from bothost.config.host import NS
from bothost.config.spec import MUST_BE_SECRET, known_keys

__all__ = ["MUST_BE_SECRET", "engine_keys", "read_raw_config", "read_spec"]


def engine_keys() -> set[str]:
    """Every config key the engine handed this program (all namespaces)."""
    keys = set(pulumi.runtime.get_config_env())
    # pulumi.runtime.config.CONFIG holds what the exec wrapper (or a test) set; it is internal, so guarded.
    with contextlib.suppress(AttributeError, LookupError, TypeError):
        keys.update(pulumi.runtime.config.CONFIG.get())
    return keys


def read_raw_config(keys: Iterable[str] | None = None) -> RawConfig:
    """Our keys as the engine gives them (strings; lists as JSON), plus any unknown bothost:* key."""
    present = engine_keys() if keys is None else set(keys)
    wanted = set(known_keys()) | {key for key in present if key.startswith(NS + ":")}
    values: dict[str, object] = {}
    for key in sorted(wanted):
        value = pulumi.runtime.get_config(key)
        if value is not None:
            values[key] = value
    # parse_spec refuses key material among the plain values (the same check for every verb).
    return RawConfig(values, plain={key for key in values if not pulumi.runtime.is_config_secret(key)})


def read_spec() -> StackSpec:
    """The validated spec of the running stack; raises ConfigError on the first bad or unknown key."""
    return parse_spec(read_raw_config(), stack=pulumi.get_stack())
