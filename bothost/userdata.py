"""Compose cloud-init user_data from the roles: one renderer for Hetzner, rehearsal and `render`."""

from __future__ import annotations

import base64
import gzip
from collections.abc import Sequence
from typing import Any

import yaml

from bothost.config import StackSpec
from bothost.errors import BothostError
from bothost.role import Changes, Check, RenderContext, Role

MAX_USER_DATA_BYTES = 32 * 1024  # Hetzner refuses larger user_data
HEADER = "#cloud-config\n"

# Installs only what is missing (one dpkg-query for all), so a prepared image boots without the network.
ENSURE_PACKAGES = (
    'have=" $(dpkg-query -W -f=\'${db:Status-Abbrev}${Package} \' "$@" 2>/dev/null) "; need=""; '
    'for p; do case "$have" in *" ii $p "*) ;; *) need="$need $p";; esac; done; '
    '[ -z "$need" ] || { apt-get update -q && DEBIAN_FRONTEND=noninteractive '
    "apt-get install -y -q --no-install-recommends $need; }"
)
# Enables only the units not enabled yet (enabling a unit with a SysV script reloads the manager twice,
# ~4 s each under emulation, even when it is enabled already; `systemctl list-unit-files` takes ~15 s
# there, so the states come from one `systemctl show`), then reloads the manager once: new units, drop-ins
# and masks are loaded before any role's command runs. An alias shows its target's Id, so it would be
# enabled again every boot: slower, never wrong.
APPLY_UNITS = (
    "on=\" $(systemctl show -p Id,UnitFileState \"$@\" | awk -F= '$1 == \"Id\" {u = $2} "
    "$2 == \"enabled\" {printf \"%s \", u}') \"; "
    'todo=""; for u; do case "$on" in *" $u "*) ;; *) todo="$todo $u";; esac; done; '
    '[ -z "$todo" ] || systemctl enable --no-reload $todo; systemctl daemon-reload'
)


def default_roles() -> list[Role]:
    """The roles every bothost host gets, in the order they apply."""
    from roles import all_roles

    return all_roles()


def role_changes(spec: StackSpec, context: RenderContext,
                 roles: Sequence[Role]) -> list[tuple[Role, Changes]]:
    """Each role with the changes it makes for this spec."""
    return [(role, role.changes(role.settings(spec, context))) for role in roles]


def role_checks(spec: StackSpec, context: RenderContext, roles: Sequence[Role] | None = None) -> list[Check]:
    """Every check of every role, in role order; ids are unique."""
    checks: list[Check] = []
    for role in default_roles() if roles is None else roles:
        checks.extend(role.checks(role.settings(spec, context)))
    ids = [check.id for check in checks]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        raise BothostError(f"duplicate check ids: {', '.join(duplicated)}")
    return checks


def compose(spec: StackSpec, context: RenderContext, roles: Sequence[Role] | None = None) -> dict[str, Any]:
    """The cloud-config document as a dict."""
    document: dict[str, Any] = {}
    owner: dict[str, str] = {}
    packages: list[str] = []
    files: list[dict[str, Any]] = []
    commands: list[list[str]] = []
    units: list[str] = []
    masked: list[str] = []
    for role, changes in role_changes(spec, context, default_roles() if roles is None else roles):
        for key, value in changes.cloud_config.items():
            if key in owner:
                raise BothostError(f"cloud-config key {key!r} is set by both {owner[key]} and {role.name}")
            owner[key] = role.name
            document[key] = value
        packages.extend(p for p in changes.packages if p not in packages)
        files.extend(_write_file(f) for f in changes.files)
        commands.extend(list(c) for c in changes.commands)
        units.extend(u for u in changes.enable_units if u not in units)
        masked.extend(u for u in changes.mask_units if u not in masked)
    if files:
        document["write_files"] = files
    if units:
        commands.insert(0, ["sh", "-c", APPLY_UNITS, "apply-units", *units])
    if masked:  # before the units' step: its one manager reload loads the masks too
        commands.insert(0, ["systemctl", "mask", "--no-reload", *masked])
    if packages:
        commands.insert(0, ["sh", "-c", ENSURE_PACKAGES, "ensure-packages", *packages])
    if commands:
        document["runcmd"] = commands
    return document


def render_user_data(spec: StackSpec, context: RenderContext, roles: Sequence[Role] | None = None) -> str:
    """The user_data text; byte-identical for identical inputs, and within Hetzner's size limit."""
    text = HEADER + yaml.dump(compose(spec, context, roles), Dumper=_Dumper, sort_keys=False,
                              default_flow_style=False, width=4096, allow_unicode=True)
    size = len(text.encode())
    if size > MAX_USER_DATA_BYTES:
        raise BothostError(f"user_data is {size} bytes, over Hetzner's limit of {MAX_USER_DATA_BYTES}")
    return text


def check_user_data(spec: StackSpec, roles: Sequence[Role] | None = None) -> int:
    """Render once with throwaway host keys of the real algorithms and sizes, before anything is declared.

    Placeholders are ~4.4 KB smaller than real keys, so checking with them lets a config pass preview and
    then fail mid-`up`, after the IP and firewall exist. Returns the size in bytes."""
    from bothost.hostkeys import generate_host_keys

    return len(render_user_data(spec, RenderContext(host_keys=generate_host_keys()), roles).encode())


def _write_file(change: Any) -> dict[str, Any]:
    entry = {"path": change.path, "content": change.content, "owner": change.owner,
             "permissions": change.mode}
    if change.compress:  # mtime 0: the same content always gives the same bytes
        entry["content"] = base64.b64encode(gzip.compress(change.content.encode(), mtime=0)).decode()
        entry["encoding"] = "gz+b64"
    if change.defer:
        entry["defer"] = True
    return entry


def file_text(entry: dict[str, Any]) -> str:
    """The text of one write_files entry, decoded when it travels gz+b64."""
    if entry.get("encoding") == "gz+b64":
        return gzip.decompress(base64.b64decode(entry["content"])).decode()
    return entry["content"]


class _Dumper(yaml.SafeDumper):
    """Writes multi-line strings as literal blocks so users can read the files that land on the host."""


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    if "\n" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.SequenceNode:
    short = all(isinstance(i, str) and "\n" not in i for i in data) and sum(map(len, data)) < 120
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=short or None)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(list, _represent_list)
