"""watch: the watcher runs as its own sandboxed system user, alarms on trades the bot did not make, SSH logins
and host trouble; a root timer reads for it what only root may (the bot's docker state)."""

from __future__ import annotations

from dataclasses import dataclass

from bothost.config import StackSpec
from bothost.facts.files import parse_stat
from bothost.facts.system import key_values, unit_command
from bothost.role import Changes, Check, CommandResult, FileChange, Outcome, RenderContext, Role
from bothost.templating import BANNER, TEMPLATE_DIR, render
from roles.bot import freqtrade, hummingbot
from roles.bot.presets import stack_bot_settings
from roles.bot.settings import SECRETS_DIR
from roles.expect import describe, expect_mapping, expect_units, failed

UNIT = "bothost-watch.service"
TEST_UNIT = "bothost-watch-test.service"  # `bothost alert test`: one message per channel, same sandbox
STATUS_UNIT = "bothost-watch-status.service"
STATUS_TIMER = "bothost-watch-status.timer"
STOP_PATH = "bothost-watch-stop.path"  # starts the root helper the moment the watcher asks for a stop
VERIFY_UNIT = "bothost-watch-verify.service"  # the roles' checks, run on the host for the drift alarm
VERIFY_TIMER = "bothost-watch-verify.timer"
TRIGGERS = (STATUS_TIMER, STOP_PATH, VERIFY_TIMER)  # what starts the root helpers
ENABLED_UNITS = (UNIT, *TRIGGERS)  # enabled and active on a watched host (wat-02)
UNIT_DIR = "/etc/systemd/system"
# The container port where each preset's bot answers its orders (published on the host's loopback).
BOT_API_PORTS = {"freqtrade": freqtrade.API_PORT, "hummingbot": hummingbot.ORDERS_PORT}
SYSUSERS_PATH = "/etc/sysusers.d/bothost-watch.conf"


@dataclass(frozen=True)
class WatchSettings:
    """The watcher's identity, files, limits and sandbox, and what it watches (from bothost:watch)."""

    channels: tuple[str, ...]
    policy: str  # alert, or stop: ask the root helper for a graceful docker stop on a trade alarm
    poll_seconds: int
    heartbeat: bool
    telegram_chat_id: str | None
    telegram_api: str
    pairs: tuple[str, ...]  # for bots the watcher cannot ask (freqtrade and hummingbot report theirs)
    disk_percent: int
    memory_percent: int
    exchange: str | None = None  # the exchange it reads fills or balances from (None: host alarms only)
    api_base: str | None = None
    container: str | None = None  # the bot's container (None: no bot)
    stop_grace: int = 90  # the bot's grace period: the stop policy stops it as gracefully as `bothost stop`
    bot_api_url: str | None = None  # where the bot answers its orders, on the host's loopback
    bot_api_kind: str | None = None  # whose API that is: freqtrade (its REST API) or hummingbot (bothost's)
    bot_api_user: str = "freqtrader"
    user: str = "bothost-watch"  # a system account of its own: not the bot's uid, not the admin
    journal_group: str = "systemd-journal"  # reads the journal (sshd's logins) without root; no other group
    code_path: str = "/usr/local/lib/bothost/watch.pyz"  # root-owned, shipped by deploy (no secret in it)
    config_dir: str = "/etc/bothost/watch"  # root 0700: config and tokens, handed over as systemd credentials
    state_dir: str = "/var/lib/bothost-watch"  # 0700, its only writable place
    status_path: str = "/run/bothost-watch/status.json"  # written by the root timer, read by the watcher
    status_script: str = "/usr/local/sbin/bothost-watch-status"
    status_seconds: int = 60  # the root helper's pace: bot state and stop requests within a minute
    # The drift check: every role's host-side check, run on the host as root this often (`bothost verify`'s
    # checks minus those that need a login from outside); a failed one is an alarm (watch.verifyMinutes).
    verify_seconds: int = 900
    verify_code_path: str = "/usr/local/lib/bothost/verify.pyz"  # root-owned, shipped by deploy
    checks_spec: str = ""  # the stack spec the checks come from, secrets redacted (bothost/verify/onhost.py)
    memory_max: str = "128M"  # a tick peaks at 37 MB (bench/watch_tick.py); a leak is cut off early
    cpu_quota: str = "20%"  # one poll a minute needs far less; a busy loop cannot starve the bot
    tasks_max: int = 16  # the watcher plus a journalctl child; a fork bomb stops here
    bot_secrets_dir: str = SECRETS_DIR  # hidden from the watcher's namespace even though root 0700

    @property
    def config_path(self) -> str:
        """The watcher's settings (JSON, no secret)."""
        return f"{self.config_dir}/config.json"

    @property
    def stop_request_path(self) -> str:
        """The watcher's stop request: only its presence counts; the root helper acts on it and removes it."""
        return f"{self.state_dir}/stop-request"

    @property
    def verify_spec_path(self) -> str:
        """The redacted stack spec the host's drift check reads (root 0600)."""
        return f"{self.config_dir}/verify-spec"

    @property
    def verify_report_path(self) -> str:
        """The drift check's verdicts, next to the status file; read by the watcher."""
        return self.status_path.rsplit("/", 1)[0] + "/verify.json"

    @property
    def secrets_path(self) -> str:
        """The watcher's tokens and read key (JSON, root 0400)."""
        return f"{self.config_dir}/secrets.json"

    def config(self) -> dict[str, object]:
        """The settings the watcher reads (bothost/watch/main.py)."""
        return {
            "channels": list(self.channels),
            "telegram_chat_id": self.telegram_chat_id,
            "telegram_api": self.telegram_api,
            "policy": self.policy,
            "poll_seconds": self.poll_seconds,
            "heartbeat": self.heartbeat,
            "pairs": list(self.pairs),
            "disk_percent": self.disk_percent,
            "memory_percent": self.memory_percent,
            "disk_paths": ["/", "/var/lib/docker"],
            "status_path": self.status_path,
            "verify_path": self.verify_report_path,
            "verify_stale_s": 2 * self.verify_seconds + 600,  # one missed run, and the slowest run's time
            "stop_request": self.stop_request_path,
            "exchange": {"name": self.exchange, "api_base": self.api_base} if self.exchange else None,
            "bot": (
                {"kind": self.bot_api_kind, "api_url": self.bot_api_url, "api_user": self.bot_api_user}
                if self.bot_api_url
                else {}
            ),
        }

    def sandbox(self) -> dict[str, str]:
        """What `systemctl show` reports for the watcher's identity, limits and sandbox."""
        quota_ms = int(self.cpu_quota.rstrip("%")) * 10
        size = {"K": 1024, "M": 1024**2, "G": 1024**3}
        return {
            "User": self.user,
            "SupplementaryGroups": self.journal_group,
            "MemoryMax": str(int(self.memory_max[:-1]) * size[self.memory_max[-1]]),
            "CPUQuotaPerSecUSec": f"{quota_ms}ms",
            "TasksMax": str(self.tasks_max),
            "ProtectSystem": "strict",
            "ProtectHome": "yes",
            "PrivateTmp": "yes",
            "PrivateDevices": "yes",
            "NoNewPrivileges": "yes",
            "ReadWritePaths": self.state_dir,
            "CapabilityBoundingSet": "",
            "StateDirectoryMode": "0700",
            "UMask": "0077",
        }


