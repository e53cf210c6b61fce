"""verify_log finds every kind of tampering with the SQLite audit tables."""

from __future__ import annotations

import functools
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from chatseal.audit import merkle
from chatseal.audit.checkpoint import CheckpointSigner
from chatseal.audit.external import ExternalCheckpoints
from chatseal.audit.note import Signer, sign_note
from chatseal.audit.sqlite_storage import SqliteTreeStorage, open_readonly
from chatseal.audit.tree import AuditTree
from chatseal.audit.verify import verify_log

from .conftest import leaves, make_sqlite

N = 300


def _build(path: Path, signer: Signer, external: ExternalCheckpoints) -> sqlite3.Connection:
    conn, storage = make_sqlite(path)
    tree = AuditTree(storage)
    cps = CheckpointSigner(tree, signer)
    for end in (100, 200, N):
        with storage.transaction():
            tree.append_many(leaves(end)[tree.size :])
        external.write(cps.sign(), end)
    return conn


def _edit(conn: sqlite3.Connection) -> None:
    conn.execute("UPDATE audit_leaves SET data = ? WHERE idx = 42", (b"forged",))


def _edit_with_hash(conn: sqlite3.Connection) -> None:
    conn.execute(
        "UPDATE audit_leaves SET data = ?, leaf_hash = ? WHERE idx = 42",
        (b"forged", merkle.leaf_hash(b"forged")),
    )


def _delete(conn: sqlite3.Connection) -> None:
    conn.execute("DELETE FROM audit_leaves WHERE idx = 42")


def _reorder(conn: sqlite3.Connection) -> None:
    conn.execute("UPDATE audit_leaves SET idx = -1 WHERE idx = 10")
    conn.execute("UPDATE audit_leaves SET idx = 10 WHERE idx = 11")
    conn.execute("UPDATE audit_leaves SET idx = 11 WHERE idx = -1")


def _insert(conn: sqlite3.Connection) -> None:
    conn.execute("UPDATE audit_leaves SET idx = idx + 1000 WHERE idx >= 50")
    conn.execute("UPDATE audit_leaves SET idx = idx - 999 WHERE idx >= 1000")
    conn.execute(
        "INSERT INTO audit_leaves (idx, data, leaf_hash) VALUES (50, ?, ?)",
        (b"inserted", merkle.leaf_hash(b"inserted")),
    )


def _truncate(conn: sqlite3.Connection) -> None:
    conn.execute("DELETE FROM audit_leaves WHERE idx >= 250")
    conn.execute("DELETE FROM audit_nodes WHERE (idx + 1) * (1 << level) > 250")


def _node(conn: sqlite3.Connection) -> None:
    conn.execute("UPDATE audit_nodes SET hash = ? WHERE level = 3 AND idx = 2", (bytes(32),))


def _drop_node(conn: sqlite3.Connection) -> None:
    conn.execute("DELETE FROM audit_nodes WHERE level = 8 AND idx = 0")


TAMPERS: dict[str, Callable[[sqlite3.Connection], None]] = {
    "edit": _edit,
    "edit-with-hash": _edit_with_hash,
    "delete": _delete,
    "reorder": _reorder,
    "insert": _insert,
    "truncate": _truncate,
    "node": _node,
    "drop-node": _drop_node,
}


def test_untouched_log_verifies(tmp_path: Path, log_signer: Signer) -> None:
    """A log nobody touched verifies: every leaf, node and checkpoint."""
    external = ExternalCheckpoints(tmp_path / "ext")
    conn = _build(tmp_path / "a.db", log_signer, external)
    report = verify_log(SqliteTreeStorage(conn), log_signer.verifier, external)
    assert report.ok, report.problems
    assert (
        report.size,
        report.leaves_checked,
        report.checkpoints_checked,
        report.external_checked,
    ) == (N, N, 3, 3)


