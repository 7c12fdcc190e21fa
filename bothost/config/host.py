"""The host part of the stack config: where the server runs and how it is hardened."""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass

from bothost.config.cidrs import parse_cidrs
from bothost.config.names import server_problem
from bothost.config.placement import DEFAULT_SERVER_TYPES, LOCATIONS, placement_problem
from bothost.config.raw import RawConfig
from bothost.config.sshkeys import key_problem
from bothost.errors import ConfigError

NS = "bothost"
IMAGES = ("debian-12", "ubuntu-24.04")
HETZNER_NTP = ("ntp1.hetzner.de", "ntp2.hetzner.com", "ntp3.hetzner.net")
# Users and groups a Debian 12 or Ubuntu 24.04 server already has (base-passwd's fixed ones, those its
# packages add, cloud images' default logins); the admin may not become one of them or join their group.
RESERVED_USERS = frozenset((
    "root", "daemon", "bin", "sys", "sync", "games", "man", "lp", "mail", "news", "uucp", "proxy", "www-data",
    "backup", "list", "irc", "gnats", "nobody", "nogroup", "adm", "tty", "disk", "kmem", "dialout", "fax",
    "voice", "cdrom", "floppy", "tape", "sudo", "audio", "dip", "operator", "src", "shadow", "utmp", "video",
    "sasl", "plugdev", "staff", "users", "input", "sgx", "kvm", "render", "netdev", "crontab", "messagebus",
    "sshd", "polkitd", "tss", "uuidd", "tcpdump", "lxd", "syslog", "chrony", "ntp", "ssl-cert", "lpadmin",
    "sambashare", "debian", "ubuntu", "admin", "docker", "dockremap", "bothost-bot", "dnsmasq", "pollinate",
    "landscape", "fwupd-refresh", "usbmux", "statd", "postfix", "postdrop", "ftp", "nslcd", "ceph",
))
RESERVED_PREFIXES = ("systemd-", "_")  # systemd's own users (systemd-network, ...); _apt, _chrony, _ssh, ...

# Every key this module reads, with its one-line documentation (the README table is checked against it).
HOST_KEYS: dict[str, str] = {
    f"{NS}:location": "Hetzner location: fsn1, nbg1, hel1, ash, hil or sin (default fsn1).",
    f"{NS}:serverType": "Hetzner server type offered in the location (default cx23 in fsn1, nbg1 and hel1; "
                        "ccx13 in ash, hil and sin).",
    f"{NS}:image": "debian-12 or ubuntu-24.04, by name (default debian-12).",
    f"{NS}:adminSshKeys": "OpenSSH public keys allowed to log in (required; ed25519, ecdsa or RSA >= 3072).",
    f"{NS}:adminCidrs": "CIDRs SSH may come from, e.g. your home IP as 203.0.113.7/32 (required).",
    f"{NS}:allowSshFromAnywhere": "Must be true to accept 0.0.0.0/0 or ::/0 in adminCidrs (default false).",
    f"{NS}:sshPort": "SSH port (default 22).",
    f"{NS}:adminUser": "Login user with sudo; never root (default bothost).",
    f"{NS}:sshIdentityFile": "Private key `pulumi up` deploys the bot with, e.g. ~/.ssh/id_ed25519 (default: "
                             "agent and ~/.ssh keys; env BOTHOST_SSH_IDENTITY_FILE overrides it, as in CI).",
    f"{NS}:ipv6": "Give the server IPv6; off so the bot cannot reach the exchange from an IP "
                  "outside the whitelist (default false).",
    f"{NS}:restrictEgress": "Allow outbound traffic only to ports 53, 80, 123 and 443 (default false).",
    f"{NS}:rebootWindow": "Local time HH:MM for reboots after unattended upgrades (default 04:30).",
    f"{NS}:timezone": "Host timezone, e.g. Europe/Berlin (default UTC).",
    f"{NS}:ntpServers": "NTP servers for clock sync (default Hetzner's).",
}


@dataclass(frozen=True)
class HostSpec:
    """Validated host settings; roles read these, never raw config."""

    location: str
    server_type: str
    image: str
    admin_ssh_keys: tuple[str, ...]
    admin_cidrs: tuple[str, ...]
    allow_ssh_from_anywhere: bool
    ssh_port: int
    admin_user: str
    ssh_identity_file: str | None  # kept as written (~ expands where the deploy runs, e.g. the CI runner)
    ipv6: bool
    restrict_egress: bool
    reboot_window: str
    timezone: str
    ntp_servers: tuple[str, ...]


