"""bot.files: the local tree (no symlinks out, no secrets in clear), its digest, and the sync on a host."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

import pytest
from tools import require

from bothost.deploy.botfiles import BotFilesError, converge_bot_files, read_tree, refuse_secrets
from bothost.deploy.secretfiles import BotSecrets
from bothost.role import CommandResult
from bothost.secret import Credentials, Secret

SECRETS = BotSecrets(
    Credentials(Secret("key-1234567890"), Secret("secret-0987654321")),
    bot={"apiPassword": Secret("pw-abcdefgh")},
)


def tree(tmp_path: Path) -> Path:
    root = tmp_path / "bot"
    (root / "strategies").mkdir(parents=True)
    (root / "config.json").write_text('{"max_open_trades": 1}\n')
    (root / "strategies" / "Mine.py").write_text("class Mine: pass\n")
    return root


def test_the_tree_is_read_sorted_and_its_digest_follows_content(tmp_path: Path) -> None:
    root = tree(tmp_path)
    files = read_tree(root)
    assert [name for name, _ in files.entries] == ["config.json", "strategies/Mine.py"]
    assert read_tree(root).digest == files.digest
    (root / "strategies" / "Mine.py").write_text("class Mine: x = 1\n")
    assert read_tree(root).digest != files.digest
    assert "class Mine" not in repr(files)


def test_a_symlink_inside_the_tree_is_shipped_as_its_content(tmp_path: Path) -> None:
    root = tree(tmp_path)
    (root / "strategies" / "Alias.py").symlink_to(root / "strategies" / "Mine.py")
    assert dict(read_tree(root).entries)["strategies/Alias.py"] == b"class Mine: pass\n"


@pytest.mark.parametrize("kind", ["file", "dir"])
def test_a_symlink_out_of_the_tree_is_refused(tmp_path: Path, kind: str) -> None:
    root = tree(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "id_ed25519").write_text("PRIVATE")
    link = root / ("key" if kind == "file" else "stuff")
    link.symlink_to(outside / "id_ed25519" if kind == "file" else outside)
    with pytest.raises(BotFilesError, match="links outside"):
        read_tree(root)


def test_a_missing_directory_is_one_clear_line(tmp_path: Path) -> None:
    with pytest.raises(BotFilesError, match="is not a directory"):
        read_tree(tmp_path / "nope")


@pytest.mark.parametrize(
    ("content", "name"),
    [
        ('{"exchange": {"secret": "secret-0987654321"}}', "exchange_api_secret"),
        ('{"exchange": {"key": "key-1234567890"}}', "exchange_api_key"),
        ('{"api_server": {"password": "pw-abcdefgh"}}', "apiPassword"),
    ],
)
def test_a_file_holding_a_secret_in_clear_is_refused_without_echoing_it(tmp_path, content, name) -> None:
    root = tree(tmp_path)
    (root / "config.json").write_text(content)
    with pytest.raises(BotFilesError) as caught:
        refuse_secrets(read_tree(root), SECRETS)
    message = str(caught.value)
    assert f"config.json contains {name} in clear" in message and "/run/secrets" in message
    assert "0987654321" not in message and "1234567890" not in message and "abcdefgh" not in message
    refuse_secrets(read_tree(tree(tmp_path / "clean")), SECRETS)


class ShellHost:
    """Runs the deploy's commands on this machine as root (the real setpriv, sha256sum, sh)."""

    def __init__(self) -> None:
        self.commands: list[list[str]] = []

    def run(self, argv: Sequence[str], *, stdin: bytes | None = None, timeout: float = 60) -> CommandResult:
        self.commands.append(list(argv))
        done = subprocess.run(list(argv), input=stdin, capture_output=True, timeout=timeout, check=False)
        return CommandResult(done.returncode, done.stdout.decode(), done.stderr.decode())

    def check(self, argv: Sequence[str], **kwargs) -> CommandResult:
        result = self.run(argv, **kwargs)
        assert result.exit_status == 0, result
        return result


def test_sync_writes_only_changes_as_the_bot_user_and_never_through_a_planted_symlink(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    require(
        "root and setpriv (to write as the container user)", os.geteuid() == 0 and shutil.which("setpriv")
    )
    host_root = Path(tempfile.mkdtemp(prefix="bothost-files-"))  # pytest's own tmp is root-only (0700)
    request.addfinalizer(lambda: shutil.rmtree(host_root))
    host_root.chmod(0o755)
    data = host_root / "data"
    data.mkdir()
    os.chown(data, 1000, 1000)
    root = tree(tmp_path)
    host = ShellHost()
    assert converge_bot_files(host, str(data), "1000:1000", read_tree(root)) == [
        "config.json",
        "strategies/Mine.py",
    ]
    written = data / "strategies" / "Mine.py"
    assert written.read_text() == "class Mine: pass\n"
    assert (written.stat().st_uid, written.stat().st_gid, oct(written.stat().st_mode & 0o777)) == (
        1000,
        1000,
        "0o640",
    )
    assert converge_bot_files(host, str(data), "1000:1000", read_tree(root)) == []  # unchanged: no write
    (root / "config.json").write_text('{"max_open_trades": 2}\n')
    assert converge_bot_files(host, str(data), "1000:1000", read_tree(root)) == ["config.json"]
    # The bot (uid 1000) replaces its strategies dir with a link to a root-only directory.
    protected = host_root / "root-only"
    protected.mkdir(mode=0o700)
    shutil.rmtree(data / "strategies")
    (data / "strategies").symlink_to(protected)
    (root / "strategies" / "Mine.py").write_text("class Mine: y = 2\n")
    with pytest.raises(AssertionError, match="Permission denied"):
        converge_bot_files(host, str(data), "1000:1000", read_tree(root))
    assert list(protected.iterdir()) == []
    assert all(cmd[0] == "setpriv" for cmd in host.commands)
