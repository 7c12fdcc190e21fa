"""audit: auditd records changes to Docker, the bot's secrets and data, sshd, sudo, logins (capped logs);
process accounting; package files verified weekly."""

from __future__ import annotations

from dataclasses import dataclass

from bothost.config import StackSpec
from bothost.facts.system import key_values, unit_command
from bothost.role import Changes, Check, CommandResult, FileChange, Outcome, RenderContext, Role
from bothost.templating import BANNER, render
from roles.bot.settings import SECRETS_DIR  # the bot's secret files and the deploy's digest key
from roles.expect import describe, expect_mapping, expect_units, failed

RULES_PATH = "/etc/audit/rules.d/audit.rules"  # Debian's own rules file: ours replaces it, nothing merges in
CONF_PATH = "/etc/audit/auditd.conf"
# Directories some rules watch that only exist once containerd/dockerd ran: created before auditd loads its
# rules at every boot (systemd-tmpfiles-setup runs before auditd.service), so the watches always attach.
TMPFILES_PATH = "/etc/tmpfiles.d/bothost-audit.conf"
DEBSUMS_DEFAULTS = "/etc/default/debsums"  # read by the debsums package's cron jobs
UNITS = ("auditd.service", "acct.service")
# journald also reads every kernel audit event through this socket: a second copy of auditd's log that
# floods the capped journal (~1300 entries in the first five minutes) and vacuums real logs out of it.
JOURNAL_AUDIT_SOCKET = "systemd-journald-audit.socket"
UNSET = "-1"  # how auditctl prints an unset login uid (4294967295): processes no person started
DOCKERD = "/usr/sbin/dockerd"  # Debian's path; image layers are unpacked by it (re-executed as docker-untar)


@dataclass(frozen=True)
class Rule:
    """One audit rule in the form `auditctl -l` prints it, so rendered and loaded rules compare as text."""

    text: str
    why: str  # the template's comment above it; CIS Docker Benchmark items cite their number
    listed: str = ""  # how `auditctl -l` prints it, where that differs from `text` ("" = the same)

    @property
    def loaded(self) -> str:
        """The rule as `auditctl -l` lists it once loaded."""
        return self.listed or self.text


def watch(path: str, perms: str, key: str, why: str) -> Rule:
    """A file or directory watch (recursive for a directory)."""
    return Rule(f"-w {path} -p {perms} -k {key}", why)


