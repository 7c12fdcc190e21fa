"""A fake qemu-system-x86_64: writes its pid file, serves QMP, and reacts to powerdown as asked."""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import time

# FAKE_QEMU_MODE: "acpi" exits on system_powerdown, "quit" only on quit,
# "stuck" ignores QMP and SIGTERM.


def main() -> None:
    args = sys.argv[1:]
    qmp_path = args[args.index("-qmp") + 1].split(",")[0].removeprefix("unix:")
    with open(args[args.index("-pidfile") + 1], "w") as handle:
        handle.write(f"{os.getpid()}\n")
    with open(os.environ.get("FAKE_QEMU_ARGV", "/dev/null"), "w") as handle:
        json.dump(args, handle)
    mode = os.environ.get("FAKE_QEMU_MODE", "acpi")
    if mode == "stuck":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(qmp_path)
    server.listen(1)
    while True:
        conn, _ = server.accept()
        if mode == "stuck":
            time.sleep(60)
        reader = conn.makefile("rb")
        conn.sendall(b'{"QMP": {"version": {}, "capabilities": []}}\r\n')
        for line in reader:
            command = json.loads(line)["execute"]
            conn.sendall(b'{"return": {}}\r\n')
            if (command == "system_powerdown" and mode == "acpi") or command == "quit":
                conn.close()
                sys.exit(0)
        conn.close()


if __name__ == "__main__":
    main()
