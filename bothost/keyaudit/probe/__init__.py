"""The stdlib-only probe shipped to the host as one zipapp: request JSON (with the key) in, report JSON out.

Every module in this package imports only the standard library and each other (relatively), so the same
code runs under the host's `python3 -I -S` and is unit-tested here as `bothost.keyaudit.probe`.
"""