@dataclass(frozen=True)
class AuditSettings:
    """auditd's rules and its log limits; process accounting."""

    data_dir: str | None = None  # the bot's data directory (None: no bot configured)
    human_uid_min: int = 1000  # login uids from here are people (Debian's UID_MIN); services have none
    backlog: int = 8192  # kernel event buffer while auditd is busy (Debian's default; survives bursts)
    backlog_wait_ms: int = 60000  # how long a burst may block before events are dropped (Debian's default)
    failure_mode: int = 1  # on a lost event: printk, never panic a trading host
    # 1: auditing on (auditd leaves it off); not 2 (locked until reboot): first boot loads the rules twice.
    enabled: int = 1
    max_log_file: int = 25  # MB per audit log file
    num_logs: int = 8  # files kept: the audit log never exceeds 200 MB
    max_log_file_action: str = "ROTATE"  # rotate, never stop logging or halt the host
    space_left: int = 1024  # MB left on /var/log: say so in syslog (the journal)
    space_left_action: str = "SYSLOG"
    admin_space_left: int = 512  # MB left: stop writing audit logs, so the bot keeps its disk
    admin_space_left_action: str = "SUSPEND"  # not HALT/SINGLE: the bot must keep managing its orders
    disk_full_action: str = "SUSPEND"  # same reason: a full disk stops the audit log, not the host
    disk_error_action: str = "SYSLOG"  # report a failing disk; do not halt
    log_group: str = "adm"  # admins read the log without root (Debian's default)
    flush: str = "INCREMENTAL_ASYNC"  # fsync every `freq` records: little lost in a crash, little I/O
    freq: int = 50
    # Every installed package file checked against dpkg's checksums (a changed binary or library shows in
    # the journal, tag debsums); weekly, at idle I/O priority: a full pass reads every package file.
    package_check: str = "weekly"

    def debsums_defaults(self) -> str:
        """/etc/default/debsums: when the package's cron job checks."""
        return f"# {BANNER}\nCRON_CHECK={self.package_check}\n"

    def conf(self) -> dict[str, str]:
        """auditd.conf: what the template writes and the check reads back."""
        keys = ("log_group", "flush", "freq", "max_log_file", "num_logs", "max_log_file_action",
                "space_left", "space_left_action", "admin_space_left", "admin_space_left_action",
                "disk_full_action", "disk_error_action")
        return {key: str(getattr(self, key)) for key in keys}

    def rules(self) -> list[Rule]:
        """Every rule, in load order; paths that may be missing (the bot's) come last."""
        docker = "docker"
        humans = f"-F auid>={self.human_uid_min} -F auid!={UNSET}"
        rules = [
            watch("/usr/sbin/dockerd", "rwxa", docker, "CIS Docker 1.1.3: the Docker daemon (Debian's path)"),
            watch("/usr/bin/dockerd", "rwxa", docker, "CIS Docker 1.1.3: the benchmark's path (a binary "
                  "appearing there is recorded)"),
            watch("/run/containerd", "wa", docker, "CIS Docker 1.1.4: containerd's state"),
            docker_state_rule(docker),
            watch("/etc/docker", "wa", docker, "CIS Docker 1.1.6: Docker's configuration"),
            watch("/lib/systemd/system/docker.service", "wa", docker, "CIS Docker 1.1.7: docker.service"),
            watch("/run/containerd/containerd.sock", "wa", docker, "CIS Docker 1.1.8: containerd.sock"),
            watch("/lib/systemd/system/docker.socket", "wa", docker, "CIS Docker 1.1.9: docker.socket"),
            watch("/etc/default/docker", "wa", docker, "CIS Docker 1.1.10: /etc/default/docker"),
            watch("/etc/docker/daemon.json", "wa", docker, "CIS Docker 1.1.11: daemon.json"),
            watch("/etc/containerd/config.toml", "wa", docker, "CIS Docker 1.1.12: containerd's config"),
            # CIS Docker 1.1.13 (/etc/sysconfig/docker) is Red Hat's: Debian has no /etc/sysconfig.
            watch("/usr/bin/containerd", "rwxa", docker, "CIS Docker 1.1.14: containerd"),
            watch("/usr/bin/containerd-shim", "rwxa", docker, "CIS Docker 1.1.15: containerd-shim"),
            watch("/usr/bin/containerd-shim-runc-v1", "rwxa", docker, "CIS Docker 1.1.16: shim v1"),
            watch("/usr/bin/containerd-shim-runc-v2", "rwxa", docker, "CIS Docker 1.1.17: shim v2"),
            watch("/usr/sbin/runc", "rwxa", docker, "CIS Docker 1.1.18: runc (Debian's path)"),
            watch("/usr/bin/runc", "rwxa", docker, "CIS Docker 1.1.18: runc (the benchmark's path)"),
            watch("/etc/ssh/sshd_config", "wa", "sshd", "sshd's configuration: who may log in, and how"),
            watch("/etc/ssh/sshd_config.d", "wa", "sshd", "bothost's sshd drop-in lives here"),
            watch("/etc/sudoers", "wa", "sudoers", "who may become root"),
            watch("/etc/sudoers.d", "wa", "sudoers", "who may become root (cloud-init's admin rule is here)"),
            *(Rule(f"-a always,exit -F arch={arch} -S execve -F euid=0 {humans} -F key=root-commands",
                   f"every command a person runs as root (sudo keeps the login uid); {arch}: no bypass")
              for arch in ("b64", "b32")),
            watch("/var/log/lastlog", "wa", "logins", "logins"),
            watch("/var/run/faillock", "wa", "logins", "failed logins"),
            watch("/run/utmp", "wa", "session", "sessions"),
            watch("/var/log/wtmp", "wa", "session", "sessions"),
            watch("/var/log/btmp", "wa", "session", "failed sessions"),
            *(watch(f"/etc/{name}", "wa", "identity", "accounts and groups: a new account is persistence")
              for name in ("passwd", "group", "shadow", "gshadow")),
            watch("/etc/audit", "wa", "audit-config", "changes to auditing itself"),
            Rule("-a always,exit -F arch=b64 -S init_module,delete_module,finit_module -F key=modules",
                 "kernel modules loaded or removed"),
            watch(SECRETS_DIR, "rwa", "bothost-secrets", "the bot's secret files: every read and change"),
        ]
        if self.data_dir:
            rules.append(Rule(f"-a always,exit -S all -F dir={self.data_dir} -F perm=wa {humans} "
                              "-F key=bothost-data",
                              "the bot's data, changed by a person (the bot's own writes are its job)"))
        return rules


