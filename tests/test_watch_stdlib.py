"""The watcher runs under the host's python3 as its own user: its modules import only the standard library
and, relatively, each other and the key-audit probe."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import bothost.watch

WATCH_DIR = Path(bothost.watch.__file__).parent


def test_watch_modules_import_only_the_standard_library_and_the_probe() -> None:
    for source in WATCH_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level == 2:
                    assert (node.module or "").startswith("keyaudit.probe"), f"{source.name}: {node.module}"
                    continue
                if node.level == 1:
                    continue
                names = [node.module or ""]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top in sys.stdlib_module_names or top == "__future__", f"{source.name} imports {name}"
