"""The deploy against a fake docker host: converges, swaps safely, changes nothing when nothing changed."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from deploy_fake import FakeDockerHost

from bothost.deploy.deployer import DeployError, deploy
from bothost.deploy.image import ImageError, inspect_archive
from bothost.deploy.secretfiles import BotSecrets
from bothost.errors import RemoteError
from bothost.rehearsal.demo_image import write_demo_image
from bothost.secret import Credentials, Secret
from roles.bot.settings import BotSettings, Mount

API_KEY = "AKIA-demo-key-4242"
API_SECRET = "s3cr3t-exchange-value-9f8e7d"
TELEGRAM = "123456:telegram-token-abcdef"
SECRETS = BotSecrets(Credentials(Secret(API_KEY), Secret(API_SECRET)),
                     bot={"telegramToken": Secret(TELEGRAM)})
SECRET_VALUES = (API_KEY, API_SECRET, TELEGRAM)


def settings(image: str = "bothost-demo:1", **changes: object) -> BotSettings:
    """Generic demo-bot settings."""
    base = BotSettings(
        preset="generic",
        image=image,
        entrypoint=None,
        args=None,
        env=(("MODE", "demo"),),
        user="1000:1000",
        data_dir="/srv/bothost/data",
        data_mounts=(Mount("/srv/bothost/data", "/data", False),),
        secret_names=("telegramToken",),
        health_cmd="true",
        stop_grace_period=90,
    )
    return dataclasses.replace(base, **changes)


@pytest.fixture
def archives(tmp_path: Path):
    """Two versions of the demo image as docker-archives."""
    return [inspect_archive(write_demo_image(tmp_path / f"v{v}.tar", version=str(v))) for v in (1, 2)]


def run(
    host: FakeDockerHost,
    s: BotSettings | None = None,
    archive=None,
    secrets: BotSecrets = SECRETS,
    **kwargs: object,
):
    """Deploy, collecting the progress notes; returns (result, notes)."""
    notes: list[str] = []
    result = deploy(host, s or settings(), secrets, archive=archive, note=notes.append, **kwargs)
    return result, notes


def assert_no_secret_leaked(host: FakeDockerHost, *texts: str) -> None:
    """No secret value in argv, audit lines, notes or labels; on stdin only into write-file."""
    visible = "\n".join([host.wire_text(), *texts, *(str(c.labels) for c in host.containers.values())])
    for value in SECRET_VALUES:
        assert value not in visible


def test_first_deploy_from_archive(archives) -> None:
    host = FakeDockerHost()
    result, notes = run(host, archive=archives[0])
    assert host.running() == ["bothost-bot"]
    assert host.containers["bothost-bot"].image_id == archives[0].image_id
    assert host.events[:1] == ["load"] and host.events[-2:] == [
        "rename bothost-bot-next bothost-bot",
        "start bothost-bot",
    ]
    assert set(result.actions) >= {"image", "directory", "secrets", "start"}
    for name, value in (
        ("exchange_api_key", API_KEY),
        ("exchange_api_secret", API_SECRET),
        ("telegramToken", TELEGRAM),
    ):
        assert host.files[f"/etc/bothost/secrets/bot/{name}"] == (value.encode(), "0400", "1000:1000")
    assert host.dirs["/etc/bothost/secrets"] == ("0700", "0:0")
    assert host.dirs["/etc/bothost/secrets/bot"] == ("0700", "1000:1000")
    assert host.dirs["/srv/bothost/data"] == ("0750", "1000:1000")
    assert len(host.audit_lines) == len(result.actions)
    assert all(" bot." in line for line in host.audit_lines)
    assert_no_secret_leaked(host, *notes, repr(result))
    writes = [c for c in host.commands if c[0] == "write-file"]
    assert len(writes) == 3 and all(v.encode() in b"".join(host.stdin_seen) for v in SECRET_VALUES)


def test_unchanged_rerun_changes_nothing(archives) -> None:
    host = FakeDockerHost()
    run(host, archive=archives[0])
    events, files, container = list(host.events), dict(host.files), host.containers["bothost-bot"]
    first = len(host.commands)
    result, notes = run(host, archive=archives[0])
    assert result.actions == [] and not result.changed
    assert host.events == events and host.files == files and host.containers["bothost-bot"] is container
    assert any(n.startswith("no change") for n in notes)
    assert host.audit_lines[-1].split()[2] == "bot.no-change"
    mutating = {"write-file", "mkdir", "chown", "chmod", "rm"}
    assert not [
        c
        for c in host.commands[first:]
        if c[0] in mutating or c[:2] in (["docker", "create"], ["docker", "stop"])
    ]


def test_redeploy_pulls_first_then_swaps_with_full_grace(archives) -> None:
    host = FakeDockerHost()
    run(host, archive=archives[0])
    host.events.clear()
    result, _ = run(host, archive=archives[1])
    assert host.events == [
        "load",
        "create bothost-bot-next",
        "rename bothost-bot bothost-bot-prev",
        "rename bothost-bot-next bothost-bot",
        "stop bothost-bot-prev --time 90",
        "start bothost-bot",
    ]
    assert host.running() == ["bothost-bot"]
    assert host.containers["bothost-bot"].image_id == archives[1].image_id
    assert host.containers["bothost-bot-prev"].image_id == archives[0].image_id
    assert result.stop_seconds is not None and result.gap_seconds is not None


def test_rotated_secret_redeploys_and_label_does_not_contain_it(archives) -> None:
    host = FakeDockerHost()
    run(host, archive=archives[0])
    old_hash = host.containers["bothost-bot"].labels["bothost.spec"]
    rotated = dataclasses.replace(
        SECRETS, exchange=Credentials(Secret(API_KEY), Secret("rotated-secret-value-77")))
    result, notes = run(host, archive=archives[0], secrets=rotated)
    assert "secrets" in result.actions and "swap" in result.actions
    assert host.files["/etc/bothost/secrets/bot/exchange_api_secret"][0] == b"rotated-secret-value-77"
    assert host.containers["bothost-bot"].labels["bothost.spec"] != old_hash
    assert "rotated-secret-value-77" not in host.wire_text() + "".join(notes)


@pytest.mark.parametrize(
    ("stderr", "message"),
    [
        (
            'Error response from daemon: Get "https://registry-1.docker.io/v2/": dial tcp: lookup '
            "registry-1.docker.io: no such host",
            "cannot reach the registry",
        ),
        (
            "Error response from daemon: manifest for me/bot:nope not found: manifest unknown",
            "the registry has no image",
        ),
    ],
)
def test_failed_pull_leaves_the_old_bot_running(stderr: str, message: str) -> None:
    host = FakeDockerHost(registry={"me/bot:v1": "sha256:" + "1" * 64})
    run(host, settings("me/bot:v1"))
    host.events.clear()
    host.pull_error = stderr
    with pytest.raises(ImageError, match=message) as caught:
        run(host, settings("me/bot:v1", memory_bytes=2 * 1024**3))
    assert "keeps running the old image" in str(caught.value)
    assert host.running() == ["bothost-bot"] and host.events == []


def test_tag_reference_is_pulled_but_unchanged_image_changes_nothing() -> None:
    host = FakeDockerHost(registry={"me/bot:v1": "sha256:" + "1" * 64})
    run(host, settings("me/bot:v1"))
    result, _ = run(host, settings("me/bot:v1"))
    assert result.actions == [] and host.events.count("pull me/bot:v1") == 2


def test_pinned_image_already_present_is_not_pulled() -> None:
    ref = "me/bot@sha256:" + "2" * 64
    host = FakeDockerHost(registry={ref: "sha256:" + "3" * 64})
    run(host, settings(ref))
    run(host, settings(ref))
    assert host.events.count(f"pull {ref}") == 1


def test_rootfs_archive_is_imported_once(tmp_path: Path) -> None:
    archive = inspect_archive(write_demo_image(tmp_path / "rootfs.tar", kind="rootfs"))
    host = FakeDockerHost()
    run(host, settings(entrypoint=("/bin/sh", "/bot/run.sh")), archive=archive)
    result, _ = run(host, settings(entrypoint=("/bin/sh", "/bot/run.sh")), archive=archive)
    assert host.events.count("import") == 1 and result.actions == []


def mutating(argv: list[str]) -> bool:
    """Commands that change the host (the points where an SSH drop hurts)."""
    return (
        argv[0] in ("write-file", "mkdir", "chown", "chmod", "rm")
        or argv[4:5] == ["swap"]
        or (argv[0] == "docker" and argv[1] in ("load", "tag", "create", "stop", "rm", "rename", "start"))
    )


def test_ssh_drop_at_every_step_converges_on_the_next_run(archives) -> None:
    reference = FakeDockerHost()
    run(reference, archive=archives[0])
    reference.commands.clear()
    run(
        reference,
        archive=archives[1],
        secrets=dataclasses.replace(SECRETS, bot={"telegramToken": Secret("t2")}),
    )
    steps = [c for c in reference.commands if mutating(c)]
    assert len(steps) >= 7
    for index in range(len(steps)):
        host = FakeDockerHost()
        run(host, archive=archives[0])
        counter = iter(range(len(steps)))
        host.fail_when = lambda argv, stop=index, counter=counter: mutating(argv) and next(counter) == stop
        new_secrets = dataclasses.replace(SECRETS, bot={"telegramToken": Secret("t2")})
        with pytest.raises(RemoteError):
            run(host, archive=archives[1], secrets=new_secrets)
        assert len(host.running()) <= 1, "two bots must never trade at once"
        run(host, archive=archives[1], secrets=new_secrets)
        assert host.running() == ["bothost-bot"], index
        assert host.containers["bothost-bot"].image_id == archives[1].image_id
        assert "bothost-bot-next" not in host.containers
        assert host.files["/etc/bothost/secrets/bot/telegramToken"][0] == b"t2"
        again, _ = run(host, archive=archives[1], secrets=new_secrets)
        assert again.actions == [], index


def test_ssh_drop_after_the_old_bot_stopped_converges(archives) -> None:
    host = FakeDockerHost()
    run(host, archive=archives[0])
    host.fail_after_stop = True
    with pytest.raises(RemoteError):
        run(host, archive=archives[1])
    assert host.running() == []  # the window an interrupted swap leaves; the next run closes it
    result, _ = run(host, archive=archives[1])
    assert result.actions == ["start"] and host.running() == ["bothost-bot"]
    assert host.containers["bothost-bot"].image_id == archives[1].image_id


def test_unhealthy_new_version_rolls_back(archives) -> None:
    host = FakeDockerHost(unhealthy_images={archives[1].image_id})
    run(host, archive=archives[0])
    with pytest.raises(DeployError, match="unhealthy"):
        run(host, archive=archives[1])
    assert host.running() == ["bothost-bot"]
    assert host.containers["bothost-bot"].image_id == archives[0].image_id
    assert host.containers["bothost-bot-failed"].image_id == archives[1].image_id
    assert "rollback" in host.audit_lines[-1]


def test_stopped_bot_is_started_without_recreating(archives) -> None:
    host = FakeDockerHost()
    run(host, archive=archives[0])
    container = host.containers["bothost-bot"]
    host.run(["docker", "stop", "--time", "90", "bothost-bot"])
    result, _ = run(host, archive=archives[0])
    assert result.actions == ["start"] and host.containers["bothost-bot"] is container and container.running


def test_preflight_runs_before_anything_touches_the_host(archives) -> None:
    host = FakeDockerHost()
    seen: list[object] = []

    def refuse(on: FakeDockerHost, s: BotSettings, secrets: BotSecrets) -> None:
        seen.append((on is host, s.container, sorted(secrets.names())))
        raise DeployError("exchange key can withdraw: refusing to deploy")

    with pytest.raises(DeployError, match="withdraw"):
        run(host, archive=archives[0], preflight=refuse)
    assert seen == [(True, "bothost-bot", ["exchange_api_key", "exchange_api_secret", "telegramToken"])]
    assert host.commands == []


def test_missing_secret_is_named_before_connecting(archives) -> None:
    host = FakeDockerHost()
    with pytest.raises(Exception, match="secrets not set: telegramToken"):
        run(host, archive=archives[0], secrets=dataclasses.replace(SECRETS, bot={}))
    assert host.commands == []


def test_removed_secret_file_is_deleted(archives) -> None:
    host = FakeDockerHost()
    run(host, archive=archives[0])
    result, _ = run(host, settings(secret_names=()), archive=archives[0])
    assert "/etc/bothost/secrets/bot/telegramToken" not in host.files
    assert "secrets" in result.actions


def test_bot_files_are_synced_by_content_and_a_change_restarts_the_bot(archives, tmp_path: Path) -> None:
    from bothost.deploy.botfiles import read_tree

    tree = tmp_path / "files"
    (tree / "strategies").mkdir(parents=True)
    (tree / "config.json").write_text('{"max_open_trades": 1}\n')
    (tree / "strategies" / "Mine.py").write_text("class Mine: pass\n")
    host = FakeDockerHost()
    first, _ = run(host, archive=archives[0], bot_files=read_tree(tree))
    assert "files" in first.actions and "start" in first.actions
    assert host.files["/srv/bothost/data/strategies/Mine.py"] == (b"class Mine: pass\n", "0640", "1000:1000")
    again, _ = run(host, archive=archives[0], bot_files=read_tree(tree))
    assert again.actions == []  # an unchanged tree is a no-op
    (tree / "strategies" / "Mine.py").write_text("class Mine: x = 1\n")
    changed, _ = run(host, archive=archives[0], bot_files=read_tree(tree))
    assert changed.actions[0] == "files" and "swap" in " ".join(changed.actions)
    assert any(e.startswith("stop ") for e in host.events)  # the old bot got its graceful stop
    assert host.files["/srv/bothost/data/strategies/Mine.py"][0] == b"class Mine: x = 1\n"


def test_bot_files_with_a_secret_are_refused_before_anything_changes(archives, tmp_path: Path) -> None:
    from bothost.deploy.botfiles import BotFilesError, read_tree

    tree = tmp_path / "files"
    tree.mkdir()
    (tree / "config.json").write_text(f'{{"exchange": {{"secret": "{API_SECRET}"}}}}')
    host = FakeDockerHost()
    with pytest.raises(BotFilesError, match=r"config\.json contains exchange_api_secret in clear"):
        run(host, archive=archives[0], bot_files=read_tree(tree))
    assert host.commands == []
