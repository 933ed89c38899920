"""What SSH sends the remote shell: one string in which every argv element is quoted."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from fleetpatch.connect.ssh import HostKeyRefused, SshClient, SshEndpoint, remote_command


@pytest.mark.parametrize(
    "argv",
    [
        ["apt-get", "install", "pkg=1.0-1"],
        ["echo", "a; rm -rf /", "$(id)", "`id`", "x\ny", "'quoted'", ""],
        ["dpkg-query", "-W", "-f", "${Package}\t${Version}\n"],
    ],
)
def test_the_remote_shell_splits_back_exactly_the_argv(argv: list[str]) -> None:
    assert shlex.split(remote_command(argv)) == argv


def test_an_empty_command_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        remote_command([])


def test_a_missing_known_hosts_file_refuses_before_any_connection(tmp_path: Path) -> None:
    pytest.importorskip("asyncssh")
    endpoint = SshEndpoint("127.0.0.1", 1, "root", tmp_path / "absent")
    client = SshClient()
    try:
        with pytest.raises(HostKeyRefused, match="does not exist"):
            client.connect(endpoint)
    finally:
        client.close()
