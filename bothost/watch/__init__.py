"""The watcher's logic: read the account's fills and balances, compare them with the bot's orders, alarm.

Every module here imports only the standard library, each other and the key-audit probe (relatively), so the
same code can run under the host's python3 as the watcher's own unprivileged user.
"""