def docker_state_rule(key: str) -> Rule:
    """CIS Docker 1.1.5's watch of /var/lib/docker, without dockerd's own writes. Loading or pulling an image
    writes every one of its files there: the 280 MB Freqtrade image made ~100 MB of records, enough to rotate
    the capped audit log's older records (logins, root commands) out. Any other program's change is still
    recorded: a person's, or an escaped container's. auditd 3.0.9's `auditctl -l` prints `exe!=` as `exe=`."""
    rule = f"-a always,exit -S all -F dir=/var/lib/docker -F perm=wa -F exe!={DOCKERD} -F key={key}"
    return Rule(rule, "CIS Docker 1.1.5: images, containers, volumes, changed by anything but dockerd itself "
                "(its image unpacking would flood the capped log)", listed=rule.replace("exe!=", "exe="))


class AuditRole(Role):
    """auditd with bothost's rules and size-capped logs, plus kernel process accounting (acct)."""

    name = "audit"

    def settings(self, spec: StackSpec, context: RenderContext) -> AuditSettings:
        return AuditSettings(data_dir=spec.bot.data_dir if spec.bot else None)

    def changes(self, s: AuditSettings) -> Changes:
        tmpfiles = "".join(f"d {path} 0711 root root -\n" for path in ("/run/containerd", "/var/lib/docker"))
        return Changes(
            packages=("auditd", "acct", "debsums"),
            files=(FileChange(CONF_PATH, render("audit/auditd.conf.j2", s=s), mode="0640", compress=True),
                   FileChange(RULES_PATH, render("audit/audit.rules.j2", s=s), mode="0640", compress=True),
                   FileChange(TMPFILES_PATH, tmpfiles),
                   FileChange(DEBSUMS_DEFAULTS, s.debsums_defaults())),
            enable_units=UNITS,
            mask_units=(JOURNAL_AUDIT_SOCKET,),
            commands=(
                ("systemd-tmpfiles", "--create", TMPFILES_PATH),
                ("systemctl", "start", *UNITS),
                # auditd re-reads auditd.conf on SIGHUP; augenrules replaces the kernel's rules with ours.
                ("systemctl", "kill", "--signal=SIGHUP", "auditd.service"),
                ("augenrules", "--load"),
                # Masked with the other units' step; journald holds the socket it was given: it stops
                # reading audit events once the socket is stopped and journald restarted.
                ("systemctl", "stop", JOURNAL_AUDIT_SOCKET),
                ("systemctl", "restart", "systemd-journald"),
            ),
        )

    def checks(self, s: AuditSettings) -> list[Check]:
        states = {unit: {"UnitFileState": "enabled", "ActiveState": "active"} for unit in UNITS}
        states[JOURNAL_AUDIT_SOCKET] = {"UnitFileState": "masked", "ActiveState": "inactive"}
        expected_rules = [rule.loaded for rule in s.rules()]
        return [
            Check(id="aud-01", title="auditd and process accounting running; audit events not in the journal",
                  rationale="Without them no record exists of what was changed or run on the host; auditd's "
                            "own capped log holds the audit trail, so it cannot flood the journal.",
                  expected="; ".join(f"{unit}: {','.join(props.values())}" for unit, props in states.items()),
                  command=unit_command(*states), evaluate=expect_units(states)),
            Check(id="aud-02", title="The kernel audits, and auditd receives its events",
                  rationale="Rules only record anything while auditing is enabled and a daemon listens.",
                  expected=f"enabled {s.enabled}, auditd registered, failure {s.failure_mode}, "
                           f"backlog_limit {s.backlog}",
                  command=("auditctl", "-s"), evaluate=audit_status(s)),
            Check(id="aud-03", title="Loaded audit rules = rendered rules (CIS Docker 1.1.3-1.1.18)",
                  rationale="Docker's files and binaries, the bot's secrets and data, sshd, sudo and logins "
                            "are recorded; a rule removed at run time shows here.",
                  expected=f"{len(expected_rules)} rules", command=("auditctl", "-l"),
                  evaluate=rules_loaded(expected_rules)),
            Check(id="aud-04", title="Audit log rotation cannot fill the disk",
                  rationale=f"At most {s.max_log_file * s.num_logs} MB of audit log; low disk suspends "
                            "logging instead of halting the bot.",
                  expected=describe(s.conf()), command=("cat", CONF_PATH),
                  evaluate=expect_mapping(key_values, s.conf())),
            Check(id="aud-05", title="Package files are verified against dpkg's checksums",
                  rationale="A replaced binary or library (a rootkit's first step) shows in the journal.",
                  expected=f"CRON_CHECK={s.package_check}", command=("cat", DEBSUMS_DEFAULTS),
                  evaluate=expect_mapping(key_values, {"CRON_CHECK": s.package_check})),
        ]


