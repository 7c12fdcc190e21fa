"""Connect to the Hetzner API and find one stack's resources by the labels the Pulumi component sets."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bothost.errors import BothostError
from bothost.infra.policy import selector
from bothost.secret import Secret

if TYPE_CHECKING:
    from hcloud import Client
    from hcloud.firewalls import BoundFirewall
    from hcloud.primary_ips import BoundPrimaryIP
    from hcloud.servers import BoundServer

TOKEN_ENV = "HCLOUD_TOKEN"  # the same variable the hcloud CLI and the Pulumi hcloud provider read
ENDPOINT_ENV = "HCLOUD_ENDPOINT"  # the hcloud CLI's override; tests point it at a local fake
DEFAULT_ENDPOINT = "https://api.hetzner.cloud/v1"


class HetznerError(BothostError):
    """A Hetzner API call failed; the message never contains the token."""


def connect(token: Secret | None = None, endpoint: str | None = None) -> Client:
    """An hcloud client from an explicit token or $HCLOUD_TOKEN (and $HCLOUD_ENDPOINT for tests)."""
    from hcloud import Client

    if token is None:
        value = os.environ.get(TOKEN_ENV, "")
        if not value:
            raise HetznerError(f"no Hetzner API token: export {TOKEN_ENV}="
                               "\"$(pulumi config get hcloud:token)\"")
        token = Secret(value)
    url = endpoint or os.environ.get(ENDPOINT_ENV) or DEFAULT_ENDPOINT
    return Client(token=token.reveal(), api_endpoint=url, application_name="bothost", poll_interval=1.0,
                  timeout=30)


@contextlib.contextmanager
def api_errors(doing: str) -> Iterator[None]:
    """Turn hcloud's exceptions into one-line HetznerErrors naming what we were doing."""
    from hcloud import APIException, HCloudException

    try:
        yield
    except APIException as exc:
        hint = " (check HCLOUD_TOKEN: it must be a Read & Write token of the stack's project)" \
            if exc.code == "unauthorized" else ""
        raise HetznerError(f"{doing}: Hetzner answered {exc.code}: {exc.message}{hint}") from None
    except HCloudException as exc:
        raise HetznerError(f"{doing}: {type(exc).__name__}: {exc}") from None
    except OSError as exc:
        raise HetznerError(f"{doing}: cannot reach the Hetzner API: {exc}") from None



@dataclass(frozen=True)
class StackResources:
    """What one stack owns at Hetzner right now (empty lists when already gone)."""

    servers: list[BoundServer]
    firewalls: list[BoundFirewall]
    primary_ips: list[BoundPrimaryIP]

    def firewall(self, stack: str) -> BoundFirewall:
        """The stack's one firewall, or an error saying what was found."""
        if len(self.firewalls) != 1:
            raise HetznerError(f"expected one firewall labelled {selector(stack)}, "
                               f"found {len(self.firewalls)}"
                               " (was the stack deployed with `pulumi up` in this Hetzner project?)")
        return self.firewalls[0]


def find_stack(client: Client, stack: str) -> StackResources:
    """The servers, firewalls and primary IPs labelled managed-by=bothost and stack=<stack>."""
    label_selector = selector(stack)
    with api_errors(f"listing resources labelled {label_selector}"):
        return StackResources(
            servers=client.servers.get_all(label_selector=label_selector),
            firewalls=client.firewalls.get_all(label_selector=label_selector),
            primary_ips=client.primary_ips.get_all(label_selector=label_selector),
        )
