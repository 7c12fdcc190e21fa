"""The one callback type for what a long operation tells the user as it goes."""

from __future__ import annotations

from collections.abc import Callable

Report = Callable[[str], None]  # receives text for the user (a progress line, or streamed output)