class WatchRole(Role):
    """The watcher's account, units and root helper (installed by deploy), and the checks that prove them."""

    name = "watch"

    def settings(self, spec: StackSpec, context: RenderContext) -> WatchSettings | None:
        w = spec.watch
        if w is None:
            return None
        bot = stack_bot_settings(spec) if spec.bot else None
        inner = BOT_API_PORTS.get(bot.preset) if bot else None
        api = next((port for _ip, port, port_in in bot.published if port_in == inner), None) if bot else None
        return WatchSettings(
            channels=w.channels, policy=w.policy, poll_seconds=w.poll_seconds, heartbeat=w.heartbeat,
            telegram_chat_id=w.telegram_chat_id, telegram_api=w.telegram_api, pairs=w.pairs,
            disk_percent=w.disk_percent, memory_percent=w.memory_percent,
            verify_seconds=60 * w.verify_minutes,
            exchange=spec.exchange.exchange if spec.exchange else None,
            api_base=spec.exchange.api_base if spec.exchange else None,
            container=bot.container if bot else None, stop_grace=bot.stop_grace_period if bot else 90,
            bot_api_url=f"http://127.0.0.1:{api}" if api else None,
            bot_api_kind=bot.preset if api else None,
        )

    def changes(self, s: WatchSettings | None) -> Changes:
        # Nothing at first boot: its units and helper (unit_files, ~6 KB of user_data) would break Hetzner's
        # 32 KiB cap, and the watcher cannot run before deploy ships its code and tokens anyway. Deploy
        # writes all of it over SSH (bothost/deploy/watch.py) and acts only on differences.
        return Changes()

    def checks(self, s: WatchSettings | None) -> list[Check]:
        if s is None:
            return []
        units = {unit: {"UnitFileState": "enabled", "ActiveState": "active"} for unit in ENABLED_UNITS}
        private = {s.state_dir: ("0700", s.user), s.config_dir: ("0700", "root"),
                   s.secrets_path: ("0400", "root"), s.verify_spec_path: ("0600", "root")}
        return [
            Check(id="wat-01", title="The watcher has a system account of its own",
                  rationale="Not the bot's uid nor the admin's: a bug in one cannot act as the other; only "
                            "the journal group, so no docker socket and no sudo.",
                  expected=f"system uid, groups {s.user},{s.journal_group}", command=("id", s.user),
                  evaluate=own_account(s)),
            Check(id="wat-02", title="Watcher and its root helper enabled and running",
                  rationale="Started at boot, back after a crash: alarms need a running watcher.",
                  expected=describe({u: "enabled,active" for u in units}), command=unit_command(*units),
                  evaluate=expect_units(units)),
            Check(id="wat-03", title="Watcher sandboxed with its own limits",
                  rationale="A compromised or runaway watcher can write only its state, gains no privilege "
                            "and cannot starve the bot.",
                  expected=describe(s.sandbox()),
                  command=("systemctl", "show", UNIT, "--property=" + ",".join(s.sandbox())),
                  evaluate=expect_mapping(key_values, s.sandbox())),
            Check(id="wat-04", title="Watcher's state, config and tokens private",
                  rationale="Its state only it reads; its tokens only root (systemd hands them over).",
                  expected="; ".join(f"{p} {m} {o}" for p, (m, o) in private.items()),
                  command=("stat", "-c", "%n %a %U", "--", *private), evaluate=private_files(private)),
            Check(id="wat-05", title="The watcher process runs as its own user",
                  rationale="The unit says so; this proves the running process does.",
                  expected=s.user, command=("sh", "-c", 'ps -o user:32= -p "$(systemctl show -p MainPID '
                                            '--value "$1")"', "sh", UNIT),
                  evaluate=lambda r: Outcome(r.exit_status == 0 and r.stdout.strip() == s.user,
                                             r.stdout.strip() or f"exit {r.exit_status}")),
        ]


