"""Which modules a directory of Python files imports from outside the standard library."""

from __future__ import annotations

import ast
import sys
from pathlib import Path


def foreign_imports(directory: Path, allowed_parent: str = "") -> list[str]:
    """`file: module` for every absolute import that is not the standard library. Relative imports of siblings
    pass; imports from the parent package (level 2) pass only under `allowed_parent`."""
    found = []
    for source in sorted(directory.glob("*.py")):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            elif isinstance(node, ast.ImportFrom) and node.level >= 2:
                module = node.module or ""
                allowed = allowed_parent and node.level == 2 and module.startswith(allowed_parent)
                names = [] if allowed else [f"{'.' * node.level}{module}"]
            else:
                continue
            found += [
                f"{source.name}: {name}"
                for name in names
                if name.split(".")[0] not in sys.stdlib_module_names and name != "__future__"
            ]
    return found
