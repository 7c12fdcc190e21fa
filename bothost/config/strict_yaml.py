"""A YAML reader for stack files: YAML 1.2 scalars as Pulumi reads them; nothing that can hang or fool us.

Refused: duplicate keys (Pulumi refuses them too), nesting deeper than MAX_DEPTH, documents that expand
past MAX_NODES values through aliases (a "billion laughs" file would make every later walk over the config
hang), recursive aliases, non-UTF-8 bytes and files larger than MAX_BYTES.
"""

from __future__ import annotations

import re

import yaml

from bothost.errors import printable

MAX_BYTES = 256 * 1024  # a stack file is a few KiB (the largest realistic one in the tests: ~20 KiB)
MAX_NODES = 10_000  # values after expanding aliases
MAX_DEPTH = 32  # nested lists and mappings (a stack file needs about 4)
MERGE_TAG = "tag:yaml.org,2002:merge"


class StrictLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 scalars (`14:30` and `yes` stay strings), unique keys and a size limit."""

    _depth = 0

    def compose_document(self) -> yaml.Node:
        node = super().compose_document()
        _expanded_size(node, {}, set())
        return node

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise TooLarge(f"lists and mappings are nested more than {MAX_DEPTH} deep")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set[object] = set()
        for key_node, _ in node.value:
            if key_node.tag == MERGE_TAG:
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise yaml.constructor.ConstructorError(
                    None, None, "a key must be a plain value, not a list or mapping", key_node.start_mark)
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {printable(str(key), 60)!r} (Pulumi refuses it too)",
                    key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_YAML11_ONLY = re.compile(r"^(?:[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?"
                          r"|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|y|Y|n|N)$")
StrictLoader.yaml_implicit_resolvers = {
    first: [("tag:yaml.org,2002:str", _YAML11_ONLY), *resolvers]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class TooLarge(yaml.YAMLError):
    """The document expands past MAX_NODES, or an alias refers to itself."""


def _expanded_size(node: yaml.Node, sizes: dict[int, int], open_nodes: set[int]) -> int:
    """Nodes in the tree once every alias is expanded (shared nodes counted at each use)."""
    if id(node) in sizes:
        return sizes[id(node)]
    if id(node) in open_nodes:
        raise TooLarge("an alias refers to the node that contains it (a recursive structure)")
    open_nodes.add(id(node))
    children: list[yaml.Node] = []
    if isinstance(node, yaml.SequenceNode):
        children = list(node.value)
    elif isinstance(node, yaml.MappingNode):
        children = [part for pair in node.value for part in pair]
    size = 1
    for child in children:
        size += _expanded_size(child, sizes, open_nodes)
        if size > MAX_NODES:
            raise TooLarge(f"the document expands to more than {MAX_NODES} values (through aliases?)")
    open_nodes.discard(id(node))
    sizes[id(node)] = size
    return size


def load_yaml(data: bytes) -> object:
    """Parse stack file bytes; raises ValueError with a one-line reason (no file content in it)."""
    if len(data) > MAX_BYTES:
        raise ValueError(f"larger than {MAX_BYTES // 1024} KiB; a stack file is a few KiB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text (bad byte at offset {exc.start}); save it as UTF-8") from None
    try:
        return yaml.load(text, Loader=StrictLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = printable(exc.problem or exc.context or "", 120)
        raise ValueError(f"not valid YAML{where}: {problem}") from None
    except yaml.YAMLError as exc:
        raise ValueError(f"not valid YAML: {printable(str(exc), 160)}") from None
    except RecursionError:
        raise ValueError("not usable YAML: nested too deeply") from None
    except ValueError:  # e.g. an integer of more than 4300 digits
        raise ValueError("not usable YAML: a number is too large") from None
