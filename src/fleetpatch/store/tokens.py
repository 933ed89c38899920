"""API tokens in the store: only a hash of each secret is kept, never the secret itself.

The repository maps `api_tokens` rows to `TokenRecord`s. Looking a token up by its hash is the
only read the web layer needs per request; revoking keeps the row (and its name) for the record.
Browser sessions (`web_sessions`) belong to a token: a session of a revoked token is dead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from fleetpatch.errors import InputError, UnknownNameError
from fleetpatch.store.tables_eval import ApiTokenRow, WebSessionRow


@dataclass(frozen=True, slots=True)
class TokenRecord:
    id: int
    name: str
    role: str
    token_hash: str
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class TokenRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, name: str, role: str, token_hash: str, *, created_at: datetime) -> TokenRecord:
        if self._by_name(name) is not None:
            raise InputError(f"a token named {name!r} already exists; pick another --name")
        row = ApiTokenRow(name=name, role=role, token_hash=token_hash, created_at=created_at)
        self._session.add(row)
        self._session.flush()
        return _record(row)

    def by_hash(self, token_hash: str) -> TokenRecord | None:
        row = self._session.scalars(
            select(ApiTokenRow).where(ApiTokenRow.token_hash == token_hash)
        ).one_or_none()
        return None if row is None else _record(row)

    def all(self) -> list[TokenRecord]:
        rows = self._session.scalars(select(ApiTokenRow).order_by(ApiTokenRow.name))
        return [_record(r) for r in rows]

    def revoke(self, name: str, *, at: datetime) -> TokenRecord:
        row = self._by_name(name)
        if row is None:
            known = self._session.scalars(select(ApiTokenRow.name))
            raise UnknownNameError("token", name, known, hint="; see `fleetpatch token list`")
        if row.revoked_at is None:
            row.revoked_at = at
            self._session.flush()
        return _record(row)

    def touch(self, token_id: int, *, at: datetime) -> None:
        self._session.execute(
            update(ApiTokenRow).where(ApiTokenRow.id == token_id).values(last_used_at=at)
        )

    def add_session(
        self, session_hash: str, token_id: int, *, created_at: datetime, expires_at: datetime
    ) -> None:
        """Open a browser session, and forget the sessions that have expired by now."""
        self._session.execute(delete(WebSessionRow).where(WebSessionRow.expires_at <= created_at))
        self._session.add(
            WebSessionRow(
                session_hash=session_hash,
                token_id=token_id,
                created_at=created_at,
                expires_at=expires_at,
            )
        )
        self._session.flush()

    def by_session(self, session_hash: str, *, now: datetime) -> TokenRecord | None:
        """The token an unexpired session was opened with (revoked or not: the caller checks)."""
        row = self._session.scalars(
            select(ApiTokenRow)
            .join(WebSessionRow, WebSessionRow.token_id == ApiTokenRow.id)
            .where(WebSessionRow.session_hash == session_hash, WebSessionRow.expires_at > now)
        ).one_or_none()
        return None if row is None else _record(row)

    def drop_session(self, session_hash: str) -> None:
        self._session.execute(
            delete(WebSessionRow).where(WebSessionRow.session_hash == session_hash)
        )

    def _by_name(self, name: str) -> ApiTokenRow | None:
        return self._session.scalars(
            select(ApiTokenRow).where(ApiTokenRow.name == name)
        ).one_or_none()


def _record(row: ApiTokenRow) -> TokenRecord:
    return TokenRecord(
        id=row.id,
        name=row.name,
        role=row.role,
        token_hash=row.token_hash,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )
