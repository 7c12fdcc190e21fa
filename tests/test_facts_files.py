"""File facts: `stat` and `sha256sum` output."""

from __future__ import annotations

from bothost.facts.files import (
    cat_config_argv,
    mode_owner_argv,
    parse_mode_owner,
    parse_sha256sum,
    parse_stat,
    sha256_argv,
    stat_argv,
)
from bothost.role import CommandResult


def test_sha256sum_and_stat() -> None:
    digest = "e" * 64
    lines = f"{digest}  /etc/bothost/secrets/bot/a\n{'f' * 64} *bin\n"  # text and binary mode
    sums = CommandResult(1, lines, "sha256sum: b: No such file")
    assert parse_sha256sum(sums) == {"a": digest, "bin": "f" * 64}
    stat = CommandResult(0, "/etc/bothost/secrets 700 0:0\n/srv/bothost/data 750 1000:1000\n")
    assert parse_stat(stat) == {
        "/etc/bothost/secrets": ("0700", "0:0"),
        "/srv/bothost/data": ("0750", "1000:1000"),
    }


def test_argvs_end_options_before_the_paths() -> None:
    assert stat_argv(["-x"]) == ["stat", "-c", "%n %a %u:%g", "--", "-x"]
    assert sha256_argv(("/a", "/b")) == ["sha256sum", "--", "/a", "/b"]


def test_mode_owner_program_reads_real_files(tmp_path) -> None:
    """The in-process stat: what `stat -L -c '%a %U:%G'` says, 4-digit modes, absent paths named."""
    import subprocess
    import sys

    private, link = tmp_path / "token", tmp_path / "link"
    private.write_text("x")
    private.chmod(0o600)
    link.symlink_to(private)
    paths = [str(private), str(link), str(tmp_path / "missing"), str(tmp_path)]
    argv = mode_owner_argv(*paths)
    assert argv[:3] == ("python3", "-S", "-c")
    done = subprocess.run([sys.executable, *argv[1:]], capture_output=True, text=True, check=True)
    found = parse_mode_owner(CommandResult(0, done.stdout))
    real = subprocess.run(["stat", "-L", "-c", "%a %U:%G", paths[0], paths[3]], capture_output=True,
                          text=True, check=True)
    token_mode, dir_mode = (line.split()[0].zfill(4) for line in real.stdout.splitlines())
    owner = real.stdout.split()[1]
    assert found == {paths[0]: (token_mode, owner), paths[1]: (token_mode, owner),
                     paths[2]: ("absent", ""), paths[3]: (dir_mode, owner)}
    assert token_mode == "0600"


def test_cat_config_merges_like_systemd_analyze(tmp_path) -> None:
    """Main file, drop-ins by name across /etc, /run and /usr/lib, a same-name override, an empty mask:
    the order and contents systemd-analyze cat-config prints for the same tree."""
    import subprocess
    import sys

    def write(path: str, text: str) -> None:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)

    write("etc/systemd/journald.conf", "[Journal]\n#Storage=auto\n")
    write("usr/lib/systemd/journald.conf.d/10-vendor.conf", "[Journal]\nStorage=volatile\n")
    write("etc/systemd/journald.conf.d/10-vendor.conf", "[Journal]\nStorage=persistent\n")  # overrides
    write("run/systemd/journald.conf.d/05-early.conf", "[Journal]\nSystemMaxUse=1G\n")
    write("usr/lib/systemd/journald.conf.d/20-masked.conf", "[Journal]\nSystemMaxUse=9G\n")
    write("etc/systemd/journald.conf.d/20-masked.conf", "")  # empty: masks (as a link to /dev/null does)
    write("usr/lib/systemd/journald.conf.d/30-bothost.conf", "[Journal]\nSystemMaxUse=200M\n")
    write("usr/lib/systemd/journald.conf.d/notes.txt", "SystemMaxUse=0\n")
    argv = cat_config_argv("systemd/journald.conf")
    ours = subprocess.run([sys.executable, *argv[1:], str(tmp_path)], capture_output=True, text=True,
                          check=True).stdout
    real = subprocess.run(["systemd-analyze", "cat-config", f"--root={tmp_path}", "systemd/journald.conf"],
                          capture_output=True, text=True, check=True).stdout
    def headers(text: str) -> list[str]:
        return [line.replace(str(tmp_path), "") for line in text.splitlines() if line.startswith("# /")]

    assert headers(ours) == headers(real) == [
        "# /etc/systemd/journald.conf", "# /run/systemd/journald.conf.d/05-early.conf",
        "# /etc/systemd/journald.conf.d/10-vendor.conf", "# /etc/systemd/journald.conf.d/20-masked.conf",
        "# /usr/lib/systemd/journald.conf.d/30-bothost.conf"]
    body = [line for line in ours.splitlines() if line and not line.startswith("# /")]
    assert body == [line for line in real.splitlines() if line and not line.startswith("# /")]
