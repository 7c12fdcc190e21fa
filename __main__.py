"""The Pulumi program: validate the stack config, declare one BotHost, export what the user needs next."""

import pulumi

from bothost.errors import BothostError
from bothost.infra.component import BotHost
from bothost.infra.engine_config import read_spec
from bothost.userdata import check_user_data

try:
    spec = read_spec()  # every config value is validated here, before any resource is declared
    check_user_data(spec)  # the roles accept the spec, and user_data with real-size keys fits Hetzner's limit
except BothostError as exc:
    # Pulumi reports a RunError as one `error:` line, without the traceback it prints for other exceptions.
    raise pulumi.RunError(str(exc)) from None

host = BotHost("bothost", spec)
for key, value in host.outputs.items():
    pulumi.export(key, value)
