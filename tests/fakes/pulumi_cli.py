"""A stand-in `pulumi` CLI for teardown tests: logs each call and acts on the fake Hetzner API the way the
engine would for this stack (pulumi/pulumi pkg/cmd/pulumi destroy, state unprotect, refresh).

- `destroy` without --exclude-protected refuses while the state holds a protected resource, before
  deleting anything (the engine checks protection first);
- `destroy --exclude-protected` deletes the server, then the firewall (reverse dependency order);
- `state unprotect --all` clears `protect` in the fake state;
- `destroy` after that deletes the primary IPs too, failing like the provider while Hetzner's own delete
  protection is on.
State lives in FAKE_PULUMI_STATE (JSON); calls are appended to FAKE_PULUMI_LOG.
"""

import json
import os
import sys
import urllib.error
import urllib.request


def api(method: str, path: str) -> dict:
    request = urllib.request.Request(os.environ["HCLOUD_ENDPOINT"] + path, method=method,
                                     headers={"Authorization": "Bearer " + os.environ["HCLOUD_TOKEN"]})
    with urllib.request.urlopen(request) as response:
        body = response.read()
    return json.loads(body) if body else {}


def stack_items(kind: str, stack: str) -> list[dict]:
    return api("GET", f"/{kind}?label_selector=managed-by%3Dbothost%2Cstack%3D{stack}")[kind]


def main(argv: list[str]) -> int:
    with open(os.environ["FAKE_PULUMI_LOG"], "a") as log:
        log.write(json.dumps({"argv": argv, "cwd": os.getcwd(),
                              "identity": os.environ.get("BOTHOST_SSH_IDENTITY_FILE")}) + "\n")
    state_path = os.environ["FAKE_PULUMI_STATE"]
    with open(state_path) as stream:
        state = json.load(stream)
    stack = argv[argv.index("--stack") + 1]
    if argv[:2] == ["state", "unprotect"]:
        state["protected"] = False
    elif argv[0] == "destroy":
        if state["protected"] and "--exclude-protected" not in argv:
            urn = f"urn:pulumi:{stack}::bothost::hcloud:index/primaryIp:PrimaryIp::bothost-ipv4"
            print(f"error: resource {urn} cannot be deleted because it is protected", file=sys.stderr)
            return 255
        for server in stack_items("servers", stack):
            api("DELETE", f"/servers/{server['id']}")
        for firewall in stack_items("firewalls", stack):
            api("DELETE", f"/firewalls/{firewall['id']}")
        if not state["protected"]:
            for ip in stack_items("primary_ips", stack):
                try:
                    api("DELETE", f"/primary_ips/{ip['id']}")
                except urllib.error.HTTPError as exc:
                    print(f"error: deleting primary IP {ip['id']}: {exc.read().decode()}", file=sys.stderr)
                    return 255
    with open(state_path, "w") as stream:
        json.dump(state, stream)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