def parse_host(raw: RawConfig) -> HostSpec:
    """Validate the host keys of the stack config."""
    location = _choice(raw, f"{NS}:location", "fsn1", LOCATIONS)
    image = _choice(raw, f"{NS}:image", "debian-12", IMAGES)
    default_type = DEFAULT_SERVER_TYPES[location]
    server_type = raw.string(f"{NS}:serverType", default_type, fix=f"e.g. {default_type}")
    if not re.fullmatch(r"[a-z]{2,4}[0-9]{2,3}", server_type):
        raise ConfigError(f"{NS}:serverType", server_type, "not a Hetzner server type name",
                          f"pulumi config set {NS}:serverType {default_type}")
    problem = placement_problem(server_type, location)
    if problem:
        raise ConfigError(f"{NS}:serverType", server_type, problem,
                          f"pulumi config set {NS}:serverType {default_type} (or remove it for the default)")
    allow_anywhere = raw.boolean(f"{NS}:allowSshFromAnywhere", False)
    return HostSpec(
        location=location,
        server_type=server_type,
        image=image,
        admin_ssh_keys=_ssh_keys(raw),
        admin_cidrs=parse_cidrs(f"{NS}:adminCidrs", raw.string_list(
            f"{NS}:adminCidrs", fix=f"pulumi config set --path '{NS}:adminCidrs[0]' YOUR.PUBLIC.IP/32"),
            allow_anywhere),
        allow_ssh_from_anywhere=allow_anywhere,
        ssh_port=raw.integer(f"{NS}:sshPort", 22, low=1, high=65535),
        admin_user=_admin_user(raw),
        ssh_identity_file=_identity_file(raw),
        ipv6=raw.boolean(f"{NS}:ipv6", False),
        restrict_egress=raw.boolean(f"{NS}:restrictEgress", False),
        reboot_window=_clock_time(raw),
        timezone=_timezone(raw),
        ntp_servers=_ntp_servers(raw),
    )


def _choice(raw: RawConfig, key: str, default: str, allowed: tuple[str, ...]) -> str:
    value = raw.string(key, default, fix=f"one of {', '.join(allowed)}")
    if value not in allowed:
        raise ConfigError(key, value, f"unknown value; expected one of {', '.join(allowed)}",
                          f"pulumi config set {key} {default}")
    return value


def _ssh_keys(raw: RawConfig) -> tuple[str, ...]:
    key = f"{NS}:adminSshKeys"
    fix = f"pulumi config set --path '{key}[0]' \"$(cat ~/.ssh/id_ed25519.pub)\""
    keys = raw.string_list(key, fix=fix)
    if not keys:
        raise ConfigError(key, [], "at least one admin key is needed to log in", fix)
    seen: set[str] = set()
    for index, line in enumerate(keys):
        problem = key_problem(line)
        if problem:
            raise ConfigError(f"{key}[{index}]", line, problem,
                              "generate one with: ssh-keygen -t ed25519, then set its .pub line")
        if line.split()[1] in seen:
            raise ConfigError(f"{key}[{index}]", line, "this key is listed twice", f"remove {key}[{index}]")
        seen.add(line.split()[1])
    return tuple(" ".join(line.split()[:3]) for line in keys)


def _admin_user(raw: RawConfig) -> str:
    key = f"{NS}:adminUser"
    name = raw.string(key, "bothost", fix="a lower-case login name such as bothost")
    if not re.fullmatch(r"[a-z_][a-z0-9_-]{0,31}", name):
        raise ConfigError(key, name, "not a valid Linux user name",
                          "use lower-case letters, digits, - and _, starting with a letter")
    if name in RESERVED_USERS or name.startswith(RESERVED_PREFIXES):
        raise ConfigError(key, name, "reserved system account or group: the server already has it (and "
                          "root login is never allowed)", f"pulumi config set {key} bothost")
    return name


def _identity_file(raw: RawConfig) -> str | None:
    key = f"{NS}:sshIdentityFile"
    value = raw.string(key, "", fix="a private key path such as ~/.ssh/id_ed25519")
    if not value:
        return None
    is_key = "-----" in value or "PRIVATE KEY" in value
    if value.endswith(".pub") or is_key or len(value) > 4096 or not value.isprintable():
        raise ConfigError(key, "***" if is_key else value,
                          "expected the PATH of the private key file (not the key, not the .pub; no control "
                          "characters)", f"pulumi config set {key} ~/.ssh/id_ed25519")
    return value


def _clock_time(raw: RawConfig) -> str:
    key = f"{NS}:rebootWindow"
    value = raw.string(key, "04:30", fix="HH:MM, 24-hour")
    match = re.fullmatch(r"([01][0-9]|2[0-3]):([0-5][0-9])", value)
    if not match:
        raise ConfigError(key, value, "not a 24-hour time HH:MM", f"pulumi config set {key} 04:30")
    return value


def _timezone(raw: RawConfig) -> str:
    key = f"{NS}:timezone"
    value = raw.string(key, "UTC", fix="an IANA zone such as Europe/Berlin")
    if value != "UTC" and value not in zoneinfo.available_timezones():
        raise ConfigError(key, value, "unknown timezone", "use an IANA name such as Europe/Berlin or UTC")
    return value


def _ntp_servers(raw: RawConfig) -> tuple[str, ...]:
    key = f"{NS}:ntpServers"
    servers = raw.string_list(key, list(HETZNER_NTP), fix="a list of host names or IPs")
    for index, server in enumerate(servers):
        problem = server_problem(server)
        if problem:
            raise ConfigError(f"{key}[{index}]", server, problem, "e.g. ntp1.hetzner.de, or an IP address")
    if not servers:
        raise ConfigError(key, [], "at least one NTP server is needed", "remove the key for the default")
    return servers
