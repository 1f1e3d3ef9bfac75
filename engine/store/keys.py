"""API keys: each with one role; the log keeps a digest of the secret, never the secret."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, func, select, update

from engine.store.errors import StoreError
from engine.store.schema import api_keys, sessions

ROLES = ("submitter", "reviewer", "auditor", "rules-admin")
KEY_CACHE_SECONDS = 10.0  # a key's check is remembered this long (a revoked key stops working within it)
SESSION_SECONDS = 8 * 3600  # a console session ends this long after it began, or when its key is revoked
UNKNOWN: Any = object()


class KeyStore:
    """API keys in the log's database (a part of DecisionLog)."""

    engine: Engine
    reader: Engine  # the same database, for reading (see `database.reader`)
    clock: Callable[[], dt.datetime]
    _keys: dict[str, tuple[float, tuple[str, str] | None]]

    def create_key(self, role: str, label: str | None = None) -> str:
        """A new API key for `role`, returned once: the log keeps only a digest of its secret."""
        if role not in ROLES:
            raise StoreError(f"role `{role}` is not one of {', '.join(ROLES)}")
        key_id = secrets.token_hex(8)
        secret = secrets.token_urlsafe(32)
        with self.engine.begin() as connection:
            connection.execute(
                api_keys.insert().values(
                    key_id=key_id, secret_sha256=_sha256(secret), role=role, label=label, created_at=self.clock()
                )
            )
        return f"clr_{key_id}_{secret}"

    def revoke(self, key_id: str) -> bool:
        """Revoke a key by its id (the part after `clr_`); False when there is no such key. A server that checked
        the key in the last few seconds may accept it until it checks again."""
        with self.engine.begin() as connection:
            changed = connection.execute(
                update(api_keys).where((api_keys.c.key_id == key_id) & api_keys.c.revoked_at.is_(None))
                .values(revoked_at=self.clock())
            ).rowcount  # fmt: skip
        self._keys.clear()
        return bool(changed)

    def list_keys(self) -> list[dict[str, Any]]:
        with self.reader.connect() as connection:
            rows = connection.execute(select(api_keys).order_by(api_keys.c.created_at)).all()
        return [
            {"key_id": r.key_id, "role": r.role, "label": r.label, "created_at": str(r.created_at),
             "revoked_at": str(r.revoked_at) if r.revoked_at else None}
            for r in rows
        ]  # fmt: skip

    def has_keys(self) -> bool:
        with self.reader.connect() as connection:
            return bool(connection.execute(select(func.count()).select_from(api_keys)).scalar())

    def remembered(self, key: str) -> Any:
        """What `authenticate` answered for `key` in the last few seconds, or `UNKNOWN` (no database read)."""
        cached = self._keys.get(_sha256(key))
        if cached is not None and time.monotonic() - cached[0] < KEY_CACHE_SECONDS:
            return cached[1]
        return UNKNOWN

    def authenticate(self, key: str) -> tuple[str, str] | None:
        """The (key id, role) of a valid key, or None (remembered for a few seconds, by the key's digest)."""
        found = self.remembered(key)
        if found is not UNKNOWN:
            return found
        digest = _sha256(key)
        now = time.monotonic()
        found = self._authenticate(key)
        if len(self._keys) > 10_000:
            self._keys.clear()
        self._keys[digest] = (now, found)
        return found

    # console sessions: the cookie holds a random token; the log keeps its digest, the key and the expiry ------
    def open_session(self, key: str) -> str | None:
        """A new session for a valid key (its token, given once), or None."""
        found = self.authenticate(key)
        if found is None:
            return None
        token = secrets.token_urlsafe(32)
        now = self.clock()
        with self.engine.begin() as connection:
            connection.execute(
                sessions.insert().values(
                    token_sha256=_sha256(token), key_id=found[0], created_at=now,
                    expires_at=now + dt.timedelta(seconds=SESSION_SECONDS),
                )
            )  # fmt: skip
        return token

    def session(self, token: str) -> tuple[str, str] | None:
        """The (key id, role) of a session that is open: not expired, not ended, its key not revoked."""
        with self.reader.connect() as connection:
            row = connection.execute(
                select(sessions.c.expires_at, sessions.c.revoked_at, api_keys.c.key_id, api_keys.c.role,
                       api_keys.c.revoked_at.label("key_revoked_at"))
                .select_from(sessions.join(api_keys))
                .where(sessions.c.token_sha256 == _sha256(token))
            ).first()  # fmt: skip
        if row is None or row.revoked_at is not None or row.key_revoked_at is not None:
            return None
        if _naive_utc(row.expires_at) <= _naive_utc(self.clock()):
            return None
        return row.key_id, row.role

    def close_session(self, token: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                update(sessions)
                .where((sessions.c.token_sha256 == _sha256(token)) & sessions.c.revoked_at.is_(None))
                .values(revoked_at=self.clock())
            )

    def _authenticate(self, key: str) -> tuple[str, str] | None:
        parts = key.split("_", 2)
        if len(parts) != 3 or parts[0] != "clr" or len(parts[1]) > 24:
            return None
        with self.reader.connect() as connection:
            row = connection.execute(
                select(api_keys.c.secret_sha256, api_keys.c.role, api_keys.c.revoked_at).where(
                    api_keys.c.key_id == parts[1]
                )
            ).first()
        if row is None or row.revoked_at is not None or not hmac.compare_digest(row.secret_sha256, _sha256(parts[2])):
            return None
        return parts[1], row.role


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _naive_utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment
