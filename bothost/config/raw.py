"""Typed reads from raw stack config values; every bad value raises a ConfigError naming key and fix."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bothost.errors import ConfigError
from bothost.secret import Secret


@dataclass(frozen=True)
class Encrypted:
    """A `secure:` value from a stack file; only the Pulumi engine can decrypt it."""

    ciphertext: str

    def __repr__(self) -> str:
        return "Encrypted(***)"


class RawConfig:
    """Stack config values keyed `namespace:name`, as the engine or a stack file gives them."""

    def __init__(self, values: Mapping[str, object], *, plain: Iterable[str] | None = None) -> None:
        self._values = dict(values)
        # Keys whose value is readable where it is stored (None: unknown, e.g. values built in a test).
        self._plain = None if plain is None else frozenset(plain)

    def has(self, key: str) -> bool:
        """True if the key is set."""
        return self._values.get(key) is not None

    def raw(self, key: str) -> object:
        """The value as given, or None."""
        return self._values.get(key)

    def keys(self) -> Iterable[str]:
        """All keys that are set."""
        return self._values.keys()

    def string(self, key: str, default: str | None = None, *, fix: str) -> str:
        """A non-empty string."""
        value = self._values.get(key)
        if value is None:
            if default is None:
                raise ConfigError(key, None, "this key is required", fix)
            return default
        if isinstance(value, bool | int | float) and not _huge(value):
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(key, value, "expected a non-empty string", fix)
        return value.strip()

    def boolean(self, key: str, default: bool) -> bool:
        """true/false, as YAML or as the engine's string."""
        value = self._values.get(key)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        raise ConfigError(key, value, "expected true or false", f"pulumi config set {key} true|false")

    def integer(self, key: str, default: int, *, low: int, high: int) -> int:
        """A whole number within [low, high]."""
        value = self._values.get(key)
        if value is None:
            return default
        try:
            whole = not isinstance(value, bool) and not (isinstance(value, float) and not value.is_integer())
            number = int(value) if whole else None
        except (TypeError, ValueError):
            number = None
        if number is None or not low <= number <= high:
            raise ConfigError(key, value, f"expected a whole number from {low} to {high}",
                              f"pulumi config set {key} {default}")
        return number

    def string_list(self, key: str, default: list[str] | None = None, *, fix: str) -> tuple[str, ...]:
        """A list of strings (a YAML list, or a JSON list as the engine gives it)."""
        value = self._values.get(key)
        if value is None:
            if default is None:
                raise ConfigError(key, None, "this key is required", fix)
            return tuple(default)
        if isinstance(value, str):
            value = _json(value, default=[value])
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise ConfigError(key, value, "expected a list of non-empty strings", fix)
        return tuple(v.strip() for v in value)

    def mapping(self, key: str, *, fix: str, secret: bool = False) -> dict[str, object] | None:
        """An object with name keys (YAML mapping, or JSON as the engine gives it), or None when unset."""
        value = self._values.get(key)
        if value is None:
            return None
        shown = "***" if secret else value
        if isinstance(value, str):
            value = _json(value, default=None)
        if not isinstance(value, dict):
            raise ConfigError(key, shown, "expected an object of name: value", fix)
        for name in value:
            if not isinstance(name, str):
                raise ConfigError(f"{key}.{name}", "***" if secret else value[name],
                                  "a name must be text, not a number or other value",
                                  f"quote it: '{name}': ...")
        return value

    def secret(self, key: str) -> Secret | Encrypted | None:
        """A secret value: a Secret when readable here, Encrypted when only the engine can read it."""
        value = self._values.get(key)
        if value is None or isinstance(value, Encrypted | Secret):
            return value
        if isinstance(value, str):
            return Secret(value)
        raise ConfigError(key, "***", "expected a secret string", f"pulumi config set --secret {key}")

    def refuse_plain(self, keys: Iterable[str]) -> None:
        """Fail when key material is stored readable (not encrypted); the value is never echoed."""
        for key in keys:
            if self._plain is not None and key in self._plain:
                raise ConfigError(key, "***", "set in plain text, so it is readable in the stack file",
                                  f"pulumi config rm {key}; then pulumi config set --secret {key} "
                                  "(and revoke the exposed key if the file was shared)")

    def reject_unknown(self, namespace: str, known: Iterable[str]) -> None:
        """Fail on a key in our namespace that no field reads (usually a typo)."""
        known = set(known)
        prefix = namespace + ":"
        # Compare names without the shared "bothost:" prefix, or every key looks close to every other.
        names = sorted(k.removeprefix(prefix) for k in known if k.startswith(prefix))
        for key in sorted(self._values):
            if key.startswith(prefix) and key not in known:
                close = difflib.get_close_matches(key.removeprefix(prefix), names, n=1)
                fix = (f"did you mean {prefix}{close[0]}?" if close
                       else "remove it; see Pulumi.example.yaml for the keys")
                raise ConfigError(key, "(set)", "unknown config key", fix)


def refuse_unknown_fields(key: str, value: Mapping[str, object], known: Iterable[str], what: str) -> None:
    """Fail on the first field of an object that no parser reads (usually a typo), naming the known ones."""
    known = list(known)
    unknown = sorted(set(value) - set(known))
    if unknown:
        raise ConfigError(f"{key}.{unknown[0]}", "(set)", f"unknown {what} field",
                          f"use one of {', '.join(known)}")


def _huge(value: object) -> bool:
    """An integer too long to be a real setting (str() of one over 4300 digits even raises)."""
    return isinstance(value, int) and abs(value) > 10**30


def _json(text: str, default: object) -> object:
    """A JSON value as the engine passes lists and objects, or `default` when the text is not JSON."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):  # JSONDecodeError, an integer of >4300 digits, deep nesting
        return default
