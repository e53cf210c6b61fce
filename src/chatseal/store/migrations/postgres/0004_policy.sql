-- ChatSeal schema v4 (PostgreSQL): access policy, as migrations/sqlite/0004_policy.sql. Both
-- tables are tenant tables under the same forced row-level security as schema v1.

CREATE TABLE chatseal.policy_versions (
    tenant_id text COLLATE "C" NOT NULL,
    version_id text COLLATE "C" NOT NULL,
    seq bigint NOT NULL,
    author text NOT NULL,
    created_at double precision NOT NULL,
    content_hash text COLLATE "C" NOT NULL,
    parent text COLLATE "C",
    policy_text text NOT NULL,
    status text COLLATE "C" NOT NULL,
    approvals text NOT NULL,
    activated_at double precision,
    note text NOT NULL,
    PRIMARY KEY (tenant_id, version_id)
);
CREATE UNIQUE INDEX policy_versions_by_seq ON chatseal.policy_versions (tenant_id, seq);
CREATE UNIQUE INDEX policy_versions_one_active ON chatseal.policy_versions (tenant_id)
    WHERE status = 'active';

CREATE TABLE chatseal.breakglass_requests (
    tenant_id text COLLATE "C" NOT NULL,
    request_id text COLLATE "C" NOT NULL,
    seq bigint NOT NULL,
    requester_tenant text COLLATE "C" NOT NULL,
    requester text NOT NULL,
    reason bytea NOT NULL,
    actions text NOT NULL,
    conversation_ids text NOT NULL,
    duration double precision NOT NULL,
    created_at double precision NOT NULL,
    status text COLLATE "C" NOT NULL,
    approvals text NOT NULL,
    approved_at double precision,
    expires_at double precision,
    revoked_by text,
    PRIMARY KEY (tenant_id, request_id)
);
CREATE UNIQUE INDEX breakglass_by_seq ON chatseal.breakglass_requests (tenant_id, seq);
CREATE INDEX breakglass_by_status ON chatseal.breakglass_requests (tenant_id, status);

ALTER TABLE chatseal.policy_versions ENABLE ROW LEVEL SECURITY;
ALTER TABLE chatseal.policy_versions FORCE ROW LEVEL SECURITY;
ALTER TABLE chatseal.breakglass_requests ENABLE ROW LEVEL SECURITY;
ALTER TABLE chatseal.breakglass_requests FORCE ROW LEVEL SECURITY;

CREATE POLICY tenant_isolation ON chatseal.policy_versions
    USING (tenant_id = nullif(current_setting('chatseal.tenant', true), ''))
    WITH CHECK (tenant_id = nullif(current_setting('chatseal.tenant', true), ''));
CREATE POLICY tenant_isolation ON chatseal.breakglass_requests
    USING (tenant_id = nullif(current_setting('chatseal.tenant', true), ''))
    WITH CHECK (tenant_id = nullif(current_setting('chatseal.tenant', true), ''));

GRANT SELECT, INSERT, UPDATE, DELETE
    ON chatseal.policy_versions, chatseal.breakglass_requests
    TO chatseal_app;
