-- ChatSeal schema v1 (PostgreSQL), the same tables as migrations/sqlite/0001_initial.sql.
--
-- Distribution: every primary key and unique index of a tenant table starts with tenant_id and
-- no foreign key crosses tenants, so on Citus conversations, data_keys and items are distributed
-- with create_distributed_table('chatseal.<table>', 'tenant_id', colocate_with => ...) unchanged.
-- tenants (unique name) and oauth_clients (client ids unique across tenants, RFC 6749 §4.4: the
-- token endpoint is told nothing else) carry a uniqueness a distributed table cannot enforce:
-- they are the directory and become create_reference_table(...), replicated to every node.
--
-- Isolation: row-level security on every tenant table, forced for the owner too, keyed on the
-- transaction-local setting chatseal.tenant. Unset (or reset to '' after a SET LOCAL ended) it
-- matches no row. The application role chatseal_app must exist (docs/deployment.md); it gets
-- DML only: no ownership, no TRUNCATE (which ignores row-level security), no DDL.
-- Identifiers and names use COLLATE "C" so ORDER BY is byte order, as in SQLite.

CREATE SCHEMA chatseal;
REVOKE ALL ON SCHEMA chatseal FROM PUBLIC;

CREATE TABLE chatseal.schema_version (
    version integer PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE chatseal.tenants (
    tenant_id text COLLATE "C" PRIMARY KEY CHECK (tenant_id <> ''),
    name text COLLATE "C" NOT NULL UNIQUE,
    created_at bigint NOT NULL,
    settings text NOT NULL DEFAULT '{}',
    index_key bytea NOT NULL,
    index_key_version bigint NOT NULL
);

CREATE TABLE chatseal.conversations (
    tenant_id text COLLATE "C" NOT NULL,
    conversation_id text COLLATE "C" NOT NULL,
    created_at bigint NOT NULL,
    classification text NOT NULL,
    owner_tag bytea NOT NULL,
    metadata bytea NOT NULL,
    PRIMARY KEY (tenant_id, conversation_id)
);

CREATE TABLE chatseal.data_keys (
    tenant_id text COLLATE "C" NOT NULL,
    conversation_id text COLLATE "C" NOT NULL,
    namespace text COLLATE "C" NOT NULL,
    kek_version bigint NOT NULL,
    wrapped bytea NOT NULL,
    created_at bigint NOT NULL,
    PRIMARY KEY (tenant_id, conversation_id, namespace)
);
CREATE INDEX data_keys_by_version ON chatseal.data_keys (tenant_id, kek_version);

CREATE TABLE chatseal.items (
    tenant_id text COLLATE "C" NOT NULL,
    conversation_id text COLLATE "C" NOT NULL,
    position bigint NOT NULL,
    item_id text COLLATE "C" NOT NULL,
    item_type text NOT NULL,
    role text,
    created_at bigint NOT NULL,
    sealed bytea NOT NULL,
    PRIMARY KEY (tenant_id, conversation_id, position)
);
CREATE UNIQUE INDEX items_by_id ON chatseal.items (tenant_id, item_id);

-- OAuth2 client credentials; secrets are stored only as hashes.
CREATE TABLE chatseal.oauth_clients (
    tenant_id text COLLATE "C" NOT NULL,
    client_id text COLLATE "C" NOT NULL,
    secret_hash bytea NOT NULL,
    roles text NOT NULL,
    purpose text,
    created_at bigint NOT NULL,
    revoked_at bigint,
    PRIMARY KEY (tenant_id, client_id)
);
CREATE UNIQUE INDEX oauth_clients_by_id ON chatseal.oauth_clients (client_id);

-- Sealed bytes are ciphertext and do not compress: EXTERNAL skips TOAST's compression attempt.
ALTER TABLE chatseal.items ALTER COLUMN sealed SET STORAGE EXTERNAL;
ALTER TABLE chatseal.conversations ALTER COLUMN metadata SET STORAGE EXTERNAL;

-- Row-level security (https://www.postgresql.org/docs/15/ddl-rowsecurity.html).
ALTER TABLE chatseal.tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE chatseal.tenants FORCE ROW LEVEL SECURITY;
ALTER TABLE chatseal.conversations ENABLE ROW LEVEL SECURITY;
ALTER TABLE chatseal.conversations FORCE ROW LEVEL SECURITY;
ALTER TABLE chatseal.data_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE chatseal.data_keys FORCE ROW LEVEL SECURITY;
ALTER TABLE chatseal.items ENABLE ROW LEVEL SECURITY;
ALTER TABLE chatseal.items FORCE ROW LEVEL SECURITY;
ALTER TABLE chatseal.oauth_clients ENABLE ROW LEVEL SECURITY;
ALTER TABLE chatseal.oauth_clients FORCE ROW LEVEL SECURITY;

CREATE POLICY tenant_isolation ON chatseal.tenants
    USING (tenant_id = nullif(current_setting('chatseal.tenant', true), ''))
    WITH CHECK (tenant_id = nullif(current_setting('chatseal.tenant', true), ''));
CREATE POLICY tenant_isolation ON chatseal.conversations
    USING (tenant_id = nullif(current_setting('chatseal.tenant', true), ''))
    WITH CHECK (tenant_id = nullif(current_setting('chatseal.tenant', true), ''));
CREATE POLICY tenant_isolation ON chatseal.data_keys
    USING (tenant_id = nullif(current_setting('chatseal.tenant', true), ''))
    WITH CHECK (tenant_id = nullif(current_setting('chatseal.tenant', true), ''));
CREATE POLICY tenant_isolation ON chatseal.items
    USING (tenant_id = nullif(current_setting('chatseal.tenant', true), ''))
    WITH CHECK (tenant_id = nullif(current_setting('chatseal.tenant', true), ''));
CREATE POLICY tenant_isolation ON chatseal.oauth_clients
    USING (tenant_id = nullif(current_setting('chatseal.tenant', true), ''))
    WITH CHECK (tenant_id = nullif(current_setting('chatseal.tenant', true), ''));

-- The directory: resolving a tenant name or an OAuth2 client id (and listing tenants for
-- operators) are the lookups that cannot know the tenant first. They go through SECURITY DEFINER
-- functions that only read, owned by the migrating role; that role alone may read the whole
-- directory (it owns the tables and could switch RLS off anyway). The application role cannot.
CREATE POLICY tenant_directory ON chatseal.tenants FOR SELECT TO CURRENT_USER USING (true);
CREATE POLICY client_directory ON chatseal.oauth_clients FOR SELECT TO CURRENT_USER USING (true);

CREATE FUNCTION chatseal.tenant_by_name(lookup_name text)
    RETURNS SETOF chatseal.tenants
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$ SELECT * FROM chatseal.tenants WHERE name = lookup_name $$;

CREATE FUNCTION chatseal.tenant_directory()
    RETURNS SETOF chatseal.tenants
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$ SELECT * FROM chatseal.tenants ORDER BY name $$;

CREATE FUNCTION chatseal.client_by_id(lookup_id text)
    RETURNS SETOF chatseal.oauth_clients
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$ SELECT * FROM chatseal.oauth_clients WHERE client_id = lookup_id $$;

REVOKE ALL ON FUNCTION chatseal.tenant_by_name(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION chatseal.client_by_id(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION chatseal.tenant_directory() FROM PUBLIC;

GRANT USAGE ON SCHEMA chatseal TO chatseal_app;
GRANT SELECT ON chatseal.schema_version TO chatseal_app;
GRANT SELECT, INSERT, UPDATE, DELETE
    ON chatseal.tenants, chatseal.conversations, chatseal.data_keys, chatseal.items,
       chatseal.oauth_clients
    TO chatseal_app;
GRANT EXECUTE
    ON FUNCTION chatseal.tenant_by_name(text), chatseal.tenant_directory(),
       chatseal.client_by_id(text)
    TO chatseal_app;
