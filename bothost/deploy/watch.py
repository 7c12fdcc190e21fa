"""Install the watcher over SSH: its account, units and helper (roles/watch), its code, config and tokens;
act only on files that differ; restart it only when something changed."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, replace

from bothost.config.exchange import resolve_credentials
from bothost.config.raw import Encrypted
from bothost.config.watch import WATCH_SECRETS_KEY
from bothost.deploy.ops import bot_secret_key
from bothost.errors import BothostError
from bothost.facts.files import parse_sha256sum_paths, parse_stat, sha256_argv, stat_argv
from bothost.host import Host, audit_line
from bothost.keyaudit.bundle import verify_bundle, watch_bundle
from bothost.progress import Report
from bothost.role import from_wire
from bothost.secret import Secret
from roles.bot.hummingbot import orders_token
from roles.watch import ENABLED_UNITS, SYSUSERS_PATH, TRIGGERS, UNIT, UNIT_DIR, WatchSettings, unit_files

Resolve = Callable[[Secret | Encrypted | None, str], Secret]


@dataclass(frozen=True)
class WatchFile:
    """One file the watcher needs on the host; secret content stays a Secret until it is written."""

    path: str
    content: bytes | Secret
    mode: str = "0644"

    def data(self) -> bytes:
        """The bytes to write (revealed only here, on their way to stdin)."""
        return self.content.reveal().encode() if isinstance(self.content, Secret) else self.content


def watch_secrets(spec: object, resolve: Resolve, note: Report = lambda _: None) -> Secret:
    """The watcher's secrets.json: channel tokens, a read key (its own read-only one, else the bot's with a
    warning), and what reads the bot's orders: freqtrade's API password, hummingbot's orders token."""
    values = {
        name: resolve(value, f"{WATCH_SECRETS_KEY}.{name}").reveal() for name, value in spec.watch.secrets
    }
    if spec.exchange is not None and "exchangeApiKey" not in values:
        note(
            "warning: the watcher reads the exchange with the bot's own key; give it a read-only key "
            f"({WATCH_SECRETS_KEY}.exchangeApiKey/Secret), so the watcher holds no key that can trade"
        )
        creds = resolve_credentials(spec.exchange, resolve)
        values["exchangeApiKey"], values["exchangeApiSecret"] = creds.key.reveal(), creds.secret.reveal()
        if creds.passphrase:
            values["exchangePassphrase"] = creds.passphrase.reveal()
    bot_secrets = dict(spec.bot.secrets) if spec.bot is not None else {}
    preset = spec.bot.preset if spec.bot is not None else None
    if preset == "freqtrade" and "apiPassword" in bot_secrets:
        values["apiPassword"] = resolve(bot_secrets["apiPassword"], bot_secret_key("apiPassword")).reveal()
    if preset == "hummingbot" and "configPassword" in bot_secrets:
        password = resolve(bot_secrets["configPassword"], bot_secret_key("configPassword")).reveal()
        values["botOrdersToken"] = orders_token(password)
    return Secret(json.dumps(values, sort_keys=True))


def wanted_files(s: WatchSettings, secrets: Secret) -> list[WatchFile]:
    """Everything deploy keeps in place for the watcher."""
    units = [WatchFile(f.path, f.content.encode(), f.mode) for f in unit_files(s)]
    return [
        *units,
        WatchFile(s.code_path, watch_bundle()),
        WatchFile(s.verify_code_path, verify_bundle()),
        WatchFile(s.verify_spec_path, s.checks_spec.encode(), "0600"),
        WatchFile(s.config_path, (json.dumps(s.config(), indent=2, sort_keys=True) + "\n").encode(), "0600"),
        WatchFile(s.secrets_path, secrets, "0400"),
    ]


def converge_watch(host: Host, s: WatchSettings, secrets: Secret, note: Report = lambda _: None) -> list[str]:
    """Bring the watcher to what `s` says, under the host's deploy lock; returns the paths written."""
    with host.lock():
        return _converge(host, s, secrets, note)


def _converge(host: Host, s: WatchSettings, secrets: Secret, note: Report) -> list[str]:
    files = wanted_files(s, secrets)
    paths = [f.path for f in files]
    host.check(["install", "-d", "-m", "0700", "-o", "root", "-g", "root", s.config_dir])
    host.check(["install", "-d", "-m", "0755", "-o", "root", "-g", "root", s.code_path.rsplit("/", 1)[0]])
    # Parents a minimal image may lack (Debian's systemd does not ship /etc/sysusers.d); existing ones keep
    # their owner and mode (/usr/local/sbin is root:staff 2775 on Debian).
    host.check(["mkdir", "-p", "--", *sorted({path.rsplit("/", 1)[0] for path in paths} - {s.config_dir})])
    digests = parse_sha256sum_paths(host.run(sha256_argv(paths)))
    modes = parse_stat(host.run(stat_argv(paths)))
    written = []
    for f in files:
        wanted = (hashlib.sha256(f.data()).hexdigest(), (f.mode, "0:0"))  # compared here, never printed
        if (digests.get(f.path), modes.get(f.path)) != wanted:
            host.write_file(f.path, f.data(), mode=f.mode, owner="0:0")
            written.append(f.path)
    if SYSUSERS_PATH in written or host.run(["id", s.user]).exit_status != 0:
        host.check(["systemd-sysusers", SYSUSERS_PATH])
    if any(p.startswith(UNIT_DIR + "/") for p in written):
        host.check(["systemctl", "daemon-reload"])
    host.check(["systemctl", "enable", "--quiet", *ENABLED_UNITS])
    host.check(["systemctl", "start", *TRIGGERS])
    active = host.run(["systemctl", "is-active", "--quiet", UNIT]).exit_status == 0
    if written or not active:
        host.check(["systemctl", "restart", UNIT])
        changed = ",".join(p.rsplit("/", 1)[1] for p in written) or "restart"
        note(f"watcher: {changed}")
        host.audit(audit_line("watch.install", changed=changed))
    if host.run(["systemctl", "is-active", "--quiet", UNIT]).exit_status != 0:
        detail = host.run(["journalctl", "-u", UNIT, "-n", "5", "--no-pager", "-o", "cat"]).stdout.strip()
        raise BothostError(f"the watcher did not start: {detail[-300:]}")
    return written


def watch_settings(spec: object) -> WatchSettings:
    """The watcher's settings from a StackSpec (the same object roles/watch verifies), with the redacted
    spec its drift check reads the roles' checks from."""
    from bothost.role import RenderContext
    from bothost.verify.onhost import encode_spec
    from roles.watch import WatchRole

    settings = WatchRole().settings(spec, RenderContext())
    if settings is None:
        raise BothostError("bothost:watch is not set: there is no watcher (see README, Watch)")
    return replace(settings, checks_spec=encode_spec(spec))


def settings_from(data: dict) -> WatchSettings:
    """WatchSettings from its asdict() form as Pulumi state keeps it."""
    return WatchSettings(**from_wire(WatchSettings, data))
