-- ChatSeal schema v4 (SQLite): access policy versions and break-glass requests (docs/access.md).
-- Keys start with tenant_id. `seq` keeps the order versions and requests were first stored
-- (times can tie); the partial unique index allows one active policy version per tenant.

CREATE TABLE policy_versions (
    tenant_id TEXT NOT NULL,
    version_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    author TEXT NOT NULL,
    created_at REAL NOT NULL,
    content_hash TEXT NOT NULL,
    parent TEXT,
    policy_text TEXT NOT NULL,
    status TEXT NOT NULL,
    approvals TEXT NOT NULL,
    activated_at REAL,
    note TEXT NOT NULL,
    PRIMARY KEY (tenant_id, version_id)
);
CREATE UNIQUE INDEX policy_versions_by_seq ON policy_versions (tenant_id, seq);
CREATE UNIQUE INDEX policy_versions_one_active ON policy_versions (tenant_id)
    WHERE status = 'active';

-- The reason is sealed (it may name people); requester subjects are kept as given, like the
-- authors of policy versions, because the two-person rule compares them.
CREATE TABLE breakglass_requests (
    tenant_id TEXT NOT NULL,
    request_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    requester_tenant TEXT NOT NULL,
    requester TEXT NOT NULL,
    reason BLOB NOT NULL,
    actions TEXT NOT NULL,
    conversation_ids TEXT NOT NULL,
    duration REAL NOT NULL,
    created_at REAL NOT NULL,
    status TEXT NOT NULL,
    approvals TEXT NOT NULL,
    approved_at REAL,
    expires_at REAL,
    revoked_by TEXT,
    PRIMARY KEY (tenant_id, request_id)
);
CREATE UNIQUE INDEX breakglass_by_seq ON breakglass_requests (tenant_id, seq);
CREATE INDEX breakglass_by_status ON breakglass_requests (tenant_id, status);
