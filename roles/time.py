"""time: the clock stays synchronised, because exchanges reject signed requests from a skewed clock."""

from __future__ import annotations

from dataclasses import dataclass

from bothost.config import StackSpec
from bothost.facts.system import TIMEDATE_SHOW
from bothost.facts.timesync import timesync_servers_argv
from bothost.role import Changes, Check, FileChange, RenderContext, Role, expect_equal
from bothost.templating import render
from roles.expect import expect_property

CONF_PATH = "/etc/systemd/timesyncd.conf.d/10-bothost.conf"


@dataclass(frozen=True)
class TimeSettings:
    """Clock sync settings."""

    servers: tuple[str, ...]  # NTP servers; Hetzner's by default (close, and reachable with restrictEgress)
    poll_max_seconds: int = 1024  # upper poll bound; timesyncd's default 2048 lets drift grow longer


class TimeRole(Role):
    """NTP with systemd-timesyncd against the configured servers."""

    name = "time"

    def settings(self, spec: StackSpec, context: RenderContext) -> TimeSettings:
        return TimeSettings(servers=spec.host.ntp_servers)

    def changes(self, s: TimeSettings) -> Changes:
        return Changes(
            packages=("systemd-timesyncd",),
            files=(FileChange(CONF_PATH, render("time/timesyncd.conf.j2", s=s)),),
            enable_units=("systemd-timesyncd.service",),
            # Enabled and restarted: timedated then reports NTP=yes (what `timedatectl set-ntp true` does,
            # without starting timedated over D-Bus at first boot).
            commands=(("systemctl", "restart", "systemd-timesyncd.service"),),
        )

    def checks(self, s: TimeSettings) -> list[Check]:
        return [
            Check(
                id="time-01",
                title="NTP servers in effect",
                rationale="The clock follows the servers we chose, not a fallback pool.",
                expected=" ".join(s.servers),
                command=timesync_servers_argv(),
                evaluate=expect_equal(" ".join(s.servers)),
            ),
            Check(
                id="time-02",
                title="Clock synchronised",
                rationale="Exchanges reject signed requests whose timestamp is outside their receive window.",
                expected="yes",
                command=TIMEDATE_SHOW,
                evaluate=expect_property("NTPSynchronized", "yes"),
            ),
        ]