def unit_files(s: WatchSettings) -> tuple[FileChange, ...]:
    """The account, the units and the root helper, as deploy writes them when they differ."""
    return (
        FileChange(SYSUSERS_PATH, sysusers(s)),
        FileChange(f"{UNIT_DIR}/{UNIT}", render("watch/bothost-watch.service.j2", s=s, test=False)),
        FileChange(f"{UNIT_DIR}/{TEST_UNIT}", render("watch/bothost-watch.service.j2", s=s, test=True)),
        FileChange(f"{UNIT_DIR}/{STATUS_UNIT}", render("watch/bothost-watch-status.service.j2", s=s)),
        FileChange(f"{UNIT_DIR}/{STATUS_TIMER}", render("watch/bothost-watch-status.timer.j2", s=s)),
        FileChange(f"{UNIT_DIR}/{STOP_PATH}",
                   render("watch/bothost-watch-stop.path.j2", s=s, status_unit=STATUS_UNIT)),
        FileChange(f"{UNIT_DIR}/{VERIFY_UNIT}", render("watch/bothost-watch-verify.service.j2", s=s)),
        FileChange(f"{UNIT_DIR}/{VERIFY_TIMER}", render("watch/bothost-watch-verify.timer.j2", s=s)),
        FileChange(s.status_script, (TEMPLATE_DIR / "watch/bothost-watch-status.py").read_text(),
                   mode="0755"),
    )


def sysusers(s: WatchSettings) -> str:
    """systemd-sysusers: a system account (uid below 1000, no home, no shell) in the journal group."""
    return (f"# {BANNER}\nu {s.user} - \"bothost watcher\" /nonexistent /usr/sbin/nologin\n"
            f"m {s.user} {s.journal_group}\n")


def own_account(s: WatchSettings):
    """Parser of `id USER`: a system uid (1-999), its own group, and the journal group, nothing else."""

    def evaluate(result: CommandResult) -> Outcome:
        failure = failed(result)
        if failure:
            return failure
        fields = dict(part.split("=", 1) for part in result.stdout.split() if "=" in part)
        uid = int(fields.get("uid", "-1(").split("(")[0])
        groups = sorted(g.split("(")[1].rstrip(")") for g in fields.get("groups", "").split(",") if "(" in g)
        actual = f"uid {uid}, groups {','.join(groups)}"
        return Outcome(0 < uid < 1000 and groups == sorted({s.user, s.journal_group}), actual)

    return evaluate


def private_files(expected: dict[str, tuple[str, str]]):
    """Parser of `stat -c '%n %a %U'`: each path with its mode and owner."""

    def evaluate(result: CommandResult) -> Outcome:
        seen = parse_stat(result)
        wrong = [f"{path} {' '.join(seen.get(path, ('missing',)))}" for path, want in expected.items()
                 if seen.get(path) != want]
        if wrong:
            return Outcome(False, "; ".join(wrong))
        return Outcome(True, "; ".join(f"{p} {m} {o}" for p, (m, o) in expected.items()))

    return evaluate

