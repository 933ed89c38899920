"""API token use cases: create (the secret is shown once), list, revoke, and check a presented one.

A secret is `fp_` + 32 random bytes (URL-safe base64). The store keeps its SHA-256: the secret has
256 bits of entropy, so a fast hash is enough (a slow password hash protects guessable secrets).
A presented secret is hashed and looked up; the stored hash is then compared with
`hmac.compare_digest`, so the comparison itself takes constant time.

A browser trades a token for a session at the login form: the cookie then holds a session id
(`fps_` + 32 random bytes, stored hashed like a token), which dies when it expires, when the
browser logs out, or when its token is revoked. The bearer token itself never sits in a cookie.

Roles: `viewer` reads, `reporter` only ingests reports, `operator` does both (and, later, runs).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from fleetpatch.errors import InputError
from fleetpatch.store import Store
from fleetpatch.store.tokens import TokenRecord, TokenRepository

Role = Literal["viewer", "reporter", "operator"]
ROLES: tuple[Role, ...] = ("viewer", "reporter", "operator")
Permission = Literal["read", "ingest", "operate"]
PERMISSIONS: dict[str, frozenset[Permission]] = {
    "viewer": frozenset({"read"}),
    "reporter": frozenset({"ingest"}),
    "operator": frozenset({"read", "ingest", "operate"}),
}
SECRET_PREFIX = "fp_"  # noqa: S105 (a public marker, not a secret)
SESSION_PREFIX = "fps_"
SESSION_TTL = timedelta(hours=12)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


@dataclass(frozen=True, slots=True)
class Caller:
    """Who made a request: a token's name and role."""

    name: str
    role: str
    token_id: int = 0

    def may(self, permission: Permission) -> bool:
        return permission in PERMISSIONS.get(self.role, frozenset())


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_token(store: Store, name: str, role: str, *, now: datetime) -> tuple[TokenRecord, str]:
    """Store a new token; returns its record and the secret (the only time it exists in clear)."""
    if role not in ROLES:
        raise InputError(f"--role: must be one of {', '.join(ROLES)}, not {role!r}")
    if not _NAME.match(name):
        raise InputError(f"--name: letters, digits, '.', '_' or '-' (max 128), not {name!r}")
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    with store.session(write=True) as session:
        record = TokenRepository(session).add(name, role, hash_secret(secret), created_at=now)
    return record, secret


def list_tokens(store: Store) -> list[TokenRecord]:
    with store.session() as session:
        return TokenRepository(session).all()


def revoke_token(store: Store, name: str, *, now: datetime) -> TokenRecord:
    with store.session(write=True) as session:
        return TokenRepository(session).revoke(name, at=now)


def authenticate(store: Store, secret: str, *, now: datetime) -> Caller | None:
    """The caller a presented secret belongs to, or None (unknown, revoked or malformed)."""
    if not secret.startswith(SECRET_PREFIX) or len(secret) > 256:
        return None
    presented = hash_secret(secret)
    with store.session() as session:
        record = TokenRepository(session).by_hash(presented)
    if record is None or not hmac.compare_digest(record.token_hash, presented):
        return None
    if not record.active:
        return None
    return Caller(record.name, record.role, record.id)


def record_use(store: Store, caller: Caller, *, now: datetime) -> None:
    """Remember when a token was last used (its own short write transaction)."""
    with store.session(write=True) as session:
        TokenRepository(session).touch(caller.token_id, at=now)


def open_session(store: Store, caller: Caller, *, now: datetime) -> str:
    """A new browser session for an authenticated caller; returns its id (the cookie's value)."""
    session_id = SESSION_PREFIX + secrets.token_urlsafe(32)
    with store.session(write=True) as session:
        TokenRepository(session).add_session(
            hash_secret(session_id), caller.token_id, created_at=now, expires_at=now + SESSION_TTL
        )
    return session_id


def session_caller(store: Store, session_id: str, *, now: datetime) -> Caller | None:
    """The caller behind a session cookie, or None (unknown, expired, or its token revoked)."""
    if not session_id.startswith(SESSION_PREFIX) or len(session_id) > 256:
        return None
    with store.session() as session:
        record = TokenRepository(session).by_session(hash_secret(session_id), now=now)
    if record is None or not record.active:
        return None
    return Caller(record.name, record.role, record.id)


def close_session(store: Store, session_id: str) -> None:
    """Log a browser out: its session id stops working at once."""
    if not session_id.startswith(SESSION_PREFIX) or len(session_id) > 256:
        return
    with store.session(write=True) as session:
        TokenRepository(session).drop_session(hash_secret(session_id))
