"""Host names and IP addresses as config values (NTP servers, the exchange's API host)."""

from __future__ import annotations

import ipaddress
import re

_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?", re.ASCII)
_TOP_LABEL = re.compile(r"[A-Za-z][A-Za-z0-9-]*", re.ASCII)  # never all digits: "127.1" is no name


def hostname_problem(name: str) -> str | None:
    """Why `name` is not a fully qualified DNS name (e.g. ntp1.hetzner.de), or None."""
    labels = name.removesuffix(".").split(".")
    if len(name) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        return "not a host name (letters, digits and '-' in dot-separated parts)"
    if len(labels) < 2 or not _TOP_LABEL.fullmatch(labels[-1]):
        return "not a fully qualified host name (name.example.com)"
    return None


def ip_literal(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The IP address `text` spells in canonical form (no zone id), or None."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if getattr(address, "scope_id", None):
        return None
    return address


def server_problem(text: str) -> str | None:
    """Why `text` is not a server to contact (a host name or a unicast IP address), or None."""
    address = ip_literal(text)
    if address is not None:
        return "not a unicast address" if address.is_unspecified or address.is_multicast else None
    if "%" in text:
        return "an address with a zone id (%...) is not usable here"
    problem = hostname_problem(text)
    return f"not a host name or IP address: {problem}" if problem else None
