"""Settings: built once at the entry point and passed down. No module reads the environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DB_URL = "sqlite:///fleetpatch.db"
DEFAULT_POLICY_PATH = Path("fleet.yaml")


@dataclass(frozen=True, slots=True)
class Settings:
    """Where the store and the policy live, and how the entry point logs."""

    db_url: str = DEFAULT_DB_URL
    policy_path: Path = DEFAULT_POLICY_PATH
    log_level: str = "WARNING"
    log_json: bool = False
    # SSH: known_hosts used when a bucket names none; the agent socket for `agent: true`.
    ssh_known_hosts: Path | None = None
    ssh_agent_path: str | None = None

    @classmethod
    def from_sources(
        cls,
        env: Mapping[str, str],
        *,
        db: str | None = None,
        policy: str | None = None,
        log_level: str | None = None,
        log_json: bool = False,
    ) -> Settings:
        """Flags win over the environment, which wins over the defaults."""
        return cls(
            db_url=normalise_db_url(db or env.get("FLEETPATCH_DB") or DEFAULT_DB_URL),
            policy_path=Path(policy or env.get("FLEETPATCH_POLICY") or DEFAULT_POLICY_PATH),
            log_level=(log_level or env.get("FLEETPATCH_LOG_LEVEL") or "WARNING").upper(),
            log_json=log_json or env.get("FLEETPATCH_LOG_FORMAT", "") == "json",
            ssh_known_hosts=(
                Path(env["FLEETPATCH_SSH_KNOWN_HOSTS"])
                if env.get("FLEETPATCH_SSH_KNOWN_HOSTS")
                else None
            ),
            ssh_agent_path=env.get("SSH_AUTH_SOCK") or None,
        )


def normalise_db_url(value: str) -> str:
    """Accept a bare file path as a SQLite database, and `postgresql://` as psycopg 3."""
    if "://" not in value:
        return f"sqlite:///{value}"
    if value.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + value.split("://", 1)[1]
    return value
