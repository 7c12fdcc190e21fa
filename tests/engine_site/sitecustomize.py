"""Imported at start-up by the dynamic provider process that tests/engine_harness.py starts (PYTHONPATH).

With BOTHOST_FAKE_DOCKER_HOST set, the bot deployment's SSH host is the in-memory fake host (docker and the
watcher's install), so create/update/delete run for real inside `python -m pulumi.dynamic` without a server.
With BOTHOST_FAKE_HOST_STATE set too, each use of the host ends by writing what it holds to that file (JSON),
so the test outside the process can see what crossed the wire.
"""

import os

if os.environ.get("BOTHOST_FAKE_DOCKER_HOST"):
    import contextlib
    import json
    import sys

    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # tests/
    from deploy_fake import WatchHost

    import bothost.infra.bot_deployment as _module

    HOST = WatchHost()

    def _record(path: str) -> None:
        files = HOST.files.items()
        state = {
            "files": {p: [data.decode(errors="replace"), mode, owner] for p, (data, mode, owner) in files},
            "users": sorted(HOST.users),
            "active": sorted(HOST.active),
            "containers": sorted(HOST.containers),
        }
        with open(path, "w", encoding="utf-8") as out:
            json.dump(state, out)

    @contextlib.contextmanager
    def _open_host(props, *, wait):
        HOST.connects = [*getattr(HOST, "connects", []), (props["host"], wait)]
        try:
            yield HOST
        finally:
            if os.environ.get("BOTHOST_FAKE_HOST_STATE"):
                _record(os.environ["BOTHOST_FAKE_HOST_STATE"])

    _module.open_host = _open_host
