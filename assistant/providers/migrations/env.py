"""Alembic's environment: migrations run on the connection that assistant.providers.migrations.upgrade opened
inside its locked transaction (``assistant db upgrade``, or any process opening the database)."""

from __future__ import annotations

from alembic import context

connection = context.config.attributes.get("connection")
if connection is None or context.is_offline_mode():
    raise RuntimeError(
        "run the migrations with `assistant db upgrade` (it opens the connection and the lock)"
    )
context.configure(connection=connection, target_metadata=None, transactional_ddl=True)
with context.begin_transaction():
    context.run_migrations()
