"""API keys with a role and the knowledge bases they may use. Keys are shown once and stored hashed."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import uuid
from datetime import UTC, datetime, timedelta

from assistant.access.models import ALL_KBS, Principal, Role
from assistant.errors import InvalidInput, NotFound
from assistant.knowledge.store import now_iso, validate_kb_name
from assistant.providers.database import AppDB, register_schema

register_schema(
    """
CREATE TABLE IF NOT EXISTS api_keys (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    role TEXT NOT NULL,
    kbs TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
-- signed-in browser sessions of the web UI: a token in the page address keeps the sign-in across
-- a page refresh (stored hashed; ends at sign-out, expiry or when the key is revoked)
CREATE TABLE IF NOT EXISTS web_sessions (
    token_hash TEXT PRIMARY KEY,
    key_id TEXT NOT NULL REFERENCES api_keys(id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
"""
)

#: how long a web sign-in lasts without signing in again
WEB_SESSION_HOURS = 12


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class KeyStore:
    def __init__(self, db: AppDB) -> None:
        self.db = db

    def create(self, name: str, role: str, kbs: list[str]) -> tuple[str, dict[str, object]]:
        """Create a key; returns the secret (shown once) and its public record."""
        name = (name or "").strip()
        if not name or len(name) > 100:
            raise InvalidInput("a key needs a name of 1-100 characters")
        try:
            role_ = Role(role)
        except ValueError:
            raise InvalidInput(
                f"unknown role {role!r}; use one of: {', '.join(r.value for r in Role)}"
            ) from None
        if not kbs:
            raise InvalidInput("name the knowledge bases the key may use (--kb NAME, or --all-kbs)")
        scope = [ALL_KBS] if ALL_KBS in kbs else sorted({validate_kb_name(k) for k in kbs})
        secret = "ak_" + secrets.token_urlsafe(24)
        key_id = uuid.uuid4().hex[:12]
        with self.db.transaction() as c:
            c.execute(
                "INSERT INTO api_keys VALUES (?, ?, ?, ?, ?, ?, ?, NULL)",
                (
                    key_id,
                    name,
                    _hash(secret),
                    secret[:7],
                    role_.value,
                    json.dumps(scope, ensure_ascii=False),
                    now_iso(),
                ),
            )
        return secret, {"id": key_id, "name": name, "role": role_.value, "kbs": scope}

    def authenticate(self, secret: str | None) -> Principal | None:
        if not secret:
            return None
        digest = _hash(secret.strip())
        row = self.db.conn.execute(
            "SELECT * FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL", (digest,)
        ).fetchone()
        if row is None or not hmac.compare_digest(row["key_hash"], digest):
            return None
        return Principal(
            key_id=row["id"], name=row["name"], role=Role(row["role"]), kbs=json.loads(row["kbs"])
        )

    def open_session(
        self, secret: str | None, hours: float = WEB_SESSION_HOURS
    ) -> tuple[str, Principal] | None:
        """Sign in a browser: a session token for *secret*'s key (None for a bad key). Expired
        sessions are swept on the way."""
        who = self.authenticate(secret)
        if who is None:
            return None
        token = "ws_" + secrets.token_urlsafe(24)
        now = datetime.now(UTC).replace(microsecond=0)
        with self.db.transaction() as c:
            c.execute("DELETE FROM web_sessions WHERE expires_at < ?", (now.isoformat(),))
            c.execute(
                "INSERT INTO web_sessions VALUES (?, ?, ?, ?)",
                (_hash(token), who.key_id, now.isoformat(), (now + timedelta(hours=hours)).isoformat()),
            )
        return token, who

    def resume(self, token: str | None) -> Principal | None:
        """The key of a live browser session (None: unknown, expired, or its key revoked)."""
        if not token or not token.startswith("ws_") or len(token) > 100:
            return None
        row = self.db.conn.execute(
            "SELECT k.* FROM web_sessions s JOIN api_keys k ON k.id = s.key_id "
            "WHERE s.token_hash = ? AND s.expires_at > ? AND k.revoked_at IS NULL",
            (_hash(token), datetime.now(UTC).replace(microsecond=0).isoformat()),
        ).fetchone()
        if row is None:
            return None
        return Principal(
            key_id=row["id"], name=row["name"], role=Role(row["role"]), kbs=json.loads(row["kbs"])
        )

    def close_session(self, token: str | None) -> None:
        """Sign a browser out (nothing happens for an unknown token)."""
        if token:
            with self.db.transaction() as c:
                c.execute("DELETE FROM web_sessions WHERE token_hash = ?", (_hash(token),))

    def list(self) -> list[dict[str, object]]:
        rows = self.db.conn.execute("SELECT * FROM api_keys ORDER BY created_at").fetchall()
        return [
            {
                "id": r["id"],
                "name": r["name"],
                "prefix": r["prefix"],
                "role": r["role"],
                "kbs": json.loads(r["kbs"]),
                "created_at": r["created_at"],
                "revoked": r["revoked_at"] is not None,
            }
            for r in rows
        ]

    def revoke(self, key_id: str) -> None:
        with self.db.transaction() as c:
            cur = c.execute(
                "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", (now_iso(), key_id)
            )
            if cur.rowcount == 0:
                raise NotFound(f"no active key with id {key_id!r}")
