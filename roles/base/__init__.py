"""base: the admin account, root locked away, locale, timezone, a persistent capped journal, clean boot."""

from __future__ import annotations

from dataclasses import dataclass

from bothost.config import StackSpec
from bothost.facts.files import cat_config_argv, key_fingerprints_argv, mode_owner_argv
from bothost.facts.system import TIMEDATE_SHOW, core_limit_argv, password_status_argv
from bothost.hostkeys import fingerprint
from bothost.role import Changes, Check, FileChange, RenderContext, Role, expect_equal
from bothost.templating import BANNER, render
from roles.base.parsers import (
    CRON_PATHS,
    cloud_init_done,
    journal_persistent,
    key_fingerprints,
    login_defs,
    pam_modules,
    password_locked,
    private_paths,
    session_timeout,
    sudo_nopasswd,
    system_locale,
)
from roles.expect import describe, expect_mapping, expect_property

JOURNALD_PATH = "/etc/systemd/journald.conf.d/10-bothost.conf"
# Debian's effective system locale: systemd-localed and pam_env read this file (cloud-init writes it).
LOCALE_PATH = "/etc/default/locale"
# cloud-init's own record (what `cloud-init status` reads, without its ~3 s of start-up): the stages'
# progress and errors, then the result it writes once the last stage has finished.
CLOUD_INIT_STATE = ("/run/cloud-init/status.json", "/run/cloud-init/result.json")
# Shown before every console and telnet-style login (Lynis BANN-7126/7130): access is restricted and recorded.
ISSUE_PATHS = ("/etc/issue", "/etc/issue.net")
LIMITS_PATH = "/etc/security/limits.d/10-bothost.conf"  # pam_limits: login, sshd and sudo sessions
COREDUMP_PATH = "/etc/systemd/coredump.conf.d/10-bothost.conf"  # for systemd-coredump, when installed
LOGIN_DEFS = "/etc/login.defs"
PROFILE_PATH = "/etc/profile.d/10-bothost.sh"  # read by every login shell (bash and sh)
# Where Debian's pam-auth-update enables the PAM modules the packages below bring.
PAM_FILES = ("/etc/pam.d/common-session", "/etc/pam.d/common-password")
# Removes group and other access from the paths that exist (a host without cron has none of them).
PRIVATE_PATHS = 'for p; do [ ! -e "$p" ] || chmod go-rwx "$p"; done'


@dataclass(frozen=True)
class BaseSettings:
    """Account and system basics."""

    admin_user: str  # the only login account; root never logs in
    admin_keys: tuple[str, ...]  # the public keys that may log in as the admin, and no others
    timezone: str = "UTC"  # reboot window and log timestamps are read in this zone
    locale: str = "C.UTF-8"  # built into glibc on Debian and Ubuntu images: needs no locale-gen
    shell: str = "/bin/bash"  # the admin's login shell
    journal_max_use: str = "200M"  # journald's disk cap; the bot's disk must never fill with logs
    journal_max_file_size: str = "32M"  # journal files rotate at this size, so vacuuming frees space early
    journal_retention: str = "3month"  # long enough to investigate an incident, no longer
    # Legal notice before login: unauthorised users are told access is restricted and recorded.
    issue: str = ("Authorised access only. This private system is monitored: all activity is logged and "
                  "audited, and unauthorised use is prohibited and may be reported to law enforcement.")
    umask: str = "027"  # files new accounts and sessions create are not world-readable
    # Password hashing work factor, should a password ever be set (none is: key-only logins).
    sha_crypt_rounds: int = 65536
    core_limit: int = 0  # no core dumps: a bot's core file would hold its exchange keys
    # An idle interactive shell closes after this many seconds, read-only (CIS Debian 12 5.4.3.2: <= 900).
    session_timeout: int = 900
    # PAM modules (enabled by their packages): a private $TMPDIR per user, so one account cannot plant or
    # read another's temporary files (Lynis DEB-0280); password strength rules, should a password ever be
    # set (dev-sec's default; Lynis AUTH-9262).
    pam_packages: tuple[str, ...] = ("libpam-tmpdir", "libpam-passwdqc")
    home_mode: str = "0750"  # the admin's home: no other account reads it (CIS 7.2.x, Lynis HOME-9304)

    def login_defs(self) -> dict[str, str]:
        """The /etc/login.defs values this role sets (in place, keeping the distribution's other lines)."""
        rounds = str(self.sha_crypt_rounds)
        return {"UMASK": self.umask, "SHA_CRYPT_MIN_ROUNDS": rounds, "SHA_CRYPT_MAX_ROUNDS": rounds}

    @property
    def home(self) -> str:
        """The admin's home directory, as cloud-init creates it."""
        return f"/home/{self.admin_user}"


