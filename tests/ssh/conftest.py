"""The SSH rig for this folder's tests (see `rig.py`): four hosts for the whole module.

Skipped where mmdebstrap, sshd or root are missing, unless `FLEETPATCH_REQUIRE_SERVICES=1`
(CI), which turns the skip into a failure, as `tests/conftest.py` does for PostgreSQL.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sshrig import Rig, RigUnavailable, rig

HOSTS = ["rig-1", "rig-2", "rig-3", "rig-4"]


def _unavailable(reason: str) -> None:
    if os.environ.get("FLEETPATCH_REQUIRE_SERVICES") == "1":
        pytest.fail(f"SSH rig required (FLEETPATCH_REQUIRE_SERVICES=1): {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def ssh_rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    try:
        with rig(tmp_path_factory.mktemp("ssh-rig"), HOSTS) as made:
            yield made
    except RigUnavailable as exc:
        _unavailable(f"SSH rig unavailable: {exc}")
