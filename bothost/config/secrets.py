"""Resolve `secure:` stack values for the CLI: Pulumi CLI, then environment variables, then a hidden prompt.

Order: a value already readable is used as is; an Encrypted one is decrypted by
`pulumi config --show-secrets --json --stack NAME` (run in the stack file's directory; the values come
back on stdout, never on argv); without the Pulumi CLI, the environment variable named after the key
(`bothost:exchangeApiSecret` -> BOTHOST_EXCHANGE_API_SECRET) is read; failing that, an interactive
terminal is asked with a hidden prompt.
"""

from __future__ import annotations

import getpass
import os
import re
import shutil
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from bothost.config.raw import Encrypted
from bothost.config.stackfile import stack_name
from bothost.errors import BothostError
from bothost.secret import Secret


def env_name(key: str) -> str:
    """The variable that may carry a config secret: bothost:exchangeApiKey -> BOTHOST_EXCHANGE_API_KEY.

    A path into an object key joins its parts: bothost:botSecrets.telegramToken ->
    BOTHOST_BOT_SECRETS_TELEGRAM_TOKEN.
    """
    namespace, _, name = key.partition(":")
    parts = [re.sub(r"(?<!^)(?=[A-Z])", "_", part) for part in name.split(".")]
    return "_".join([namespace, *parts]).upper()


class SecretSource:
    """Decrypts a stack's secrets once per source (one Pulumi CLI call), with the fallbacks above."""

    def __init__(
        self,
        stack_file: Path,
        *,
        environ: Mapping[str, str] | None = None,
        pulumi: str | None = None,
        prompt: Callable[[str], str] | None = None,
    ) -> None:
        self.stack_file = Path(stack_file)
        self.environ = os.environ if environ is None else environ
        self.pulumi = shutil.which("pulumi") if pulumi is None else pulumi or None
        self.prompt = prompt if prompt is not None else (_hidden_prompt if sys.stdin.isatty() else None)
        self._decrypted: dict[str, object] | None = None

    def resolve(self, value: Secret | Encrypted | None, key: str) -> Secret:
        """The plain secret for a config key, or a BothostError saying how to provide it."""
        if isinstance(value, Secret):
            return value
        if isinstance(value, str):
            return Secret(value)
        if self.pulumi:
            found = self._from_pulumi().get(key)
            if found is not None:
                return Secret(str(found))
        variable = env_name(key)
        if self.environ.get(variable):
            return Secret(self.environ[variable])
        if self.prompt is not None:
            answer = self.prompt(f"{key} (input hidden): ")
            if answer:
                return Secret(answer)
        how = (
            "set it with `pulumi config set --secret " + key + "`"
            if value is None
            else "it is encrypted in the stack file and the Pulumi CLI is not available"
        )
        raise BothostError(f"{key}: no value ({how}); export {variable} or run interactively to be asked")

    def _from_pulumi(self) -> dict[str, object]:
        """All config values of the stack, decrypted by the Pulumi CLI (stdout only)."""
        if self._decrypted is None:
            from bothost.stack import decrypted_config

            stack = stack_name(self.stack_file)
            self._decrypted = decrypted_config(self.pulumi, stack, self.stack_file.parent)
        return self._decrypted


def _hidden_prompt(text: str) -> str:
    return getpass.getpass(text)