@pytest.mark.parametrize("name", sorted(TAMPERS))
def test_tampering_detected(tmp_path: Path, log_signer: Signer, name: str) -> None:
    """Editing, deleting, reordering, inserting, truncating leaves or editing nodes is found."""
    external = ExternalCheckpoints(tmp_path / "ext")
    conn = _build(tmp_path / "a.db", log_signer, external)
    TAMPERS[name](conn)
    conn.commit()
    report = verify_log(SqliteTreeStorage(conn), log_signer.verifier, external)
    assert not report.ok
    assert report.problems


def test_rewritten_consistent_history_detected_by_checkpoints(
    tmp_path: Path, log_signer: Signer
) -> None:
    """A fully recomputed rewritten tree still fails against the signed checkpoints."""
    external = ExternalCheckpoints(tmp_path / "ext")
    conn = _build(tmp_path / "a.db", log_signer, external)
    conn.execute("DELETE FROM audit_leaves")
    conn.execute("DELETE FROM audit_nodes")
    conn.commit()
    storage = SqliteTreeStorage(conn)
    AuditTree(storage).append_many([b"rewritten-" + d for d in leaves(N)])
    conn.commit()
    report = verify_log(storage, log_signer.verifier, external)
    assert not report.ok
    assert any("history was rewritten" in p for p in report.problems)


def test_restored_old_database_detected(tmp_path: Path, log_signer: Signer) -> None:
    """Restoring an older copy of the database fails against the external checkpoints."""
    external = ExternalCheckpoints(tmp_path / "ext")
    conn, storage = make_sqlite(tmp_path / "a.db")
    tree = AuditTree(storage)
    cps = CheckpointSigner(tree, log_signer)
    tree.append_many(leaves(10))
    external.write(cps.sign(), 10)
    conn.commit()
    conn.close()
    shutil.copy(tmp_path / "a.db", tmp_path / "old.db")
    conn, storage = make_sqlite(tmp_path / "a.db")
    tree = AuditTree(storage)
    tree.append_many(leaves(20)[10:])
    external.write(CheckpointSigner(tree, log_signer).sign(), 20)
    conn.close()
    old, old_storage = make_sqlite(tmp_path / "old.db")
    report = verify_log(old_storage, log_signer.verifier, external)
    assert any("rolled back" in p for p in report.problems)
    assert not external.check(AuditTree(old_storage), log_signer.verifier).ok
    old.close()


def test_forged_checkpoint_detected(tmp_path: Path, log_signer: Signer) -> None:
    """A checkpoint signed by another key, or for a forked root, is reported."""
    conn, storage = make_sqlite(tmp_path / "a.db")
    tree = AuditTree(storage)
    tree.append_many(leaves(8))
    conn.commit()
    intruder = Signer.generate(log_signer.name)
    body = f"{log_signer.name}\n8\n{'A' * 43}=\n"
    storage.add_checkpoint(8, sign_note(body, intruder))
    storage.add_checkpoint(7, sign_note(f"{log_signer.name}\n7\n{'A' * 43}=\n", log_signer))
    conn.commit()
    report = verify_log(storage, log_signer.verifier)
    assert any("not validly signed" in p for p in report.problems)
    assert any("history was rewritten" in p for p in report.problems)


def test_parallel_verification(tmp_path: Path, log_signer: Signer) -> None:
    """Worker processes verify a multi-chunk log and find a leaf edited in its second chunk."""
    conn, storage = make_sqlite(tmp_path / "big.db")
    tree = AuditTree(storage)
    with storage.transaction():
        tree.append_many([b"%d" % i for i in range(70_000)])
    CheckpointSigner(tree, log_signer).sign()
    opener = functools.partial(open_readonly, str(tmp_path / "big.db"))
    report = verify_log(storage, log_signer.verifier, workers=2, open_storage=opener)
    assert report.ok, report.problems
    assert report.leaves_checked == 70_000
    conn.execute("UPDATE audit_leaves SET data = ? WHERE idx = 66000", (b"x",))
    conn.commit()
    report = verify_log(storage, log_signer.verifier, workers=2, open_storage=opener)
    assert "leaf 66000 does not match its stored hash" in report.problems
