"""ssh: key-only logins for the admin user, hardened crypto, and host keys pinned from the first second."""

from __future__ import annotations

from dataclasses import dataclass

from bothost.config import StackSpec
from bothost.facts import python_fact
from bothost.facts.files import mode_exceeds, mode_owner_argv, parse_mode_owner
from bothost.facts.system import listeners, sshd_options
from bothost.role import (
    Changes,
    Check,
    CommandResult,
    FileChange,
    HostKeys,
    Outcome,
    RenderContext,
    Role,
    expect_equal,
)
from bothost.templating import render
from roles.expect import Parser, describe, expect_mapping, failed

# Sorts before cloud-init's 50-cloud-init.conf: sshd keeps the FIRST value it reads.
DROPIN_PATH = "/etc/ssh/sshd_config.d/01-bothost.conf"
MAIN_CONFIG = "/etc/ssh/sshd_config"  # Debian's; root-only like our drop-in (CIS 5.1.1, Lynis FILE-7524)
MODULI_PATH = "/etc/ssh/moduli.bothost"  # a copy, so /etc/ssh/moduli stays the package's conffile
PLACEHOLDER = "PLACEHOLDER: bothost generates this host key at deploy time; `bothost render` never shows it"
SSHD_T = ("/usr/sbin/sshd", "-T")

# ssh-audit's built-in policy per image, and the algorithm lists that satisfy it exactly, in its order.
# The server appends ext-info-s / kex-strict-s-v00@openssh.com itself; they cannot be configured.
CRYPTO = {
    "debian-12": {
        "policy": "Hardened Debian 12 (version 3)",
        "kex": ("sntrup761x25519-sha512", "sntrup761x25519-sha512@openssh.com", "curve25519-sha256",
                "curve25519-sha256@libssh.org", "diffie-hellman-group16-sha512",
                "diffie-hellman-group18-sha512", "diffie-hellman-group-exchange-sha256"),
        "ciphers": ("chacha20-poly1305@openssh.com", "aes256-gcm@openssh.com", "aes256-ctr", "aes192-ctr",
                    "aes128-gcm@openssh.com", "aes128-ctr"),
        "macs": ("hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com",
                 "umac-128-etm@openssh.com"),
    },
    "ubuntu-24.04": {
        "policy": "Hardened Ubuntu Server 24.04 LTS (version 1)",
        "kex": ("sntrup761x25519-sha512@openssh.com", "curve25519-sha256", "curve25519-sha256@libssh.org",
                "diffie-hellman-group18-sha512", "diffie-hellman-group-exchange-sha256",
                "diffie-hellman-group16-sha512"),
        "ciphers": ("chacha20-poly1305@openssh.com", "aes256-gcm@openssh.com", "aes256-ctr", "aes192-ctr",
                    "aes128-gcm@openssh.com", "aes128-ctr"),
        "macs": ("hmac-sha2-512-etm@openssh.com", "hmac-sha2-256-etm@openssh.com",
                 "umac-128-etm@openssh.com"),
    },
}

# Refuses a config sshd rejects: the running daemon keeps serving, and cloud-init reports the error.
APPLY = (
    'install -d -m 0755 /run/sshd; if /usr/sbin/sshd -t; then systemctl restart ssh.service; '
    'else mv "$1" "$1.rejected"; echo "bothost: sshd -t rejected $1; hardened SSH NOT applied" >&2; '
    'exit 1; fi'
)
FILTER_MODULI = (
    "awk -v min=\"$1\" '$1 !~ /^#/ && $5 + 1 >= min' /etc/ssh/moduli > \"$2.tmp\" && mv \"$2.tmp\" \"$2\""
)


