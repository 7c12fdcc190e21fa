"""Docker image references, checked against the grammar of distribution/reference (what `docker pull` parses).

Grammar (github.com/distribution/reference, reference.go and regexp.go):
    reference := name [ ":" tag ] [ "@" digest ]
    name      := [domain '/'] path-component ['/' path-component]*     (at most 255 characters)
    domain    := (domain-name | '[' IPv6 ']') [':' port-number]
    path-component := [a-z0-9]+ (separator [a-z0-9]+)*,  separator := [_.] | __ | [-]+
    tag       := [\\w][\\w.-]{0,127}
Narrower than the grammar: the digest must be sha256 with 64 lower-case hex digits (what registries
serve), and the port a number from 1 to 65535. No part can start with '-', so a reference never reads as
an option of `docker pull` or `docker tag`.
"""

from __future__ import annotations

import re

NAME_TOTAL_LENGTH_MAX = 255
_ALNUM = r"[a-z0-9]+"
_PATH_COMPONENT = rf"{_ALNUM}(?:(?:[._]|__|-+){_ALNUM})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])"
_REFERENCE = re.compile(
    rf"(?P<name>(?:{_HOST}(?::(?P<port>[0-9]+))?/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*)"
    r"(?::(?P<tag>\w[\w.-]{0,127}))?"
    r"(?:@(?P<digest>sha256:[0-9a-f]{64}))?",
    re.ASCII,
)


def image_problem(reference: str) -> str | None:
    """Why `reference` is not a usable image reference, or None."""
    if len(reference) > 2 * NAME_TOTAL_LENGTH_MAX:
        return "far too long for an image reference"
    match = _REFERENCE.fullmatch(reference)
    if match is None:
        if reference.startswith("-"):
            return "starts with '-', so docker would read it as an option"
        return "not a valid image reference"
    if len(match.group("name")) > NAME_TOTAL_LENGTH_MAX:
        return f"the repository name is longer than {NAME_TOTAL_LENGTH_MAX} characters"
    port = match.group("port")
    if port is not None and not 1 <= int(port[:6]) <= 65535:
        return "the registry port is not from 1 to 65535"
    return None