def audit_status(s: AuditSettings):
    """Parser of `auditctl -s`: auditing enabled, a daemon registered, the failure mode and backlog set."""

    def evaluate(result: CommandResult) -> Outcome:
        failure = failed(result)
        if failure:
            return failure
        status = key_values(result.stdout, " ")
        enabled, pid = status.get("enabled", "?"), status.get("pid", "0")
        actual = (f"enabled {enabled}, pid {pid}, failure {status.get('failure', '?')}, "
                  f"backlog_limit {status.get('backlog_limit', '?')}")
        passed = (enabled == str(s.enabled) and pid.isdigit() and int(pid) > 0
                  and status.get("failure") == str(s.failure_mode)
                  and status.get("backlog_limit") == str(s.backlog))
        return Outcome(passed, actual)

    return evaluate


def rules_loaded(expected: list[str]):
    """Parser of `auditctl -l`: the loaded rules are exactly the expected ones, in order."""

    def evaluate(result: CommandResult) -> Outcome:
        failure = failed(result)
        if failure:
            return failure
        loaded = [" ".join(line.split()) for line in result.stdout.splitlines()
                  if line.strip() and line.strip() != "No rules"]
        if loaded == expected:
            return Outcome(True, f"{len(loaded)} rules")
        missing = [rule for rule in expected if rule not in loaded]
        extra = [rule for rule in loaded if rule not in expected]
        parts = [f"{len(loaded)} of {len(expected)} rules"]
        parts += [f"missing: {' | '.join(missing)}"] if missing else []
        parts += [f"unexpected: {' | '.join(extra)}"] if extra else []
        parts += [] if missing or extra else ["out of order"]
        return Outcome(False, "; ".join(parts)[:400])

    return evaluate