@dataclass(frozen=True)
class SshSettings:
    """sshd settings."""

    admin_user: str  # the only account allowed in (AllowUsers); root never is
    port: int = 22  # must match the firewall's SSH rule, which reads the same spec value
    address_family: str = "inet"  # "inet" while the host has no IPv6, so sshd binds nothing it cannot use
    host_keys: HostKeys | None = None  # pinned keys from deploy time; None renders placeholders (preview)
    audit_policy: str = CRYPTO["debian-12"]["policy"]  # ssh-audit policy the crypto lists satisfy
    kex: tuple[str, ...] = CRYPTO["debian-12"]["kex"]  # post-quantum hybrid and curve25519 first; no SHA-1
    ciphers: tuple[str, ...] = CRYPTO["debian-12"]["ciphers"]  # AEAD and CTR only; no CBC
    macs: tuple[str, ...] = CRYPTO["debian-12"]["macs"]  # encrypt-then-MAC only
    host_key_algorithms: tuple[str, ...] = ("ssh-ed25519", "rsa-sha2-512", "rsa-sha2-256")  # no SHA-1 ssh-rsa
    host_key_files: tuple[str, ...] = (  # the two pinned keys; no ECDSA
        "/etc/ssh/ssh_host_ed25519_key", "/etc/ssh/ssh_host_rsa_key")
    min_dh_modulus_bits: int = 3072  # group-exchange moduli below 3072 bits are considered weak
    moduli_file: str = MODULI_PATH  # where the filtered moduli live (sshd's ModuliFile)
    max_auth_tries: int = 3  # an admin has one or two keys; more tries only help guessing
    login_grace_seconds: int = 30  # unauthenticated connections hold a slot for at most this long
    max_sessions: int = 4  # sessions per connection; enough for scp next to a shell
    max_startups: str = "10:30:60"  # drop unauthenticated connections early under a flood
    client_alive_interval: int = 300  # probe idle clients every 5 minutes...
    client_alive_count_max: int = 2  # ...and drop dead ones after two missed probes
    log_level: str = "VERBOSE"  # logs the fingerprint of the key used for each login
    socket_activated: bool = False  # Ubuntu 24.04 starts sshd from ssh.socket; we switch to ssh.service
    tunnel_ports: tuple[int, ...] = ()  # loopback ports `ssh -L` may reach (the bot's API); () = none


