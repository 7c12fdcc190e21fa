"""A local fake of the few Hetzner Cloud API endpoints the runbook uses (http.server on 127.0.0.1)."""

from __future__ import annotations

import copy
import itertools
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlparse

FINISHED = "2026-01-01T00:00:00+00:00"


@dataclass
class Call:
    """One request the fake answered (for assertions on what the client did)."""

    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    status: int


@dataclass
class FakeState:
    """The fake project: resources by id, plus every call and the token the fake accepts."""

    token: str
    servers: dict[int, dict[str, Any]] = field(default_factory=dict)
    firewalls: dict[int, dict[str, Any]] = field(default_factory=dict)
    primary_ips: dict[int, dict[str, Any]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    ids: itertools.count = field(default_factory=lambda: itertools.count(1000))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_stack(self, stack: str = "prod", ssh_port: int = 22, admin_cidr: str = "203.0.113.7/32",
                  labels: dict[str, str] | None = None) -> dict[str, int]:
        """A server + firewall + protected primary IPv4 as the Pulumi component creates them; returns ids."""
        tags = labels if labels is not None else {"managed-by": "bothost", "stack": stack}
        ip_id, fw_id, server_id = next(self.ids), next(self.ids), next(self.ids)
        self.primary_ips[ip_id] = {
            "id": ip_id, "name": f"bothost-{stack}-ipv4", "ip": f"198.51.100.{ip_id % 250}", "type": "ipv4",
            "dns_ptr": [], "blocked": False, "protection": {"delete": True}, "labels": dict(tags),
            "created": FINISHED, "assignee_id": server_id, "assignee_type": "server", "auto_delete": False,
        }
        self.firewalls[fw_id] = {
            "id": fw_id, "name": f"bothost-{stack}", "labels": dict(tags), "created": FINISHED,
            "rules": [
                {"direction": "in", "protocol": "tcp", "port": str(ssh_port), "source_ips": [admin_cidr],
                 "destination_ips": [], "description": "SSH from admin CIDRs"},
                {"direction": "in", "protocol": "icmp", "port": None, "source_ips": [admin_cidr],
                 "destination_ips": [], "description": "ping from admin CIDRs"},
            ],
            "applied_to": [{"type": "server", "server": {"id": server_id}}],
        }
        self.servers[server_id] = {
            "id": server_id, "name": f"bothost-{stack}", "status": "running", "labels": dict(tags),
            "created": FINISHED,
            "public_net": {
                "ipv4": {"id": ip_id, "ip": self.primary_ips[ip_id]["ip"], "blocked": False, "dns_ptr": ""},
                "ipv6": None, "floating_ips": [], "firewalls": [{"id": fw_id, "status": "applied"}],
            },
        }
        return {"server": server_id, "firewall": fw_id, "primary_ip": ip_id}

    def writes(self) -> list[Call]:
        """The calls that changed something (not GETs)."""
        return [c for c in self.calls if c.method != "GET"]


class FakeHetzner:
    """Runs the fake API in a thread; use `endpoint` as hcloud's api_endpoint."""

    def __init__(self, token: str = "fake-token-0123456789") -> None:
        self.state = FakeState(token=token)
        handler = type("Handler", (_Handler,), {"state": self.state})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def endpoint(self) -> str:
        """The base URL, e.g. http://127.0.0.1:PORT/v1."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> FakeHetzner:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class _ApiError(Exception):
    """An error answer in Hetzner's shape."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class _Handler(BaseHTTPRequestHandler):
    """Routes the handful of endpoints; everything else is 404."""

    state: FakeState
    routes: ClassVar[list[tuple[str, re.Pattern[str], str]]] = [
        ("GET", re.compile(r"/v1/(servers|firewalls|primary_ips)"), "_list"),
        ("GET", re.compile(r"/v1/(servers|firewalls|primary_ips)/(\d+)"), "_get"),
        ("DELETE", re.compile(r"/v1/(servers|firewalls|primary_ips)/(\d+)"), "_delete"),
        ("POST", re.compile(r"/v1/firewalls/(\d+)/actions/set_rules"), "_set_rules"),
        ("POST", re.compile(r"/v1/primary_ips/(\d+)/actions/change_protection"), "_change_protection"),
        ("GET", re.compile(r"/v1/actions/(\d+)"), "_action"),
    ]

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: tests read `state.calls` instead."""

    def do_GET(self) -> None:
        """Dispatch a GET."""
        self._dispatch("GET")

    def do_POST(self) -> None:
        """Dispatch a POST."""
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        """Dispatch a DELETE."""
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        url = urlparse(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        status, payload = 404, {"error": {"code": "not_found", "message": "no such endpoint"}}
        with self.state.lock:
            try:
                if self.headers.get("Authorization") != f"Bearer {self.state.token}":
                    raise _ApiError(401, "unauthorized", "unable to authenticate")
                for verb, pattern, name in self.routes:
                    match = pattern.fullmatch(url.path)
                    if verb == method and match:
                        status, payload = getattr(self, name)(*match.groups(), query=parse_qs(url.query),
                                                              body=body)
                        break
            except _ApiError as exc:
                status, payload = exc.status, {"error": {"code": exc.code, "message": exc.message}}
            self.state.calls.append(Call(method, url.path, parse_qs(url.query), body, status))
        data = b"" if payload is None else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _table(self, kind: str) -> dict[int, dict[str, Any]]:
        return getattr(self.state, kind)

    def _find(self, kind: str, ident: str) -> dict[str, Any]:
        item = self._table(kind).get(int(ident))
        if item is None:
            raise _ApiError(404, "not_found", f"{kind} {ident} not found")
        return item

    def _list(self, kind: str, query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        items = [i for i in self._table(kind).values() if _selected(i, query)]
        meta = {"pagination": {"page": 1, "per_page": 50, "previous_page": None, "next_page": None,
                               "last_page": 1, "total_entries": len(items)}}
        return 200, {kind: copy.deepcopy(items), "meta": meta}

    def _get(self, kind: str, ident: str, query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        return 200, {kind.rstrip("s"): copy.deepcopy(self._find(kind, ident))}

    def _delete(self, kind: str, ident: str, query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        item = self._find(kind, ident)
        if kind == "primary_ips":
            if item["protection"]["delete"]:
                raise _ApiError(423, "protected", "primary IP is delete protected")
            if item["assignee_id"] is not None:
                raise _ApiError(422, "resource_in_use", "primary IP is assigned to a server")
        if kind == "firewalls" and item["applied_to"]:
            raise _ApiError(422, "resource_in_use", "firewall is still applied to resources")
        del self._table(kind)[item["id"]]
        if kind != "servers":
            return 204, None
        for ip in self.state.primary_ips.values():
            if ip["assignee_id"] == item["id"]:
                ip["assignee_id"] = None
        for firewall in self.state.firewalls.values():
            firewall["applied_to"] = [a for a in firewall["applied_to"] if a["server"]["id"] != item["id"]]
        return 200, {"action": self._new_action("delete_server", item["id"], "server")}

    def _set_rules(self, ident: str, query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        firewall = self._find("firewalls", ident)
        rules = body.get("rules") if isinstance(body, dict) else None
        if not isinstance(rules, list):
            raise _ApiError(400, "invalid_input", "rules must be a list")
        for rule in rules:
            if rule.get("direction") not in ("in", "out") or not rule.get("protocol"):
                raise _ApiError(400, "invalid_input", "rule needs direction and protocol")
            if len(rule.get("description") or "") > 255:
                raise _ApiError(400, "invalid_input", "description longer than 255 characters")
        firewall["rules"] = [{"port": None, "source_ips": [], "destination_ips": [], "description": None,
                              **rule} for rule in rules]
        return 201, {"actions": [self._new_action("set_firewall_rules", firewall["id"], "firewall")]}

    def _change_protection(self, ident: str, query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        item = self._find("primary_ips", ident)
        item["protection"]["delete"] = bool(body.get("delete"))
        return 201, {"action": self._new_action("change_protection", item["id"], "primary_ip")}

    def _action(self, ident: str, query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        return 200, {"action": self._new_action("poll", 0, "server", ident=int(ident))}

    def _new_action(self, command: str, resource: int, kind: str, ident: int | None = None) -> dict[str, Any]:
        return {"id": ident if ident is not None else next(self.state.ids), "command": command,
                "status": "success", "progress": 100, "started": FINISHED, "finished": FINISHED,
                "resources": [{"id": resource, "type": kind}], "error": None}


def _selected(item: dict[str, Any], query: dict[str, list[str]]) -> bool:
    """Hetzner's label_selector (k=v pairs joined by commas) and name filters."""
    for selector in query.get("label_selector", []):
        for term in selector.split(","):
            key, _, value = term.partition("=")
            if item.get("labels", {}).get(key.strip()) != value.strip():
                return False
    names = query.get("name")
    return not names or item.get("name") in names
