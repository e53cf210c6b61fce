"""The tamper-evident audit log: an RFC 9162 transparency log in C2SP formats.

merkle          RFC 9162 §2.1 hashing, roots, inclusion and consistency proofs
storage         the TreeStorage / AuditQueue Protocols and in-memory implementations
sqlite_storage  SQLite implementations (tables audit_*)
tree            the append-only tree (O(log n) writes per append, reads per proof)
note            C2SP signed notes and vkeys (Ed25519)
checkpoint      C2SP tlog-checkpoint bodies; never sign a fork
sequencer       drains the queue into the tree, signs checkpoints on a schedule
events          audit events as RFC 8785 canonical JSON; salted identifier hashes
witness         a witness and C2SP tlog-cosignature/v1
proof           C2SP tlog-proof receipts
tiles           export as C2SP tlog-tiles
external        external checkpoint directory (anti-rollback)
verify          recompute and check everything (`chatseal audit verify`)
"""
