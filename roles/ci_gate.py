"""ci_gate: the host admits a CI runner's /32 to SSH only while the Hetzner firewall has its CI opening."""

from __future__ import annotations

import json
from dataclasses import dataclass

from bothost.config import StackSpec
from bothost.infra.policy import selector
from bothost.role import Changes, Check, FileChange, Outcome, RenderContext, Role, expect_equal
from bothost.templating import TEMPLATE_DIR, render


@dataclass(frozen=True)
class CiGateSettings:
    """Where the gate reads CI openings from and which nft set it fills."""

    selector: str  # label selector of the stack's firewall (managed-by=bothost,stack=<stack>)
    ssh_port: int  # only openings for this port are mirrored
    table: str = "inet bothost"  # the firewall role's table
    set_name: str = "ci_v4"  # the firewall role admits SSH from this set; fw-02 proves its timeouts
    api: str = "https://api.hetzner.cloud/v1"  # Hetzner Cloud API
    token_path: str = "/etc/bothost/ci-gate.token"  # READ-ONLY token, 0600 root; absent = gate off
    config_path: str = "/etc/bothost/ci-gate.json"  # the settings above, for the script
    script_path: str = "/usr/local/sbin/bothost-ci-gate"  # the sync script (stdlib only)
    interval_seconds: int = 20  # how soon an opening reaches the host; 180 API reads an hour
    max_seconds: int = 7200  # no element lives longer than the longest CI window (bothost ci-ssh: 120 min)


class CiGateRole(Role):
    """A timer that mirrors `bothost-ci` firewall rules into an nft set with timeouts."""

    name = "ci_gate"

    def settings(self, spec: StackSpec, context: RenderContext) -> CiGateSettings:
        return CiGateSettings(selector=selector(spec.stack), ssh_port=spec.host.ssh_port)

    def changes(self, s: CiGateSettings) -> Changes:
        config = {"selector": s.selector, "ssh_port": s.ssh_port, "table": s.table, "set": s.set_name,
                  "api": s.api, "token_path": s.token_path, "max_seconds": s.max_seconds}
        script = (TEMPLATE_DIR / "ci_gate/bothost-ci-gate.py").read_text()
        return Changes(
            files=(
                FileChange(s.script_path, script, mode="0755", compress=True),
                FileChange(s.config_path, json.dumps(config, indent=2) + "\n"),
                FileChange("/etc/systemd/system/bothost-ci-gate.service",
                           render("ci_gate/bothost-ci-gate.service.j2", s=s)),
                FileChange("/etc/systemd/system/bothost-ci-gate.timer",
                           render("ci_gate/bothost-ci-gate.timer.j2", s=s)),
            ),
            enable_units=("bothost-ci-gate.timer",),
            commands=(("systemctl", "start", "bothost-ci-gate.timer"),),
        )

    def checks(self, s: CiGateSettings) -> list[Check]:
        return [
            Check(id="ci-01", title="CI gate timer enabled",
                  rationale="CI openings reach the host only through the gate, and leave it when closed.",
                  expected="enabled", command=("systemctl", "is-enabled", "bothost-ci-gate.timer"),
                  evaluate=expect_equal("enabled")),
            Check(id="ci-03", title="CI gate token readable by root only",
                  rationale="The token reads the project; only root may read it (absent: gate off).",
                  expected="absent or 600 root", command=("sh", "-c", 'stat -c "%a %U" "$1" 2>/dev/null || '
                                                          'echo absent', "stat", s.token_path),
                  evaluate=lambda r: Outcome(r.stdout.strip() in ("absent", "600 root"), r.stdout.strip())),
        ]

