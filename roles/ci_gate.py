"""ci_gate: the host admits a CI runner's /32 to SSH only while the Hetzner firewall has its CI opening."""

from __future__ import annotations

import json
from dataclasses import dataclass

from bothost.config import StackSpec
from bothost.facts.files import mode_owner_argv, parse_mode_owner
from bothost.facts.system import unit_command
from bothost.infra.policy import selector
from bothost.role import Changes, Check, CommandResult, FileChange, Outcome, RenderContext, Role
from bothost.templating import TEMPLATE_DIR, render
from roles.expect import expect_units

TIMER = "bothost-ci-gate.timer"


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
            enable_units=(TIMER,),
            commands=(("systemctl", "start", TIMER),),
        )

    def checks(self, s: CiGateSettings) -> list[Check]:
        return [
            Check(id="ci-01", title="CI gate timer enabled and running",
                  rationale="CI openings reach the host only through the gate, and leave it when closed.",
                  expected=f"{TIMER}: enabled,active", command=unit_command(TIMER),
                  evaluate=expect_units({TIMER: {"UnitFileState": "enabled", "ActiveState": "active"}})),
            Check(id="ci-03", title="CI gate token readable by root only",
                  rationale="The token reads the project; only root may read it (absent: gate off).",
                  expected="absent or 600 root", command=mode_owner_argv(s.token_path),
                  evaluate=token_private),
        ]


def token_private(result: CommandResult) -> Outcome:
    """Parser of `mode_owner_argv(token)`: the token is absent (gate off) or 0600 and root's."""
    mode, owner = next(iter(parse_mode_owner(result).values()), ("unreadable", ""))
    actual = f"{mode} {owner}".strip()
    return Outcome(mode == "absent" or (mode == "0600" and owner.startswith("root:")), actual)

