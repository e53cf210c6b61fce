-- ChatSeal schema v3 (SQLite): data minimisation. Keys start with tenant_id; originals and hold
-- reasons are sealed, subjects and tokens appear only as keyed hashes.

-- The pseudonym token vault: one row per token per conversation, the original sealed under the
-- conversation's content data key, so deleting the conversation (crypto-shred) destroys it too.
CREATE TABLE pseudonym_vault (
    tenant_id TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    token_tag BLOB NOT NULL,
    sealed BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, conversation_id, token_tag)
);

-- Legal holds stop expiry, for a whole tenant (conversation_id NULL) or one conversation.
-- The reason and owner are sealed under a key derived from the tenant's index key.
CREATE TABLE legal_holds (
    tenant_id TEXT NOT NULL,
    hold_id TEXT NOT NULL,
    conversation_id TEXT,
    sealed BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    released_at INTEGER,
    PRIMARY KEY (tenant_id, hold_id)
);
CREATE INDEX legal_holds_by_conversation ON legal_holds (tenant_id, conversation_id);

-- One row per destroyed conversation: when it fell due and when it was destroyed, for the
-- adherence figure; the id only as a salted hash, and the receipt that lists it.
CREATE TABLE deletions (
    tenant_id TEXT NOT NULL,
    conversation_tag TEXT NOT NULL,
    kind TEXT NOT NULL,
    due_at INTEGER,
    deleted_at INTEGER NOT NULL,
    receipt_id TEXT NOT NULL,
    PRIMARY KEY (tenant_id, conversation_tag)
);
CREATE INDEX deletions_by_kind ON deletions (tenant_id, kind, deleted_at);

-- Signed deletion receipts (C2SP signed notes), kept for the tenant and the data subject.
CREATE TABLE deletion_receipts (
    tenant_id TEXT NOT NULL,
    receipt_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    note TEXT NOT NULL,
    PRIMARY KEY (tenant_id, receipt_id)
);

-- Expiry is computed from the tier and the tenant's policy at run time (a policy change applies
-- at once); these indexes make the expiry and erasure scans range scans.
CREATE INDEX conversations_by_age ON conversations (tenant_id, classification, created_at);
CREATE INDEX conversations_by_owner ON conversations (tenant_id, owner_tag);