class SshRole(Role):
    """OpenSSH server: a drop-in that wins over cloud-init's, validated before sshd restarts."""

    name = "ssh"

    def settings(self, spec: StackSpec, context: RenderContext) -> SshSettings:
        crypto = CRYPTO[spec.host.image]
        return SshSettings(
            admin_user=spec.host.admin_user,
            port=spec.host.ssh_port,
            address_family="any" if spec.host.ipv6 else "inet",
            host_keys=context.host_keys,
            audit_policy=crypto["policy"],
            kex=crypto["kex"],
            ciphers=crypto["ciphers"],
            macs=crypto["macs"],
            socket_activated=spec.host.image == "ubuntu-24.04",
            tunnel_ports=_bot_api_ports(spec),
        )

    def changes(self, s: SshSettings) -> Changes:
        socket = (
            ("systemctl", "disable", "--now", "ssh.socket"),
            ("rm", "-f", "/etc/systemd/system/ssh.service.d/00-socket.conf",
             "/etc/systemd/system/ssh.socket.d/addresses.conf"),
            ("systemctl", "daemon-reload"),
            ("systemctl", "enable", "ssh.service"),
        ) if s.socket_activated else ()
        return Changes(
            packages=("openssh-server",),
            files=(FileChange(DROPIN_PATH, render("ssh/01-bothost.conf.j2", s=s), mode="0600",
                              compress=True),),
            commands=(
                ("chmod", "0600", MAIN_CONFIG),
                ("sh", "-c", FILTER_MODULI, "filter-moduli", str(s.min_dh_modulus_bits), s.moduli_file),
                *socket,
                ("sh", "-c", APPLY, "sshd-apply", DROPIN_PATH),
            ),
            cloud_config={
                "ssh_pwauth": False,
                "ssh_deletekeys": True,
                # Unused while ssh_keys is given; cloud-init 22.4's schema refuses an empty list.
                "ssh_genkeytypes": ["ed25519", "rsa"],
                "ssh_keys": _host_keys(s.host_keys),
            },
        )

    def checks(self, s: SshSettings) -> list[Check]:
        groups = [
            ("ssh-01", "Key-only authentication",
             "Passwords and keyboard-interactive prompts can be guessed; keys cannot.",
             {"pubkeyauthentication": "yes", "passwordauthentication": "no",
              "kbdinteractiveauthentication": "no", "authenticationmethods": "publickey",
              "permitemptypasswords": "no", "hostbasedauthentication": "no",
              "authorizedkeysfile": ".ssh/authorized_keys"}),
            ("ssh-02", "Root cannot log in",
             "Every login is a named admin who then uses sudo, so root's keys are worth nothing.",
             {"permitrootlogin": "no"}),
            ("ssh-03", "Only the admin user may log in",
             "Service and container accounts never get a shell over SSH.",
             {"allowusers": [s.admin_user]}),
            ("ssh-04", "No forwarding or tunnels" + (" but to the bot's API" if s.tunnel_ports else ""),
             "A stolen session cannot pivot through the host to the exchange or to local services.",
             {**_forwarding(s.tunnel_ports), "allowagentforwarding": "no",
              "allowstreamlocalforwarding": "no",
              "x11forwarding": "no", "permittunnel": "no", "gatewayports": "no",
              "permituserenvironment": "no"}),
            ("ssh-05", "Connection limits",
             "Few tries per connection and a short grace time slow down guessing and floods.",
             {"maxauthtries": str(s.max_auth_tries), "logingracetime": str(s.login_grace_seconds),
              "maxsessions": str(s.max_sessions), "maxstartups": s.max_startups,
              "clientaliveinterval": str(s.client_alive_interval),
              "clientalivecountmax": str(s.client_alive_count_max), "tcpkeepalive": "no"}),
            ("ssh-06", "Key exchange algorithms",
             f"Only what ssh-audit's policy '{s.audit_policy}' allows.", {"kexalgorithms": ",".join(s.kex)}),
            ("ssh-07", "Ciphers", f"Only what ssh-audit's policy '{s.audit_policy}' allows.",
             {"ciphers": ",".join(s.ciphers)}),
            ("ssh-08", "MACs", f"Only what ssh-audit's policy '{s.audit_policy}' allows.",
             {"macs": ",".join(s.macs)}),
            ("ssh-09", "Host keys are ed25519 and RSA only",
             "The pinned host keys are the only ones offered; no ECDSA, no SHA-1 signatures.",
             {"hostkey": list(s.host_key_files), "hostkeyalgorithms": ",".join(s.host_key_algorithms),
              "modulifile": s.moduli_file}),
            ("ssh-10", "Port and logging",
             "sshd listens where the firewall lets admins in, and logs which key logged in.",
             {"port": str(s.port), "addressfamily": s.address_family, "loglevel": s.log_level,
              "compression": "no"}),
        ]
        checks = [Check(id=i, title=t, rationale=r, expected=describe(e), command=SSHD_T,
                        evaluate=expect_mapping(sshd_options, e)) for i, t, r, e in groups]
        return [
            *checks,
            Check(id="ssh-11", title="Group-exchange moduli are strong",
                  rationale="Diffie-Hellman group exchange only offers moduli of at least "
                            f"{s.min_dh_modulus_bits} bits.",
                  expected=f"all moduli >= {s.min_dh_modulus_bits} bits",
                  command=python_fact(MODULI_SIZES_PROGRAM, s.moduli_file),
                  evaluate=moduli_at_least(s.min_dh_modulus_bits)),
            Check(id="ssh-12", title="sshd listens on the configured port",
                  rationale="The running daemon (not only its config file) serves the port admins use.",
                  expected=f"sshd on port {s.port}", command=("ss", "-Hltnup"),
                  evaluate=sshd_listening_on(s.port)),
            Check(id="ssh-13", title="Server offers only public-key authentication",
                  rationale="Seen from a client: no password or keyboard-interactive method is offered.",
                  expected="publickey", command=None, evaluate=expect_equal("publickey"),
                  probe="ssh-auth-methods"),
            Check(id="ssh-14", title="Root login with the admin's key is refused",
                  rationale="Seen from a client: even a valid key cannot log in as root.",
                  expected="refused", command=None, evaluate=expect_equal("refused"),
                  probe="ssh-root-login"),
            Check(id="ssh-15", title="sshd's configuration readable by root only (CIS 5.1.1)",
                  rationale="Who may log in, and how, is root's business: no other account reads it.",
                  expected=f"{MAIN_CONFIG}, {DROPIN_PATH}: root:root, no group or other access",
                  command=mode_owner_argv(MAIN_CONFIG, DROPIN_PATH), evaluate=root_only),
        ]


