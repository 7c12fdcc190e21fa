"""The watcher runs under the host's python3 as its own user: its modules import only the standard library
and, relatively, each other and the key-audit probe."""

from __future__ import annotations

from pathlib import Path

from stdlib_imports import foreign_imports

import bothost.watch

WATCH_DIR = Path(bothost.watch.__file__).parent


def test_watch_modules_import_only_the_standard_library_and_the_probe() -> None:
    assert foreign_imports(WATCH_DIR, allowed_parent="keyaudit.probe") == []
