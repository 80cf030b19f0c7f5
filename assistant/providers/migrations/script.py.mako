"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
"""

from __future__ import annotations

from alembic import op

from assistant.providers.migrations import run_ddl

revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = None
depends_on = None

SQLITE: list[str] = []
POSTGRESQL: list[str] = []


def upgrade() -> None:
    run_ddl(op.get_bind(), SQLITE, POSTGRESQL)


def downgrade() -> None:
    raise NotImplementedError("restore a backup taken before the upgrade")
