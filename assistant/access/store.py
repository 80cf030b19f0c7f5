"""API keys with a role and the knowledge bases they may use. Keys are shown once and stored hashed."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import uuid

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
"""
)


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
