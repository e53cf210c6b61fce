-- The audit log, as migrations/sqlite/0002_audit.sql: events are queued in the same transaction
-- as the change they record; the one sequencer moves them into the Merkle tree's leaves and
-- subtree hashes (RFC 9162 §2.1) and signs checkpoints.
--
-- One log per region, not per tenant: events carry salted hashes only, so these tables have no
-- tenant_id and no row-level security. On Citus they stay local tables on the coordinator.
-- The application role may append and read, and only the queue may lose rows (once integrated);
-- checkpoints are upserted by size.
CREATE TABLE chatseal.audit_leaves (
    idx bigint PRIMARY KEY,
    data bytea NOT NULL,
    leaf_hash bytea NOT NULL
);
CREATE TABLE chatseal.audit_nodes (
    level integer NOT NULL,
    idx bigint NOT NULL,
    hash bytea NOT NULL,
    PRIMARY KEY (level, idx)
);
CREATE TABLE chatseal.audit_checkpoints (
    size bigint PRIMARY KEY,
    note text NOT NULL
);
CREATE TABLE chatseal.audit_queue (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    data bytea NOT NULL
);

GRANT SELECT, INSERT ON chatseal.audit_leaves, chatseal.audit_nodes TO chatseal_app;
GRANT SELECT, INSERT, UPDATE ON chatseal.audit_checkpoints TO chatseal_app;
GRANT SELECT, INSERT, DELETE ON chatseal.audit_queue TO chatseal_app;
