"""verify on the host for the drift alarm: the stack spec travels with its secrets redacted, and the bundle
runs every host-side check with the standard library and the roles' pure-Python libraries only."""

from __future__ import annotations

import base64
import json
import pickle
import subprocess
import sys
import time
from pathlib import Path

import pytest
from role_specs import make_spec

from bothost.keyaudit.bundle import verify_bundle
from bothost.role import RenderContext
from bothost.userdata import role_checks
from bothost.verify.onhost import encode_spec

SENTINELS = ("APIKEY-SENTINEL-1", "APISECRET-SENTINEL-2", "BOTPW-SENTINEL-3", "TG-SENTINEL-4",
             "HOOK-SENTINEL-5")


def full_spec():
    """A stack with every kind of secret: exchange keys, a bot secret, the watcher's tokens."""
    key, secret, password, token, hook = SENTINELS
    return make_spec(
        bot={"preset": "freqtrade"}, botSecrets={"apiPassword": password},
        watch={"channels": ["telegram", "webhook"], "telegramChatId": "42"},
        watchSecrets={"telegramToken": f"123:{token}", "webhookUrl": f"https://hooks.example.com/{hook}"},
        exchange="binance", exchangeApiKey=key, exchangeApiSecret=secret)


def test_the_encoded_spec_holds_no_secret_and_gives_the_same_checks() -> None:
    spec = full_spec()
    with pytest.raises(TypeError, match="not pickled"):
        pickle.dumps(spec)  # a Secret refuses: one left behind by the redaction would fail loudly
    raw = base64.b64decode(encode_spec(spec))
    assert not [s for s in SENTINELS if s.encode() in raw]
    back = pickle.loads(raw)
    ours, theirs = role_checks(spec, RenderContext()), role_checks(back, RenderContext())
    assert [(c.id, c.command, c.expected) for c in ours] == [(c.id, c.command, c.expected) for c in theirs]


def test_the_bundle_runs_every_host_check_here_without_the_operators_tools(tmp_path: Path) -> None:
    """The zipapp under `python3 -I -S` (no site-packages): it reads the spec, runs each check whose command
    runs on the host (on this machine most fail, which is fine here) and writes the report; the checks that
    need a login from outside (the client's probes, the core limit an SSH session gets) are listed as
    skipped; no SSH, Pulumi or CLI library is imported."""
    spec = full_spec()
    bundle, spec_file, report_file = tmp_path / "verify.pyz", tmp_path / "spec", tmp_path / "verify.json"
    bundle.write_bytes(verify_bundle())
    spec_file.write_text(encode_spec(spec))
    started = int(time.time())
    done = subprocess.run([sys.executable, "-I", "-S", "-X", "importtime", str(bundle), str(spec_file),
                           str(report_file)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    imported = {line.split("|")[-1].strip().split(".")[0] for line in done.stderr.splitlines() if "|" in line}
    assert not imported & {"paramiko", "pulumi", "click", "cryptography", "nacl", "grpc"}
    report = json.loads(report_file.read_text())
    checks = role_checks(spec, RenderContext())
    skipped = [c.id for c in checks if c.command is None or c.login_session]
    assert report["skipped"] == skipped == ["base-09", "ssh-13", "ssh-14"]
    assert report["checked"] == len(checks) - len(skipped)
    assert report["written_s"] >= started and oct(report_file.stat().st_mode & 0o777) == "0o644"
    titles = {c.id: c.title for c in checks}
    assert report["failed"] and all(f["title"] == titles[f["id"]] and f["actual"] for f in report["failed"])
    assert not [s for s in SENTINELS if s in report_file.read_text()]


def test_the_bundle_is_the_same_bytes_each_time() -> None:
    assert verify_bundle() == verify_bundle()  # deploy rewrites it only when the code changed
