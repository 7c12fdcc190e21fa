"""Which Hetzner server types each location offers, so a bad pair fails before anything is created."""

from __future__ import annotations

EU = ("fsn1", "nbg1", "hel1")
US_SG = ("ash", "hil", "sin")
LOCATIONS = EU + US_SG

# Hetzner's line-up since October 2025 (console and GET /v1/server_types `locations`): the cost-optimized
# CX and Arm CAX types and the new CPX generation are sold only in Germany and Finland; Ashburn,
# Hillsboro and Singapore keep the older CPX types; dedicated-vCPU CCX types exist everywhere.
SERVER_TYPES: dict[str, tuple[str, ...]] = {
    **{name: EU for name in ("cx23", "cx33", "cx43", "cx53")},
    **{name: EU for name in ("cax11", "cax21", "cax31", "cax41")},
    **{name: EU for name in ("cpx22", "cpx32", "cpx42", "cpx52", "cpx62")},
    **{name: US_SG for name in ("cpx11", "cpx21", "cpx31", "cpx41", "cpx51")},
    **{name: LOCATIONS for name in ("ccx13", "ccx23", "ccx33", "ccx43", "ccx53", "ccx63")},
}
# The default per location: the smallest type sold there (cx23 in the EU; ccx13, the one family
# offered in every location, elsewhere).
DEFAULT_SERVER_TYPES = {**{location: "cx23" for location in EU}, **{location: "ccx13" for location in US_SG}}


def types_in(location: str) -> list[str]:
    """The server types bothost knows to be offered in a location."""
    return [name for name, where in SERVER_TYPES.items() if location in where]


def placement_problem(server_type: str, location: str) -> str | None:
    """Why a server type cannot be created in a location (None when it can)."""
    if server_type not in SERVER_TYPES:
        return f"not a Hetzner server type bothost knows (in {location}: {', '.join(types_in(location))})"
    if location not in SERVER_TYPES[server_type]:
        where = ", ".join(SERVER_TYPES[server_type])
        return f"not offered in {location} (only in {where}); in {location}: {', '.join(types_in(location))}"
    return None
