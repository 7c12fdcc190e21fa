"""Read the running Pulumi program's config into a RawConfig, and validate it before any resource exists."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable

import pulumi
import pulumi.runtime

from bothost.config import RawConfig, StackSpec, parse_spec
from bothost.config.host import NS
from bothost.config.spec import known_keys
from bothost.errors import ConfigError

# Keys whose values are key material: stored in plain text they would sit readable in Pulumi.<stack>.yaml.
MUST_BE_SECRET = (f"{NS}:exchangeApiKey", f"{NS}:exchangeApiSecret", f"{NS}:exchangePassphrase",
                  f"{NS}:botSecrets")


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
    refuse_plain_secrets(values, pulumi.runtime.is_config_secret)
    return RawConfig(values)


def refuse_plain_secrets(values: dict[str, object], is_secret: Callable[[str], bool]) -> None:
    """Fail when key material was set without --secret (the value is never echoed)."""
    for key in MUST_BE_SECRET:
        if key in values and not is_secret(key):
            raise ConfigError(key, "***", "set in plain text, so it is readable in the stack file",
                              f"pulumi config rm {key}; then pulumi config set --secret {key} "
                              "(and revoke the exposed key at the exchange if the file was shared)")


def read_spec() -> StackSpec:
    """The validated spec of the running stack; raises ConfigError on the first bad or unknown key."""
    return parse_spec(read_raw_config(), stack=pulumi.get_stack())
