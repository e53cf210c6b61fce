-- ChatSeal schema v1 (SQLite). Every key starts with tenant_id; only sealed bytes and
-- non-sensitive metadata are stored.
CREATE TABLE tenants (
    tenant_id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    settings TEXT NOT NULL DEFAULT '{}',
    index_key BLOB NOT NULL,
    index_key_version INTEGER NOT NULL
);

CREATE TABLE conversations (
    tenant_id TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    classification TEXT NOT NULL,
    owner_tag BLOB NOT NULL,
    metadata BLOB NOT NULL,
    PRIMARY KEY (tenant_id, conversation_id)
);

CREATE TABLE data_keys (
    tenant_id TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    namespace TEXT NOT NULL,
    kek_version INTEGER NOT NULL,
    wrapped BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, conversation_id, namespace)
);
CREATE INDEX data_keys_by_version ON data_keys (tenant_id, kek_version);

CREATE TABLE items (
    tenant_id TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    item_id TEXT NOT NULL,
    item_type TEXT NOT NULL,
    role TEXT,
    created_at INTEGER NOT NULL,
    sealed BLOB NOT NULL,
    PRIMARY KEY (tenant_id, conversation_id, position)
);
CREATE UNIQUE INDEX items_by_id ON items (tenant_id, item_id);

-- OAuth2 client credentials (RFC 6749 §4.4). Secrets are stored only as hashes; client ids are
-- unique across tenants because the token endpoint is told nothing else.
CREATE TABLE oauth_clients (
    tenant_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    secret_hash BLOB NOT NULL,
    roles TEXT NOT NULL,
    purpose TEXT,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER,
    PRIMARY KEY (tenant_id, client_id)
);
CREATE UNIQUE INDEX oauth_clients_by_id ON oauth_clients (client_id);
