-- The audit log (chatseal.audit.sqlite_storage): events are queued in the same transaction as the
-- change they record; the sequencer moves them into the Merkle tree's leaves and node hashes.
CREATE TABLE IF NOT EXISTS audit_leaves (
    idx INTEGER PRIMARY KEY,
    data BLOB NOT NULL,
    leaf_hash BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS audit_nodes (
    level INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    hash BLOB NOT NULL,
    PRIMARY KEY (level, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS audit_checkpoints (
    size INTEGER PRIMARY KEY,
    note TEXT NOT NULL
);
-- No AUTOINCREMENT: the sequencer removes exactly the rows it integrated, so a reused rowid after
-- the queue empties is harmless, and each append saves a write to sqlite_sequence.
CREATE TABLE IF NOT EXISTS audit_queue (
    seq INTEGER PRIMARY KEY,
    data BLOB NOT NULL
);
