"""The key audit on the rehearsal VM: the probe runs on the guest against a fake exchange on this machine
(10.0.2.2 from the guest); the Binance whitelist proof runs here; no secret on the guest's argv or journal;
a refused transfer permission and an Ed25519 key end to end through `bothost audit-key`."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fakes.exchanges import HERE_IP, HOST_IP, FakeExchange, KeyState, Request
from keyaudit_harness import assert_secret_free
from keyaudit_keys import key_for, passphrase_for, secret_for

from bothost.cli import cli
from bothost.config.exchange import NEEDS_PASSPHRASE, ExchangeSpec
from bothost.keyaudit.audit import AuditResult, KeyAuditRefused, audit
from bothost.secret import Credentials, Secret

pytestmark = pytest.mark.vm


def _secrets(exchange: str) -> list[str]:
    return [s for s in (key_for(exchange), secret_for(exchange), passphrase_for(exchange)) if s]


def _guest_base(vm: object, fake: FakeExchange) -> tuple[str, str]:
    """The host door as the guest reaches it, and the here door as this machine reaches it."""
    port = 443 if vm.spec.host.restrict_egress else 0  # restricted egress only lets 53/80/123/443 out
    try:
        host_door = fake.door(HOST_IP, port)
    except OSError as error:
        pytest.skip(f"cannot listen on 127.0.0.1:{port} for the guest: {error}")
    here_door = fake.door(HERE_IP)
    return f"http://{vm.host_gateway}:{fake.port(host_door)}", here_door


def _audit_on_guest(
    vm: object, exchange: str, state: KeyState | None = None, watch: list[str] | None = None
) -> AuditResult:
    fake = FakeExchange(
        exchange, key_for(exchange), secret_for(exchange), passphrase_for(exchange), state=state
    )
    guest_base, here_base = _guest_base(vm, fake)
    passphrase = Secret(passphrase_for(exchange)) if passphrase_for(exchange) else None
    spec = ExchangeSpec(
        exchange, guest_base, False, Secret(key_for(exchange)), Secret(secret_for(exchange)), passphrase
    )
    creds = Credentials(Secret(key_for(exchange)), Secret(secret_for(exchange)), passphrase)
    if watch is not None:
        fake.hold = threading.Event()
        threading.Thread(target=_watch_guest, args=(vm, fake, watch), daemon=True).start()
    try:
        with vm.remote() as remote:
            result = audit(spec, creds, remote, HOST_IP, here_api_base=here_base)
    finally:
        if fake.hold is not None:
            fake.hold.set()
        fake.close()
    assert any(r.caller_ip == HOST_IP and "time" not in r.path.lower() for r in fake.requests)
    assert_secret_free(
        [result.render(), str(result.host_report), str(result.here_report)], _secrets(exchange)
    )
    return result


def _watch_guest(vm: object, fake: FakeExchange, seen: list[str]) -> None:
    """While the exchange holds the guest's signed request, record every process's argv on the guest."""
    deadline = time.monotonic() + 120
    while not [r for r in fake.requests if r.caller_ip == HOST_IP and "time" not in r.path.lower()]:
        if time.monotonic() > deadline:
            fake.hold.set()
            return
        time.sleep(0.1)
    try:
        with vm.remote() as remote:
            seen.append(remote.run(["ps", "-eo", "args", "--no-headers"], sudo=True).stdout)
    finally:
        fake.hold.set()


def test_binance_key_audited_on_guest_and_whitelist_proven_from_here(vm) -> None:
    argv_seen: list[str] = []
    result = _audit_on_guest(vm, "binance", watch=argv_seen)
    assert not result.refused, result.render()
    assert "ip-proven" in {f.code for f in result.findings}
    assert argv_seen and "keyaudit.pyz" in argv_seen[0], "the probe was not running while it was watched"
    assert_secret_free(argv_seen, _secrets("binance"))


def test_withdrawal_enabled_key_refused_on_guest(vm) -> None:
    result = _audit_on_guest(vm, "okx", state=KeyState(withdraw=True))
    assert "withdraw" in {f.code for f in result.findings if f.level == "fail"}, result.render()


def test_no_secret_in_the_guests_journal(vm) -> None:
    _audit_on_guest(vm, "kucoin")
    with vm.remote() as remote:
        journal = remote.run(["journalctl", "--no-pager", "-o", "cat", "--since", "-15min"], sudo=True).stdout
    assert journal.strip(), "the journal was empty: nothing was proven"
    assert_secret_free([journal], _secrets("binance") + _secrets("okx") + _secrets("kucoin"))


def _audit_key_command(
    vm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exchange: str, variant: str, state: KeyState
) -> tuple[Result, list[Request]]:
    """`bothost audit-key` against the VM over its pinned SSH, the key from the environment."""
    secret = secret_for(exchange, variant)
    fake = FakeExchange(exchange, key_for(exchange), secret, passphrase_for(exchange), state=state)
    guest_base, _here = _guest_base(vm, fake)
    document = yaml.safe_load((Path(__file__).resolve().parents[2] / "Pulumi.example.yaml").read_text())
    document["config"].update(
        {
            "bothost:exchange": exchange,
            "bothost:exchangeApiBase": guest_base,
            "bothost:allowLocalApiBase": True,  # the fake exchange on the guest's gateway (a private address)
            "bothost:exchangeApiKey": {"secure": "v1:AAAA"},
            "bothost:exchangeApiSecret": {"secure": "v1:BBBB"},
            **({"bothost:exchangePassphrase": {"secure": "v1:CCCC"}} if exchange in NEEDS_PASSPHRASE else {}),
        }
    )
    stack = tmp_path / "Pulumi.vm-audit.yaml"
    stack.write_text(yaml.safe_dump(document))
    monkeypatch.setattr("shutil.which", lambda name, *a, **k: None)  # no Pulumi CLI: secrets from the env
    env = {"BOTHOST_EXCHANGE_API_KEY": key_for(exchange), "BOTHOST_EXCHANGE_API_SECRET": secret}
    if exchange in NEEDS_PASSPHRASE:
        env["BOTHOST_EXCHANGE_PASSPHRASE"] = passphrase_for(exchange)
    target = vm.target
    args = ["audit-key", "--config", str(stack), "--host", target.host, "--port", str(target.port)]
    args += ["--user", target.user, "--identity", str(target.identity), "--static-ip", HOST_IP]
    for line in target.host_keys:
        args += ["--host-key", line]
    try:
        result = CliRunner().invoke(cli, args, env=env)
    finally:
        fake.close()
    assert_secret_free([result.output, str(result.exception)], list(env.values()))
    return result, list(fake.requests)


def test_transfer_permission_refused_through_audit_key_on_guest(vm, tmp_path, monkeypatch) -> None:
    """KuCoin's Flex Transfer moves funds between master and sub-accounts: refused, nothing deployed."""
    state = KeyState(permissions=["General", "Spot", "InnerTransfer"])
    result, requests = _audit_key_command(vm, tmp_path, monkeypatch, "kucoin", "", state)
    assert isinstance(result.exception, KeyAuditRefused), result.output
    assert "REFUSED  the key can send funds to another account or user ('Flex Transfer'" in result.output
    assert "Nothing was deployed" in str(result.exception)
    assert [r.caller_ip for r in requests if "api-key" in r.path] == [HOST_IP]  # asked from the guest


def test_ed25519_key_audited_through_audit_key_on_guest(vm, tmp_path, monkeypatch) -> None:
    """A Binance Ed25519 key: the guest's python3 signs it in pure Python and the fake verifies it."""
    result, requests = _audit_key_command(vm, tmp_path, monkeypatch, "binance", "ed25519", KeyState())
    assert result.exit_code == 0, result.output
    assert "REFUSED" not in result.output
    assert "permissions: enableReading, enableSpotAndMarginTrading" in result.output
    signed = [r for r in requests if "apiRestrictions" in r.path and r.caller_ip == HOST_IP]
    assert signed and "%" in signed[0].query.rsplit("signature=", 1)[1]  # base64 Ed25519, not hex HMAC
