"""Facts about a host: each one a command (an argv list) and a pure parser of its output.

Read alike by the deploy engine, the roles' checks and the runbook; no fact changes anything.
"""


def python_fact(program: str, *args: str) -> tuple[str, ...]:
    """A fact read by a small stdlib python3 program: verify's batch runs it inside its own interpreter."""
    return ("python3", "-S", "-c", program, *args)
