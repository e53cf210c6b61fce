-- ChatSeal schema v3 (PostgreSQL): data minimisation, as migrations/sqlite/0003_minimisation.sql.
-- Keys start with tenant_id (distributable by tenant); originals and hold reasons are sealed,
-- subjects and tokens appear only as keyed hashes. Every table is a tenant table under the same
-- forced row-level security as schema v1.

CREATE TABLE chatseal.pseudonym_vault (
    tenant_id text COLLATE "C" NOT NULL,
    conversation_id text COLLATE "C" NOT NULL,
    token_tag bytea NOT NULL,
    sealed bytea NOT NULL,
    created_at bigint NOT NULL,
    PRIMARY KEY (tenant_id, conversation_id, token_tag)
);

CREATE TABLE chatseal.legal_holds (
    tenant_id text COLLATE "C" NOT NULL,
    hold_id text COLLATE "C" NOT NULL,
    conversation_id text COLLATE "C",
    sealed bytea NOT NULL,
    created_at bigint NOT NULL,
    released_at bigint,
    PRIMARY KEY (tenant_id, hold_id)
);
CREATE INDEX legal_holds_by_conversation ON chatseal.legal_holds (tenant_id, conversation_id);

CREATE TABLE chatseal.deletions (
    tenant_id text COLLATE "C" NOT NULL,
    conversation_tag text COLLATE "C" NOT NULL,
    kind text COLLATE "C" NOT NULL,
    due_at bigint,
    deleted_at bigint NOT NULL,
    receipt_id text COLLATE "C" NOT NULL,
    PRIMARY KEY (tenant_id, conversation_tag)
);
CREATE INDEX deletions_by_kind ON chatseal.deletions (tenant_id, kind, deleted_at);

CREATE TABLE chatseal.deletion_receipts (
    tenant_id text COLLATE "C" NOT NULL,
    receipt_id text COLLATE "C" NOT NULL,
    kind text COLLATE "C" NOT NULL,
    created_at bigint NOT NULL,
    note text NOT NULL,
    PRIMARY KEY (tenant_id, receipt_id)
);

CREATE INDEX conversations_by_age ON chatseal.conversations (tenant_id, classification, created_at);
CREATE INDEX conversations_by_owner ON chatseal.conversations (tenant_id, owner_tag);

ALTER TABLE chatseal.pseudonym_vault ENABLE ROW LEVEL SECURITY;
ALTER TABLE chatseal.pseudonym_vault FORCE ROW LEVEL SECURITY;
ALTER TABLE chatseal.legal_holds ENABLE ROW LEVEL SECURITY;
ALTER TABLE chatseal.legal_holds FORCE ROW LEVEL SECURITY;
ALTER TABLE chatseal.deletions ENABLE ROW LEVEL SECURITY;
ALTER TABLE chatseal.deletions FORCE ROW LEVEL SECURITY;
ALTER TABLE chatseal.deletion_receipts ENABLE ROW LEVEL SECURITY;
ALTER TABLE chatseal.deletion_receipts FORCE ROW LEVEL SECURITY;

CREATE POLICY tenant_isolation ON chatseal.pseudonym_vault
    USING (tenant_id = nullif(current_setting('chatseal.tenant', true), ''))
    WITH CHECK (tenant_id = nullif(current_setting('chatseal.tenant', true), ''));
CREATE POLICY tenant_isolation ON chatseal.legal_holds
    USING (tenant_id = nullif(current_setting('chatseal.tenant', true), ''))
    WITH CHECK (tenant_id = nullif(current_setting('chatseal.tenant', true), ''));
CREATE POLICY tenant_isolation ON chatseal.deletions
    USING (tenant_id = nullif(current_setting('chatseal.tenant', true), ''))
    WITH CHECK (tenant_id = nullif(current_setting('chatseal.tenant', true), ''));
CREATE POLICY tenant_isolation ON chatseal.deletion_receipts
    USING (tenant_id = nullif(current_setting('chatseal.tenant', true), ''))
    WITH CHECK (tenant_id = nullif(current_setting('chatseal.tenant', true), ''));

GRANT SELECT, INSERT, UPDATE, DELETE
    ON chatseal.pseudonym_vault, chatseal.legal_holds, chatseal.deletions,
       chatseal.deletion_receipts
    TO chatseal_app;
