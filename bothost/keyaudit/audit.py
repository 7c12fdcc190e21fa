"""The key audit: run the probe on the host (and, for Binance and Coinbase, here), judge, refuse bad keys.

result = audit(spec.exchange, credentials, remote, static_ip)
print(result.render()); result.raise_if_refused()
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from bothost.config.exchange import ExchangeSpec, resolve_credentials
from bothost.config.secrets import SecretSource
from bothost.errors import BothostError
from bothost.keyaudit.guide import GUIDES
from bothost.keyaudit.runner import LocalRunner, ProbeRunner, RemoteRunner
from bothost.keyaudit.verdict import Finding, judge_clock, judge_facts, judge_proof, judge_refusal
from bothost.secret import Credentials

if TYPE_CHECKING:
    from bothost.host import Host

PROBE_TIMEOUT = 15.0  # seconds per HTTP call inside the probe: exchanges answer in well under a second


class KeyAuditRefused(BothostError):
    """The exchange key must not be deployed; the message says what to change where."""


def credentials_from(spec: ExchangeSpec, source: SecretSource) -> Credentials:
    """Resolve the spec's key material (Pulumi CLI, environment or prompt; see bothost.config.secrets)."""
    return resolve_credentials(spec, source.resolve)


@dataclass(frozen=True)
class AuditResult:
    """Findings plus the raw (secret-free) probe reports."""

    exchange: str
    findings: tuple[Finding, ...]
    host_report: dict
    here_report: dict | None = None

    @property
    def refused(self) -> bool:
        """True when the key must not be deployed."""
        return any(f.level == "fail" for f in self.findings)

    def render(self) -> str:
        """One line per finding, worst first."""
        order = {"fail": 0, "warn": 1, "info": 2}
        marks = {"fail": "REFUSED", "warn": "WARNING", "info": "ok"}
        lines = [
            f"{marks[f.level]:>7}  {f.text}" for f in sorted(self.findings, key=lambda f: order[f.level])
        ]
        return f"Key audit ({GUIDES[self.exchange].title}):\n" + "\n".join(lines)

    def raise_if_refused(self) -> None:
        """Stop the deploy with the first reason (render() shows them all)."""
        failures = [f for f in self.findings if f.level == "fail"]
        if failures:
            more = f" (and {len(failures) - 1} more above)" if len(failures) > 1 else ""
            raise KeyAuditRefused(
                f"key audit refused the {GUIDES[self.exchange].title} key: "
                f"{failures[0].text}{more}. Nothing was deployed."
            )


def probe_request(spec: ExchangeSpec, creds: Credentials, api_base: str) -> bytes:
    """The probe's stdin: the only place the secret leaves this process, and only into a pipe."""
    return json.dumps(
        {
            "exchange": spec.exchange,
            "api_base": api_base,
            "timeout": PROBE_TIMEOUT,
            "key": creds.key.reveal(),
            "secret": creds.secret.reveal(),
            "passphrase": creds.passphrase.reveal() if creds.passphrase else "",
        }
    ).encode()


def audit(
    spec: ExchangeSpec,
    creds: Credentials,
    host: Host | ProbeRunner,
    static_ip: str,
    *,
    here: ProbeRunner | None = None,
    here_api_base: str | None = None,
) -> AuditResult:
    """Audit the key from the host (a Host or a ProbeRunner); Binance's and Coinbase's allowlists are also
    tried from here.

    here_api_base: where this machine reaches the exchange when that differs from the host's view (only in
    rehearsals and tests, where the host sees a local fake at 10.0.2.2).
    """
    guide = GUIDES[spec.exchange]
    runner = host if hasattr(host, "probe") else RemoteRunner(host)
    report = runner.probe(probe_request(spec, creds, spec.api_base), PROBE_TIMEOUT)
    findings = _judge(report, spec.exchange, static_ip, runner.where)
    here_report = None
    facts = report.get("facts") or {}
    proof = guide.ip_source == "proof" or (guide.ip_source == "flag" and facts.get("ip_restricted"))
    if report.get("status") == "ok" and proof:
        here = here or LocalRunner()
        here_report = here.probe(probe_request(spec, creds, here_api_base or spec.api_base), PROBE_TIMEOUT)
        findings += judge_proof(here_report, guide, static_ip)
    if spec.allow_unrestricted_key:
        findings = [_waive(f) for f in findings]
    return AuditResult(spec.exchange, tuple(findings), report, here_report)


def _judge(report: dict, exchange: str, static_ip: str, where: str) -> list[Finding]:
    guide, status = GUIDES[exchange], report.get("status")
    if status == "unreachable":
        return [
            Finding(
                "fail",
                "unreachable",
                f"cannot reach {guide.title} at {report.get('api_base')} from "
                f"{where}: {report.get('detail')}",
            )
        ]
    if status not in ("ok", "refused"):
        return [Finding("fail", "probe-error", f"the key audit failed on {where}: {report.get('detail')}")]
    findings = judge_clock(report.get("clock"), guide, where)
    if status == "refused":
        return [*findings, judge_refusal(report["error"], guide, static_ip)]
    return findings + judge_facts(report["facts"], exchange, guide, static_ip)


def _waive(finding: Finding) -> Finding:
    if finding.level != "fail" or not finding.waivable:
        return finding
    return replace(
        finding,
        level="warn",
        text=f"UNRESTRICTED KEY ALLOWED by bothost:allowUnrestrictedKey: {finding.text}",
    )
