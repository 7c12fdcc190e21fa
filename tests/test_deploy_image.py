"""Image errors: an unreachable registry and a bad reference are told apart; bad tarballs are named."""

from __future__ import annotations

from pathlib import Path

import pytest

from bothost.deploy.image import ImageError, inspect_archive, pull_error


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        (
            'Error response from daemon: Get "https://registry-1.docker.io/v2/": dial tcp: lookup '
            "registry-1.docker.io"
            " on 127.0.0.53:53: server misbehaving",
            "cannot reach the registry",
        ),
        (
            'Error response from daemon: Get "https://ghcr.io/v2/": net/http: TLS handshake timeout',
            "cannot reach the registry",
        ),
        (
            "Error response from daemon: manifest for freqtradeorg/freqtrade:nope not found: "
            "manifest unknown",
            "the registry has no image",
        ),
        (
            "Error response from daemon: pull access denied for me/private, repository does not exist "
            "or may require "
            "'docker login'",
            "the registry has no image",
        ),
        ("invalid reference format", "the registry has no image"),
        ("something else entirely", "docker pull me/bot:1 failed"),
    ],
)
def test_pull_errors_are_classified(output: str, expected: str) -> None:
    error = pull_error("me/bot:1", output)
    assert isinstance(error, ImageError)
    assert expected in str(error) and "keeps running the old image" in str(error)


@pytest.mark.parametrize("content", [b"", b"not a tar at all"])
def test_unreadable_tarball(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "image.tar"
    path.write_bytes(content)
    with pytest.raises(ImageError, match="not a readable image tarball"):
        inspect_archive(path)


def test_missing_tarball(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="not a readable image tarball"):
        inspect_archive(tmp_path / "missing.tar")
