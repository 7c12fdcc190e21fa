"""The bot on the rehearsal VM: hardened, secrets nowhere else, swap, no-op rerun, back after a reboot."""

from __future__ import annotations

import dataclasses
import json
import sys
import time

import pytest
from demo_bot import API_SECRET, SECRETS, SETTINGS, TELEGRAM
from secret_search import found_anywhere

from bothost import host as host_module
from bothost.deploy.deployer import deploy
from bothost.deploy.image import ImageError, inspect_archive
from bothost.deploy.ops import remove, status
from bothost.errors import BothostError
from bothost.rehearsal.demo_image import write_demo_image
from roles.bot import BotRole
from roles.bot.settings import BotSettings, Mount
from roles.docker import DockerRole, DockerSettings

pytestmark = pytest.mark.vm

def log(text: str) -> None:
    """Progress on stderr (shown with -s)."""
    print(f"[deploy-vm] {text}", file=sys.stderr, flush=True)


def run_checks(remote, s: BotSettings) -> dict[str, tuple[bool, str]]:
    """The bot role's verify checks, run on the VM."""
    outcomes = {}
    for check in BotRole().checks(s):
        outcome = check.evaluate(remote.run(list(check.command)))
        outcomes[check.id] = (outcome.passed, outcome.actual)
    return outcomes


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory):
    """Demo image v1 and v2 (docker-archive) and a rootfs tarball for docker import."""
    folder = tmp_path_factory.mktemp("images")
    return (
        inspect_archive(write_demo_image(folder / "v1.tar", version="1")),
        inspect_archive(write_demo_image(folder / "v2.tar", version="2")),
        inspect_archive(write_demo_image(folder / "rootfs.tar", kind="rootfs", version="r")),
    )


def test_bot_lifecycle_on_the_vm(vm, images) -> None:
    v1, v2, _ = images
    try:
        with vm.remote() as remote:
            host = remote
            started = time.monotonic()
            first = deploy(host, SETTINGS, SECRETS, archive=v1, note=log)
            log(f"first deploy took {time.monotonic() - started:.1f} s: {first.actions}")
            assert status(host, SETTINGS).health == "healthy"

            checks = run_checks(remote, SETTINGS)
            log(json.dumps(checks, indent=1))
            assert all(passed for passed, _ in checks.values()), checks
            dock06 = next(c for c in DockerRole().checks(DockerSettings()) if c.id == "dock-06")
            confined = dock06.evaluate(remote.run(list(dock06.command)))  # the kernel's flag, by cgroup
            assert confined.passed and f"/{SETTINGS.container}=1" in confined.actual, confined

            stat = remote.check(
                [
                    "stat",
                    "-c",
                    "%n %a %u:%g",
                    "/etc/bothost/secrets",
                    "/etc/bothost/secrets/bot",
                    "/etc/bothost/secrets/bot/exchange_api_secret",
                ]
            ).stdout.split("\n")
            assert stat[:3] == [
                "/etc/bothost/secrets 700 0:0",
                "/etc/bothost/secrets/bot 700 10000:10000",
                "/etc/bothost/secrets/bot/exchange_api_secret 400 10000:10000",
            ]
            bot_log = (
                remote.run(["docker", "logs", "bothost-bot"]).stderr
                + remote.run(["docker", "logs", "bothost-bot"]).stdout
            )
            assert f"secret loaded ({len(API_SECRET)} bytes)" in bot_log  # the bot really read its file
            assert (
                remote.check(
                    ["journalctl", "--no-pager", "-o", "cat", "CONTAINER_NAME=bothost-bot"]
                ).stdout.count("demo bot 1 started")
                >= 1
            )  # its logs are in journald
            for value in (API_SECRET, TELEGRAM):
                hits = found_anywhere(remote, value)
                log(f"secret search: {hits}")
                assert hits.pop("positive control") == 1, "the search itself must find the secret file"
                assert hits == dict.fromkeys(hits, 0)

            container_id = status(host, SETTINGS).image_id
            again = deploy(host, SETTINGS, SECRETS, archive=v1, note=log)
            assert again.actions == []
            assert status(host, SETTINGS).image_id == container_id

            swapped = deploy(host, SETTINGS, SECRETS, archive=v2, note=log)
            log(f"redeploy: stop {swapped.stop_seconds:.1f} s, stopped->healthy {swapped.gap_seconds:.1f} s")
            assert status(host, SETTINGS).image_id == v2.image_id
            sigterms = remote.check(["cat", "/srv/bothost/data/sigterm.log"]).stdout
            assert " 1 SIGTERM" in sigterms  # the old bot got SIGTERM and its cleanup time

            started_before = json.loads(
                remote.check(["docker", "container", "inspect", "bothost-bot"]).stdout
            )[0]["State"]["StartedAt"]
        vm.reboot()
        with vm.remote() as remote:
            host = remote
            deadline = time.monotonic() + 180
            while status(host, SETTINGS).health != "healthy" and time.monotonic() < deadline:
                time.sleep(2)
            after = status(host, SETTINGS)
            log(f"after reboot: {after}")
            assert (after.state, after.health, after.image_id) == ("running", "healthy", v2.image_id)
            assert after.started_at != started_before
            log("sigterm.log after reboot: " + remote.check(["cat", "/srv/bothost/data/sigterm.log"]).stdout)
            checks = run_checks(remote, SETTINGS)
            assert all(passed for passed, _ in checks.values()), checks
            assert deploy(host, SETTINGS, SECRETS, archive=v2, note=log).actions == []
    finally:
        with vm.remote() as remote:
            remove(remote, SETTINGS)


