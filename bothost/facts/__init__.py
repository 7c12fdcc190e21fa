"""Facts about a host: each one a command (an argv list) and a pure parser of its output.

Read alike by the deploy engine, the roles' checks and the runbook; no fact changes anything.
"""
