"""Imported at start-up by the dynamic provider process that tests/engine_harness.py starts (PYTHONPATH).

With BOTHOST_FAKE_DOCKER_HOST set, the bot deployment's SSH host is the in-memory fake docker host, so
create/update/delete run for real inside `python -m pulumi.dynamic` without a server.
"""

import os

if os.environ.get("BOTHOST_FAKE_DOCKER_HOST"):
    import contextlib
    import sys

    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # tests/
    from deploy_fake import FakeDockerHost

    import bothost.infra.bot_deployment as _module

    HOST = FakeDockerHost()

    @contextlib.contextmanager
    def _open_host(props, *, wait):
        HOST.connects = [*getattr(HOST, "connects", []), (props["host"], wait)]
        yield HOST

    _module.open_host = _open_host