def test_unreachable_registry_is_clear_and_keeps_the_bot(vm, images) -> None:
    v1 = images[0]
    try:
        with vm.remote() as remote:
            host = remote
            deploy(host, SETTINGS, SECRETS, archive=v1, note=log)
            pulled = dataclasses.replace(SETTINGS, image="docker.io/library/busybox:1.36")
            with pytest.raises(ImageError) as caught:
                deploy(host, pulled, SECRETS, note=log)
            log(f"pull error: {caught.value}")
            assert "cannot reach the registry" in str(caught.value)
            assert status(host, SETTINGS).state == "running"
            with pytest.raises(ImageError, match=r"no image|cannot reach"):
                deploy(host, dataclasses.replace(SETTINGS, image="nope/does-not-exist:0"), SECRETS, note=log)
            assert status(host, SETTINGS).image_id == v1.image_id
    finally:
        with vm.remote() as remote:
            remove(remote, SETTINGS)


def test_rootfs_import_and_host_lock(vm, images, monkeypatch: pytest.MonkeyPatch) -> None:
    rootfs = images[2]
    imported = dataclasses.replace(
        SETTINGS,
        image="bothost-import:r",
        entrypoint=("/bin/sh", "/bot/run.sh"),
        container="bothost-import",
        secrets_dir="/etc/bothost/secrets/import",
        data_dir="/srv/bothost/import",
        data_mounts=(Mount("/srv/bothost/import", "/data", False),),
    )
    monkeypatch.setattr(host_module, "LOCK_WAIT_SECONDS", 2)
    try:
        with vm.remote() as remote, vm.remote() as other:
            first = deploy(remote, imported, SECRETS, archive=rootfs, note=log)
            assert "image" in first.actions and status(remote, imported).health == "healthy"
            assert deploy(remote, imported, SECRETS, archive=rootfs, note=log).actions == []
            with remote.lock(), pytest.raises(BothostError, match="another deploy holds"):
                deploy(other, imported, SECRETS, archive=rootfs, note=log)
            audit = remote.check(["cat", "/var/log/bothost/audit.log"]).stdout
            assert "bot.start container=bothost-import" in audit and "bot.no-change" in audit
    finally:
        with vm.remote() as remote:
            remove(remote, imported)
            remote.run(["rm", "-rf", "/srv/bothost/import"])
