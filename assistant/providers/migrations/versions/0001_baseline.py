"""Baseline: the application tables as they stood when migrations moved to Alembic (stop 27).

Every statement is idempotent (``IF NOT EXISTS``, ``OR REPLACE``), so this revision also adopts a
database made before it: the tables are left as they are and the database is stamped.

Revision ID: 0001_baseline
Revises:
"""

from __future__ import annotations

from alembic import op

from assistant.providers.migrations import run_ddl

revision = "0001_baseline"
down_revision = None
branch_labels = None
depends_on = None

SQLITE = [
    """CREATE TABLE IF NOT EXISTS kb_purges (kb TEXT PRIMARY KEY);
""",
    """CREATE TABLE IF NOT EXISTS api_keys (
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
""",
    """CREATE TABLE IF NOT EXISTS change_requests (
    id TEXT PRIMARY KEY, kb TEXT NOT NULL, title TEXT NOT NULL, requester TEXT NOT NULL, status TEXT NOT NULL,
    data TEXT NOT NULL, review_round INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS cr_approvals (
    cr_id TEXT NOT NULL, review_round INTEGER NOT NULL, approver TEXT NOT NULL, at TEXT NOT NULL, comment TEXT,
    PRIMARY KEY (cr_id, review_round, approver)
);
CREATE TABLE IF NOT EXISTS cr_audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, cr_id TEXT NOT NULL, at TEXT NOT NULL, actor TEXT NOT NULL, role TEXT NOT NULL,
    action TEXT NOT NULL, from_state TEXT, to_state TEXT, comment TEXT, changes TEXT NOT NULL
);

CREATE TRIGGER IF NOT EXISTS cr_audit_no_update BEFORE UPDATE ON cr_audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
DROP TRIGGER IF EXISTS cr_audit_no_delete;
CREATE TRIGGER cr_audit_no_delete BEFORE DELETE ON cr_audit
WHEN NOT EXISTS (
    SELECT 1 FROM kb_purges p JOIN change_requests r ON r.kb = p.kb WHERE r.id = OLD.cr_id
)
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
""",
    """CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY, kb TEXT NOT NULL, created_at TEXT NOT NULL, user TEXT
);
CREATE TABLE IF NOT EXISTS messages (
    id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    seq INTEGER NOT NULL,
    kb TEXT NOT NULL,
    question TEXT NOT NULL,
    query TEXT NOT NULL,
    answer TEXT NOT NULL,
    found INTEGER NOT NULL,
    mode TEXT NOT NULL,
    language TEXT NOT NULL,
    confidence REAL NOT NULL,
    citations TEXT NOT NULL,
    flags TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_conv ON messages(conversation_id, seq);
CREATE INDEX IF NOT EXISTS messages_kb ON messages(kb, created_at);
CREATE TABLE IF NOT EXISTS feedback (
    message_id TEXT PRIMARY KEY REFERENCES messages(id),
    rating INTEGER NOT NULL,
    comment TEXT,
    created_at TEXT NOT NULL
);
""",
    """CREATE TABLE IF NOT EXISTS tickets (
    id TEXT NOT NULL,
    kb TEXT NOT NULL,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    category TEXT,
    priority TEXT,
    status TEXT NOT NULL,
    resolution TEXT,
    source TEXT NOT NULL,
    conversation_id TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    extra TEXT NOT NULL DEFAULT '{}',
    raw_status TEXT,
    created TEXT,
    content_hash TEXT,
    PRIMARY KEY (kb, id)
);
CREATE TABLE IF NOT EXISTS faq_drafts (
    id TEXT NOT NULL,
    kb TEXT NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    tickets TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    decided_at TEXT,
    PRIMARY KEY (kb, id)
);
""",
    """CREATE TABLE IF NOT EXISTS interview_sessions (
    id TEXT PRIMARY KEY, project TEXT NOT NULL, kb TEXT, module TEXT NOT NULL, consultant TEXT,
    interviewees TEXT NOT NULL, date TEXT, language TEXT NOT NULL, created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS interview_turns (
    session_id TEXT NOT NULL REFERENCES interview_sessions(id), seq INTEGER NOT NULL, ref TEXT NOT NULL,
    speaker TEXT NOT NULL, text TEXT NOT NULL, PRIMARY KEY (session_id, seq)
);
CREATE TABLE IF NOT EXISTS interview_items (
    session_id TEXT NOT NULL REFERENCES interview_sessions(id), item_id TEXT NOT NULL, kind TEXT NOT NULL,
    data TEXT NOT NULL, edited INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (session_id, item_id)
);
""",
    """CREATE TABLE IF NOT EXISTS migration_rounds (
    id TEXT PRIMARY KEY,
    pair TEXT NOT NULL,          -- the source file name and the key: one migration object
    round TEXT NOT NULL,
    at TEXT NOT NULL,
    source_rows INTEGER NOT NULL,
    target_rows INTEGER NOT NULL,
    missing INTEGER NOT NULL,
    extra INTEGER NOT NULL,
    differences INTEGER NOT NULL
);
""",
    """CREATE TABLE IF NOT EXISTS ticket_attachments (
    kb TEXT NOT NULL,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    added_at TEXT NOT NULL,
    added_by TEXT NOT NULL,
    PRIMARY KEY (kb, id, name)
);
""",
    """CREATE TABLE IF NOT EXISTS ticket_work (
    kb TEXT NOT NULL,
    id TEXT NOT NULL,
    assignee TEXT,
    version INTEGER NOT NULL DEFAULT 0,
    first_response_at TEXT,
    resolved_at TEXT,
    master TEXT,
    PRIMARY KEY (kb, id)
);
CREATE TABLE IF NOT EXISTS ticket_events (
    kb TEXT NOT NULL,
    id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (kb, id, seq)
);
""",
]

