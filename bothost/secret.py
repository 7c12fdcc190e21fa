"""A value that never shows itself in str, repr, logs or exceptions."""

from __future__ import annotations

from dataclasses import dataclass

REDACTED = "***"


class Secret:
    """Wraps a secret string; only `reveal()` returns it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if isinstance(value, Secret):
            value = value.reveal()
        self._value = value

    def reveal(self) -> str:
        """Return the secret itself; call only where it goes into a 0600 file or a signature."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret({REDACTED})"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> object:
        raise TypeError("a Secret is not pickled; pass it through a 0600 file or Pulumi secret")


@dataclass(frozen=True)
class Credentials:
    """An exchange API key, resolved (never Encrypted) and wrapped: audited, then handed to the bot."""

    key: Secret
    secret: Secret
    passphrase: Secret | None = None

    def files(self) -> dict[str, Secret]:
        """The key material by the file name the bot reads it from."""
        named = {"exchange_api_key": self.key, "exchange_api_secret": self.secret,
                 "exchange_passphrase": self.passphrase}
        return {name: value for name, value in named.items() if value}
