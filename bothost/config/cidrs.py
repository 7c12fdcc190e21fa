"""bothost:adminCidrs: where SSH may come from. Never (by accident) the internet, the containers or nothing.

The nft ruleset puts these networks in interval sets; every value that passes here renders a ruleset that
`nft -c` accepts (tests/test_config_hostile.py proves it with the real nft).
"""

from __future__ import annotations

import ipaddress

from bothost.errors import ConfigError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# Networks wider than this need allowSshFromAnywhere: /8 is a big ISP's or a cloud's block, /32 in IPv6
# one ISP's allocation (a home line gets a /48 to /64).
WIDEST_PREFIX = {4: 8, 6: 32}
# All admin networks of one family together may not cover more than two widest networks (a list of
# /8s, or 0.0.0.0/1 + 128.0.0.0/1, is the whole internet too; 10.0.0.0/8 plus your own /32 is fine).
MOST_ADDRESSES = {4: 2 * 2 ** (32 - WIDEST_PREFIX[4]), 6: 2 * 2 ** (128 - WIDEST_PREFIX[6])}
# Docker's default bridge and default-address-pools (moby libnetwork ipamutils localScopeDefaultNetworks:
# 172.17.0.0/16 ... 172.28.0.0/14 split into /16s, and 192.168.0.0/16 split into /20s): containers
# connect to the host from these addresses, so allowing them lets any container reach sshd.
DOCKER_NETWORKS = (ipaddress.ip_network("172.17.0.0/16"), ipaddress.ip_network("172.18.0.0/15"),
                   ipaddress.ip_network("172.20.0.0/14"), ipaddress.ip_network("172.24.0.0/13"),
                   ipaddress.ip_network("192.168.0.0/16"))
# Sources that can never be a remote admin: the host itself, link-local (no zone ids in nft sets; the
# metadata service lives there), multicast, reserved, and IPv4-mapped IPv6 (write the IPv4 form).
_NEVER = {
    "loopback": "the host itself",
    "link_local": "link-local (only the local segment and the metadata service)",
    "multicast": "multicast",
    "reserved": "reserved address space",
}
_MAPPED = ipaddress.ip_network("::ffff:0:0/96")
_FIX = "use your own public IP as ADDRESS/32 (IPv6: your /48 to /64)"


def parse_cidrs(key: str, values: tuple[str, ...], allow_anywhere: bool) -> tuple[str, ...]:
    """Validated, canonical admin networks; raises ConfigError naming the item and the fix."""
    if not values:
        raise ConfigError(key, [], "SSH must be reachable from at least one CIDR",
                          f"pulumi config set --path '{key}[0]' YOUR.PUBLIC.IP/32")
    result: list[Network] = []
    for index, text in enumerate(values):
        item = f"{key}[{index}]"
        network = _network(item, text)
        anywhere = network.prefixlen == 0
        if anywhere and not allow_anywhere:
            raise ConfigError(item, text, "this opens SSH to the whole internet",
                              f"{_FIX}, or set bothost:allowSshFromAnywhere true if you must")
        if network.prefixlen < WIDEST_PREFIX[network.version] and not allow_anywhere:
            raise ConfigError(item, text, "this opens SSH to a large part of the internet",
                              f"{_FIX}, or set bothost:allowSshFromAnywhere true if you must")
        if not anywhere:
            _check_scope(item, text, network)
        if network in result:
            raise ConfigError(item, text, "this network is listed twice", f"remove {item}")
        result.append(network)
    if not allow_anywhere:
        _check_total(key, result)
    return tuple(str(network) for network in result)


def _network(item: str, text: str) -> Network:
    if "%" in text:
        raise ConfigError(item, text, "a zone id (%...) has no meaning in a firewall rule", _FIX)
    try:
        return ipaddress.ip_network(text, strict=True)
    except ValueError:
        pass
    try:
        loose = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise ConfigError(item, text, "not an IP network",
                          "write it as ADDRESS/PREFIX, e.g. 203.0.113.7/32") from None
    raise ConfigError(item, text, "host bits are set", f"use {loose}")


def _check_scope(item: str, text: str, network: Network) -> None:
    if network.version == 6 and network.subnet_of(_MAPPED):
        raise ConfigError(item, text, "an IPv4-mapped IPv6 address never matches in the firewall",
                          "write the IPv4 network itself, e.g. 203.0.113.7/32")
    for attribute, what in _NEVER.items():
        if getattr(network, f"is_{attribute}") or getattr(network.network_address, f"is_{attribute}"):
            raise ConfigError(item, text, f"{what} can never be an admin's address", _FIX)
    if network.version == 4 and network.network_address.is_unspecified:
        raise ConfigError(item, text, "0.0.0.0 is no one's address", _FIX)
    for docker in DOCKER_NETWORKS:
        if network.overlaps(docker):
            raise ConfigError(item, text, f"overlaps Docker's container network {docker}, which would let "
                              "every container reach sshd", _FIX)


def _check_total(key: str, networks: list[Network]) -> None:
    for version in (4, 6):
        family = [n for n in networks if n.version == version]
        total = sum(n.num_addresses for n in ipaddress.collapse_addresses(family))
        if total > MOST_ADDRESSES[version]:
            raise ConfigError(key, [str(n) for n in family],
                              f"together these open SSH to {total} addresses, more than two /"
                              f"{WIDEST_PREFIX[version]}s", f"{_FIX}, or set bothost:allowSshFromAnywhere "
                              "true if you must")