POSTGRESQL = [
    """CREATE TABLE IF NOT EXISTS kb_purges (kb TEXT PRIMARY KEY);
ALTER TABLE kb_purges ADD COLUMN IF NOT EXISTS rowid BIGINT GENERATED BY DEFAULT AS IDENTITY;
""",
    """CREATE TABLE IF NOT EXISTS api_keys (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    role TEXT NOT NULL,
    kbs TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);


CREATE TABLE IF NOT EXISTS web_sessions (
    token_hash TEXT PRIMARY KEY,
    key_id TEXT NOT NULL REFERENCES api_keys(id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
ALTER TABLE api_keys ADD COLUMN IF NOT EXISTS rowid BIGINT GENERATED BY DEFAULT AS IDENTITY;
ALTER TABLE web_sessions ADD COLUMN IF NOT EXISTS rowid BIGINT GENERATED BY DEFAULT AS IDENTITY;
""",
    """CREATE TABLE IF NOT EXISTS change_requests (
    id TEXT PRIMARY KEY, kb TEXT NOT NULL, title TEXT NOT NULL, requester TEXT NOT NULL, status TEXT NOT NULL,
    data TEXT NOT NULL, review_round BIGINT NOT NULL DEFAULT 0, created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS cr_approvals (
    cr_id TEXT NOT NULL, review_round BIGINT NOT NULL, approver TEXT NOT NULL, at TEXT NOT NULL, comment TEXT,
    PRIMARY KEY (cr_id, review_round, approver)
);
CREATE TABLE IF NOT EXISTS cr_audit (
    seq BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, cr_id TEXT NOT NULL, at TEXT NOT NULL, actor TEXT NOT NULL, role TEXT NOT NULL,
    action TEXT NOT NULL, from_state TEXT, to_state TEXT, comment TEXT, changes TEXT NOT NULL
);
ALTER TABLE change_requests ADD COLUMN IF NOT EXISTS rowid BIGINT GENERATED BY DEFAULT AS IDENTITY;
ALTER TABLE cr_approvals ADD COLUMN IF NOT EXISTS rowid BIGINT GENERATED BY DEFAULT AS IDENTITY;
ALTER TABLE cr_audit ADD COLUMN IF NOT EXISTS rowid BIGINT GENERATED BY DEFAULT AS IDENTITY;
CREATE OR REPLACE FUNCTION cr_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND EXISTS (
        SELECT 1 FROM kb_purges p JOIN change_requests r ON r.kb = p.kb WHERE r.id = OLD.cr_id
    ) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only';
END $$;
CREATE OR REPLACE TRIGGER cr_audit_append_only BEFORE UPDATE OR DELETE ON cr_audit
FOR EACH ROW EXECUTE FUNCTION cr_audit_append_only();
""",
    """CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY, kb TEXT NOT NULL, created_at TEXT NOT NULL, "user" TEXT
);
CREATE TABLE IF NOT EXISTS messages (
    id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    seq BIGINT NOT NULL,
    kb TEXT NOT NULL,
    question TEXT NOT NULL,
    query TEXT NOT NULL,
    answer TEXT NOT NULL,
    found BIGINT NOT NULL,
    mode TEXT NOT NULL,
    language TEXT NOT NULL,
    confidence DOUBLE PRECISION NOT NULL,
    citations TEXT NOT NULL,
    flags TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_conv ON messages(conversation_id, seq);
CREATE INDEX IF NOT EXISTS messages_kb ON messages(kb, created_at);
CREATE TABLE IF NOT EXISTS feedback (
    message_id TEXT PRIMARY KEY REFERENCES messages(id),
    rating BIGINT NOT NULL,
    comment TEXT,
    created_at TEXT NOT NULL
);
ALTER TABLE conversations ADD COLUMN IF NOT EXISTS rowid BIGINT GENERATED BY DEFAULT AS IDENTITY;
ALTER TABLE messages ADD COLUMN IF NOT EXISTS rowid BIGINT GENERATED BY DEFAULT AS IDENTITY;
ALTER TABLE feedback ADD COLUMN IF NOT EXISTS rowid BIGINT GENERATED BY DEFAULT AS IDENTITY;
""",
    """CREATE TABLE IF NOT EXISTS tickets (
    id TEXT NOT NULL,
    kb TEXT NOT NULL,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    category TEXT,
    priority TEXT,
    status TEXT NOT NULL,
    resolution TEXT,
    source TEXT NOT NULL,
    conversation_id TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    extra TEXT NOT NULL DEFAULT '{}',
    raw_status TEXT,
    created TEXT,
    content_hash TEXT,
    PRIMARY KEY (kb, id)
);
CREATE TABLE IF NOT EXISTS faq_drafts (
    id TEXT NOT NULL,
    kb TEXT NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    tickets TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    decided_at TEXT,
    PRIMARY KEY (kb, id)
);
ALTER TABLE tickets ADD COLUMN IF NOT EXISTS rowid BIGINT GENERATED BY DEFAULT AS IDENTITY;
ALTER TABLE faq_drafts ADD COLUMN IF NOT EXISTS rowid BIGINT GENERATED BY DEFAULT AS IDENTITY;
""",
    """CREATE TABLE IF NOT EXISTS interview_sessions (
    id TEXT PRIMARY KEY, project TEXT NOT NULL, kb TEXT, module TEXT NOT NULL, consultant TEXT,
    interviewees TEXT NOT NULL, date TEXT, language TEXT NOT NULL, created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS interview_turns (
    session_id TEXT NOT NULL REFERENCES interview_sessions(id), seq BIGINT NOT NULL, ref TEXT NOT NULL,
    speaker TEXT NOT NULL, text TEXT NOT NULL, PRIMARY KEY (session_id, seq)
);
CREATE TABLE IF NOT EXISTS interview_items (
    session_id TEXT NOT NULL REFERENCES interview_sessions(id), item_id TEXT NOT NULL, kind TEXT NOT NULL,
    data TEXT NOT NULL, edited BIGINT NOT NULL DEFAULT 0, PRIMARY KEY (session_id, item_id)
);
ALTER TABLE interview_sessions ADD COLUMN IF NOT EXISTS rowid BIGINT GENERATED BY DEFAULT AS IDENTITY;
ALTER TABLE interview_turns ADD COLUMN IF NOT EXISTS rowid BIGINT GENERATED BY DEFAULT AS IDENTITY;
ALTER TABLE interview_items ADD COLUMN IF NOT EXISTS rowid BIGINT GENERATED BY DEFAULT AS IDENTITY;
""",
    """CREATE TABLE IF NOT EXISTS migration_rounds (
    id TEXT PRIMARY KEY,
    pair TEXT NOT NULL,          
    round TEXT NOT NULL,
    at TEXT NOT NULL,
    source_rows BIGINT NOT NULL,
    target_rows BIGINT NOT NULL,
    missing BIGINT NOT NULL,
    extra BIGINT NOT NULL,
    differences BIGINT NOT NULL
);
ALTER TABLE migration_rounds ADD COLUMN IF NOT EXISTS rowid BIGINT GENERATED BY DEFAULT AS IDENTITY;
""",
    """CREATE TABLE IF NOT EXISTS ticket_attachments (
    kb TEXT NOT NULL,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    added_at TEXT NOT NULL,
    added_by TEXT NOT NULL,
    PRIMARY KEY (kb, id, name)
);
ALTER TABLE ticket_attachments ADD COLUMN IF NOT EXISTS rowid BIGINT GENERATED BY DEFAULT AS IDENTITY;
""",
    """CREATE TABLE IF NOT EXISTS ticket_work (
    kb TEXT NOT NULL,
    id TEXT NOT NULL,
    assignee TEXT,
    version BIGINT NOT NULL DEFAULT 0,
    first_response_at TEXT,
    resolved_at TEXT,
    master TEXT,
    PRIMARY KEY (kb, id)
);
CREATE TABLE IF NOT EXISTS ticket_events (
    kb TEXT NOT NULL,
    id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (kb, id, seq)
);
ALTER TABLE ticket_work ADD COLUMN IF NOT EXISTS rowid BIGINT GENERATED BY DEFAULT AS IDENTITY;
ALTER TABLE ticket_events ADD COLUMN IF NOT EXISTS rowid BIGINT GENERATED BY DEFAULT AS IDENTITY;
""",
]


def upgrade() -> None:
    run_ddl(op.get_bind(), SQLITE, POSTGRESQL)
    if op.get_bind().dialect.name == "postgresql":
        # the hash-per-schema record that came before Alembic
        op.execute("DROP TABLE IF EXISTS schema_applied")


def downgrade() -> None:
    raise NotImplementedError("the baseline is not undone: restore a backup taken before the upgrade")
