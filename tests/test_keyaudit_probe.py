"""The probe program: stdlib only, one file, and the secret never in its argv, environment or output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import zipfile
from io import BytesIO
from pathlib import Path

import pytest
from fakes.exchanges import HOST_IP, FakeExchange
from fakes.local_remote import LocalRemote
from keyaudit_harness import assert_secret_free
from keyaudit_keys import key_for, passphrase_for, secret_for
from stdlib_imports import foreign_imports

from bothost.keyaudit.bundle import PROBE_DIR, probe_bundle
from bothost.keyaudit.runner import REMOTE_PATH, LocalRunner, RemoteRunner


def _request(name: str, base: str, **override: str) -> bytes:
    body = {
        "exchange": name,
        "api_base": base,
        "timeout": 5,
        "key": key_for(name),
        "secret": secret_for(name),
        "passphrase": passphrase_for(name),
        **override,
    }
    return json.dumps(body).encode()


def _run_bundle(request: bytes, tmp_path: Path) -> subprocess.CompletedProcess:
    path = tmp_path / "keyaudit.pyz"
    path.write_bytes(probe_bundle())
    return subprocess.run(
        ["python3", "-I", "-S", str(path)], input=request, capture_output=True, timeout=60, check=False
    )


def test_probe_modules_import_only_the_standard_library() -> None:
    assert foreign_imports(PROBE_DIR) == []


def test_bundle_is_one_deterministic_zipapp_with_every_module() -> None:
    data = probe_bundle()
    assert data == probe_bundle()
    names = zipfile.ZipFile(BytesIO(data)).namelist()
    assert "__main__.py" in names
    assert {f"keyprobe/{p.name}" for p in PROBE_DIR.glob("*.py")} <= set(names)


def test_probe_failure_prints_a_report_without_traceback_or_secret(tmp_path: Path) -> None:
    """A secret that breaks the signer (refused before any call) and one that ends up in an exception."""
    fake = FakeExchange("kraken", key_for("kraken"), secret_for("kraken"))
    try:
        broken = _run_bundle(
            _request("kraken", fake.door(HOST_IP), secret="!!SECRET-SENTINEL-odd!"), tmp_path
        )
    finally:
        fake.close()
    echoed = _run_bundle(_request("binance", "http://127.0.0.1:9", exchange=secret_for("binance")), tmp_path)
    for done, secret, status in (
        (broken, "!!SECRET-SENTINEL-odd!", "refused"),
        (echoed, secret_for("binance"), "error"),
    ):
        report = json.loads(done.stdout)
        assert done.returncode == 0 and report["status"] == status
        assert "Traceback" not in done.stderr.decode() and done.stderr == b""
        assert_secret_free([done.stdout.decode(), done.stderr.decode()], [secret])
    assert "***" in json.loads(echoed.stdout)["detail"]
    assert json.loads(broken.stdout)["error"]["code"] == "unreadable-secret"
    assert not [r for r in fake.requests if "GetApiKeyInfo" in r.path]


def test_key_echoed_by_the_exchange_is_scrubbed(tmp_path: Path) -> None:
    fake = FakeExchange("bybit", key_for("bybit"), "another-secret")
    try:
        done = _run_bundle(_request("bybit", fake.door(HOST_IP)), tmp_path)
    finally:
        fake.close()
    report = json.loads(done.stdout)
    assert report["error"]["kind"] == "auth" and "***" in report["error"]["message"]
    assert_secret_free([done.stdout.decode()], [key_for("bybit"), secret_for("bybit")])


def _probe_processes() -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if b"keyaudit.pyz" in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs Linux /proc")
def test_secret_is_not_in_the_running_probes_argv_or_environment() -> None:
    exchange = "okx"
    fake = FakeExchange(exchange, key_for(exchange), secret_for(exchange), passphrase_for(exchange))
    fake.hold = threading.Event()
    base = fake.door(HOST_IP)
    reports: list[dict] = []
    worker = threading.Thread(
        target=lambda: reports.append(LocalRunner().probe(_request(exchange, base), 10))
    )
    worker.start()
    try:
        deadline = time.monotonic() + 20
        while not [r for r in fake.requests if "account" in r.path] and time.monotonic() < deadline:
            time.sleep(0.05)
        pids = _probe_processes()
        assert pids, "the probe process was not found while it waited for the exchange"
        seen = []
        for pid in pids:
            seen.append((Path(f"/proc/{pid}/cmdline").read_bytes()).decode(errors="replace"))
            seen.append((Path(f"/proc/{pid}/environ").read_bytes()).decode(errors="replace"))
        assert_secret_free(seen, [key_for(exchange), secret_for(exchange), passphrase_for(exchange)])
    finally:
        fake.hold.set()
        worker.join(30)
        fake.close()
    assert reports and reports[0]["status"] == "ok"


def test_remote_runner_sends_no_secret_on_the_command_line() -> None:
    fake = FakeExchange("gate", key_for("gate"), secret_for("gate"))
    try:
        with LocalRemote() as remote:
            report = RemoteRunner(remote).probe(_request("gate", fake.door(HOST_IP)), 10)
            commands, stdins = list(remote.commands), list(remote.stdins)
    finally:
        fake.close()
    assert report["status"] == "ok"
    assert commands[-1] == f"python3 -I -S {REMOTE_PATH}"
    assert any(REMOTE_PATH in c and "0644" in c for c in commands)
    assert_secret_free(commands, [key_for("gate"), secret_for("gate")])
    assert secret_for("gate").encode() in stdins[-1]  # it travels on stdin, and only there
    assert_secret_free([s.decode(errors="replace") for s in stdins[:-1]], [secret_for("gate")])


def test_python_flags_exclude_site_packages() -> None:
    """-S really hides third-party packages (e.g. ccxt here), so a stray import would fail."""
    done = subprocess.run(
        ["python3", "-I", "-S", "-c", "import yaml"],
        capture_output=True,
        check=False,
        env={**os.environ, "PYTHONPATH": ":".join(sys.path)},
    )
    assert done.returncode != 0