def root_only(result: CommandResult) -> Outcome:
    """Parser of `mode_owner_argv(...)`: every path exists, is root's, with no group or other access."""
    failure = failed(result)
    if failure:
        return failure
    seen = parse_mode_owner(result)
    wrong = [f"{path} {mode} {owner}".strip() for path, (mode, owner) in seen.items()
             if mode_exceeds(mode, 0o7700) or owner != "root:root"]  # no group or other bit
    return Outcome(bool(seen) and not wrong, "; ".join(wrong) or f"{len(seen)} files root-only")


def _bot_api_ports(spec: StackSpec) -> tuple[int, ...]:
    """The bot's loopback-published ports (e.g. freqtrade's API), the only ones an SSH tunnel may reach."""
    if spec.bot is None:
        return ()
    from roles.bot.presets import stack_bot_settings

    published = stack_bot_settings(spec).published
    return tuple(sorted({port for ip, port, _ in published if ip == "127.0.0.1"}))


def _forwarding(tunnel_ports: tuple[int, ...]) -> dict[str, str]:
    """What `sshd -T` shows for forwarding: none at all, or local forwarding to those loopback ports only."""
    if not tunnel_ports:
        return {"disableforwarding": "yes", "allowtcpforwarding": "no"}
    return {"disableforwarding": "no", "allowtcpforwarding": "local",
            "permitopen": " ".join(f"127.0.0.1:{port}" for port in tunnel_ports), "permitlisten": "none"}


def _host_keys(keys: HostKeys | None) -> dict[str, str]:
    """cloud-init's ssh_keys mapping; placeholders when keys are not generated (preview)."""
    if keys is None:
        return {name: PLACEHOLDER for name in
                ("ed25519_private", "ed25519_public", "rsa_private", "rsa_public")}
    return {"ed25519_private": keys.ed25519_private, "ed25519_public": keys.ed25519_public,
            "rsa_private": keys.rsa_private, "rsa_public": keys.rsa_public}


# Each group's size in bits (the moduli file's 5th field is the size minus one), comments skipped; a python3
# check, so verify's batch reads the file without a process start.
MODULI_SIZES_PROGRAM = """
import sys
with open(sys.argv[1]) as f:
    for fields in (line.split() for line in f):
        if len(fields) > 4 and not fields[0].startswith("#"):
            print(int(fields[4]) + 1)
"""


def moduli_at_least(bits: int) -> Parser:
    """Parser: the moduli file lists at least one group and none below `bits`."""

    def evaluate(result: CommandResult) -> Outcome:
        failure = failed(result)
        if failure:
            return failure
        sizes = [int(word) for word in result.stdout.split() if word.isdigit()]
        if not sizes:
            return Outcome(False, "no moduli")
        return Outcome(min(sizes) >= bits, f"{len(sizes)} moduli, smallest {min(sizes)} bits")

    return evaluate


def sshd_listening_on(port: int) -> Parser:
    """Parser of `ss -Hltnup`: sshd listens on `port` and on no other port."""

    def evaluate(result: CommandResult) -> Outcome:
        failure = failed(result)
        if failure:
            return failure
        ports = sorted({p for _, _, p, name in listeners(result.stdout) if name == "sshd"})
        return Outcome(ports == [port], "sshd on " + (",".join(map(str, ports)) or "no port"))

    return evaluate

