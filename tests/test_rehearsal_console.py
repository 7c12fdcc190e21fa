"""Reading the serial console: cloud-init's stage and the host keys it prints."""

from __future__ import annotations

import pytest

from bothost.rehearsal.console import cloud_init_stage, describe_stage, host_keys_from_console

ED = "AAAAC3NzaC1lZDI1NTE5AAAAIHM8p2zW3ZlsbqQcNq2BNa0RDk8vg9k3Jw+VslVkRqDs"
CONSOLE = f"""\
[    3.1] Run /init as init process
[   31.2] cloud-init[201]: Cloud-init v. 22.4.2 running 'init-local' at Tue, 24 Nov 2026. Up 30.9 seconds.
[   45.0] cloud-init[301]: Cloud-init v. 22.4.2 running 'init' at Tue, 24 Nov 2026. Up 44.8 seconds.
-----BEGIN SSH HOST KEY KEYS-----
ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTY= root@stock
ssh-ed25519 {ED} root@stock
-----END SSH HOST KEY KEYS-----
[   58.7] cloud-init[483]: Cloud-init v. 22.4.2 running 'modules:config' at Tue, 24 Nov 2026. Up 58.1 seconds.
"""


@pytest.mark.parametrize(("text", "stage"), [
    ("", None),
    (CONSOLE, "modules:config"),
    (CONSOLE + "cloud-init[9]: Cloud-init v. 22.4.2 running 'modules:final' at x\n", "modules:final"),
    (CONSOLE + "cloud-init[9]: Cloud-init v. 22.4.2 finished at Tue. Datasource NoCloud\n", "finished"),
])
def test_stage_is_the_last_one_shown(text: str, stage: str | None) -> None:
    assert cloud_init_stage(text) == stage


def test_description_is_human() -> None:
    assert describe_stage("") == "booting the kernel"
    assert "config" in describe_stage(CONSOLE)


def test_host_keys_between_the_markers() -> None:
    assert host_keys_from_console(CONSOLE) == ("ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTY=",
                                               f"ssh-ed25519 {ED}")


def test_no_keys_before_cloud_init_prints_them() -> None:
    assert host_keys_from_console(CONSOLE.split("-----BEGIN")[0]) == ()
    assert host_keys_from_console(CONSOLE.split("-----END")[0]) == ()