class BaseRole(Role):
    """The admin user (key-only, sudo without password, password locked) and system basics."""

    name = "base"

    def settings(self, spec: StackSpec, context: RenderContext) -> BaseSettings:
        return BaseSettings(admin_user=spec.host.admin_user, admin_keys=spec.host.admin_ssh_keys,
                            timezone=spec.host.timezone)

    def changes(self, s: BaseSettings) -> Changes:
        core = f"# {BANNER}\n# No core dumps: a crashing bot's memory holds its keys.\n"
        # The distribution's `KEY value` lines go, ours are appended (`$a` first: it still fires when the
        # last line is deleted); comments stay. Running it twice gives the same file.
        edits = ["-e", "$a " + r"\n".join(f"{key} {value}" for key, value in s.login_defs().items())]
        edits += [arg for key in s.login_defs() for arg in ("-e", rf"/^{key}\s/d")]
        profile = (f"# {BANNER}\n# Idle interactive shells close; no core dumps from login sessions.\n"
                   f"TMOUT={s.session_timeout}\nreadonly TMOUT\nexport TMOUT\nulimit -c {s.core_limit}\n")
        return Changes(
            packages=("sudo", *s.pam_packages),
            files=(FileChange(JOURNALD_PATH, render("base/journald.conf.j2", s=s), compress=True),
                   *(FileChange(path, s.issue + "\n") for path in ISSUE_PATHS),
                   FileChange(LIMITS_PATH, core + "".join(f"* {kind} core {s.core_limit}\n"
                                                          for kind in ("hard", "soft"))),
                   FileChange(COREDUMP_PATH, core + "[Coredump]\nStorage=none\nProcessSizeMax=0\n"),
                   FileChange(PROFILE_PATH, profile)),
            commands=(("systemctl", "restart", "systemd-journald"),
                      ("sed", "-i", "-E", *edits, LOGIN_DEFS),
                      ("chmod", s.home_mode, s.home),
                      ("sh", "-c", PRIVATE_PATHS, "private-paths", *CRON_PATHS)),
            cloud_config={
                "users": [{
                    "name": s.admin_user,
                    "groups": ["sudo"],
                    # No password exists to type: bothost and admins run `sudo -n`.
                    "sudo": "ALL=(ALL) NOPASSWD:ALL",
                    "shell": s.shell,
                    "lock_passwd": True,
                    "ssh_authorized_keys": list(s.admin_keys),
                }],
                "disable_root": True,
                "locale": s.locale,
                "timezone": s.timezone,
            },
        )

    def checks(self, s: BaseSettings) -> list[Check]:
        fingerprints = sorted(fingerprint(key) for key in s.admin_keys)
        return [
            Check(id="base-01", title="Admin may use sudo without a password",
                  rationale="The admin has no password; sudo -n is how admins and bothost act as root.",
                  expected="(ALL) NOPASSWD: ALL", command=("sudo", "-l", "-U", s.admin_user),
                  evaluate=sudo_nopasswd),
            Check(id="base-02", title="Admin password is locked",
                  rationale="No password exists that could be guessed, phished or reused.",
                  expected="L", command=password_status_argv(s.admin_user), evaluate=password_locked),
            Check(id="base-03", title="Only the configured admin keys may log in",
                  rationale="A key that is not in the stack config must not open the server.",
                  expected=", ".join(fingerprints),
                  command=key_fingerprints_argv(f"{s.home}/.ssh/authorized_keys"),
                  evaluate=key_fingerprints(fingerprints)),
            Check(id="base-04", title="System locale", rationale="Tools and logs behave the same everywhere.",
                  expected=s.locale, command=("cat", LOCALE_PATH), evaluate=system_locale(s.locale)),
            Check(id="base-05", title="Timezone",
                  rationale="The reboot window and log timestamps are read in the configured zone.",
                  expected=s.timezone, command=TIMEDATE_SHOW,
                  evaluate=expect_property("Timezone", s.timezone)),
            Check(id="base-06", title="Journal is persistent and size-capped",
                  rationale="Logs survive reboots for investigation, and cannot fill the disk.",
                  expected=f"Storage=persistent, SystemMaxUse <= {s.journal_max_use}",
                  # The merged configuration (not journald's start-up message: vacuuming deletes that).
                  command=cat_config_argv("systemd/journald.conf"),
                  evaluate=journal_persistent(s.journal_max_use)),
            Check(id="base-07", title="cloud-init finished without errors",
                  rationale="Every first-boot step ran; a failed step means hardening is missing.",
                  expected="done, no errors", command=("cat", *CLOUD_INIT_STATE),
                  evaluate=cloud_init_done),
            Check(id="base-08", title="Legal banner before login",
                  rationale="Whoever connects is told that access is restricted and recorded.",
                  expected="the configured notice in " + ", ".join(ISSUE_PATHS),
                  command=("cat", *ISSUE_PATHS), evaluate=expect_equal(f"{s.issue}\n{s.issue}")),
            Check(id="base-09", title="No core dumps",
                  rationale="A core file of what an admin runs (deploy, the key audit) would hold the keys "
                            "it handled in plain text; the bot's own limit is bot-21.",
                  expected=f"hard core limit {s.core_limit}", command=core_limit_argv(),
                  evaluate=expect_equal(str(s.core_limit)), login_session=True),
            Check(id="base-10", title="Strict default umask and password hashing",
                  rationale="New files are not world-readable; a password, if ever set, is slow to crack.",
                  expected=describe(s.login_defs()), command=("cat", LOGIN_DEFS),
                  evaluate=expect_mapping(login_defs, s.login_defs())),
            Check(id="base-11", title="Idle login shells close",
                  rationale="An idle root shell on an admin's laptop does not stay open for a passer-by.",
                  expected=f"TMOUT={s.session_timeout}, read-only",
                  command=("cat", PROFILE_PATH),
                  evaluate=session_timeout(s.session_timeout)),
            Check(id="base-12", title="PAM: private temporary directories, password strength rules",
                  rationale="One account cannot plant or read another's temporary files; a password, if ever "
                            "set, must be strong.",
                  expected="session pam_tmpdir.so, password pam_passwdqc.so",
                  command=("cat", *PAM_FILES), evaluate=pam_modules),
            Check(id="base-13", title="Admin home and cron tables private (CIS 2.4.1.2-2.4.1.7, 7.2)",
                  rationale="No other account reads the admin's files or learns what runs as root and when.",
                  expected=f"{s.home} <= {s.home_mode}; cron tables root's, no group or other access",
                  command=mode_owner_argv(s.home, *CRON_PATHS), evaluate=private_paths(s.home, s.home_mode)),
        ]
