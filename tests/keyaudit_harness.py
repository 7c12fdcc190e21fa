"""Run a whole key audit against a fake exchange, the probe running as it would on the host, and prove
that no secret shows up anywhere the audit produced."""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass

from fakes.exchanges import HERE_IP, HOST_IP, FakeExchange, KeyState
from fakes.local_remote import LocalRemote
from keyaudit_keys import key_for, passphrase_for, secret_for

from bothost.config.exchange import ExchangeSpec
from bothost.keyaudit.audit import AuditResult, audit
from bothost.keyaudit.runner import LocalRunner
from bothost.secret import Credentials, Secret


@dataclass
class Outcome:
    """The audit result plus everything it left behind that must stay secret-free."""

    result: AuditResult
    remote: LocalRemote
    fake: FakeExchange
    secrets: list[str]

    def codes(self, level: str | None = None) -> set[str]:
        """The finding codes (of one level)."""
        return {f.code for f in self.result.findings if level is None or f.level == level}

    def text(self, code: str) -> str:
        """The text of the finding with this code."""
        return next(f.text for f in self.result.findings if f.code == code)


def closed_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fragments(secret: str) -> list[str]:
    """The secret and each long line of it (a PEM leaks line by line)."""
    lines = [line.strip() for line in secret.splitlines() if len(line.strip()) > 16 and "-----" not in line]
    return [secret, *lines]


def assert_secret_free(texts: list[str], secrets: list[str]) -> None:
    """No secret (or secret line) in any of the texts."""
    for secret in secrets:
        for fragment in fragments(secret):
            for text in texts:
                assert fragment not in text, f"secret fragment leaked: {text[:200]}"


def run_audit(
    exchange: str,
    *,
    state: KeyState | None = None,
    offset_ms: int = 0,
    wrong_secret: bool = False,
    allow_unrestricted: bool = False,
    static_ip: str = HOST_IP,
    api_base: str | None = None,
    variant: str = "",
    secret_override: str | None = None,
) -> Outcome:
    """One audit of `exchange` through LocalRemote (the host) and LocalRunner (this machine)."""
    secret = secret_for(exchange, variant)
    used = secret_for(exchange, variant + "wrong") if wrong_secret else secret
    used = secret_override or used
    fake = FakeExchange(
        exchange, key_for(exchange), secret, passphrase_for(exchange), state=state, clock_offset_ms=offset_ms
    )
    host_base, here_base = fake.door(HOST_IP), fake.door(HERE_IP)
    passphrase = Secret(passphrase_for(exchange)) if passphrase_for(exchange) else None
    spec = ExchangeSpec(
        exchange,
        api_base or host_base,
        allow_unrestricted,
        Secret(key_for(exchange)),
        Secret(used),
        passphrase,
    )
    creds = Credentials(Secret(key_for(exchange)), Secret(used), passphrase)
    secrets = [key_for(exchange), secret, used] + ([passphrase_for(exchange)] if passphrase else [])
    try:
        with LocalRemote() as remote:
            result = audit(spec, creds, remote, static_ip, here=LocalRunner(), here_api_base=here_base)
    finally:
        fake.close()
    texts = [
        result.render(),
        json.dumps(result.host_report),
        json.dumps(result.here_report),
        *remote.commands,
        repr(result),
        repr(spec),
        repr(creds),
    ]
    try:
        result.raise_if_refused()
    except Exception as error:
        texts.append(str(error))
    assert_secret_free(texts, secrets)
    return Outcome(result, remote, fake, secrets)
