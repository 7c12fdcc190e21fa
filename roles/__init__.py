"""The roles: one concern each, its change on the host next to the check that proves it."""

from __future__ import annotations

from bothost.role import Role


def all_roles() -> list[Role]:
    """Every role, in the order it applies at first boot."""
    from roles.time import TimeRole

    return [TimeRole()]
