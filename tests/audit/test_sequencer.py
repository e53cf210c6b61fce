"""The sequencer: queue to tree atomically, checkpoints on count, time and demand, witnesses."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from chatseal.audit.checkpoint import CheckpointSigner, open_checkpoint
from chatseal.audit.external import ExternalCheckpoints
from chatseal.audit.note import ALG_COSIGNATURE_V1, Signer
from chatseal.audit.sequencer import Sequencer
from chatseal.audit.sqlite_storage import SqliteQueue
from chatseal.audit.storage import MemoryQueue, MemoryTreeStorage
from chatseal.audit.tree import AuditTree
from chatseal.audit.witness import Witness, verify_cosignature
from chatseal.clock import FixedClock
from chatseal.errors import IntegrityError, InvalidRequest

from .conftest import make_sqlite


def test_sqlite_queue_is_transactional(tmp_path: Path, log_signer: Signer) -> None:
    """An event enqueued in a rolled-back change never reaches the tree; a committed one does."""
    conn, storage = make_sqlite(tmp_path / "a.db")
    conn.execute("CREATE TABLE things (x INTEGER)")
    conn.commit()
    queue = SqliteQueue(conn)

    def failing_change() -> None:
        with conn:
            conn.execute("INSERT INTO things VALUES (1)")
            queue.enqueue(b"event-for-1")
            conn.execute("INSERT INTO no_such_table VALUES (1)")

    with pytest.raises(sqlite3.OperationalError):
        failing_change()
    with conn:
        conn.execute("INSERT INTO things VALUES (2)")
        queue.enqueue(b"event-for-2")
    seq = Sequencer(queue, CheckpointSigner(AuditTree(storage), log_signer))
    assert seq.integrate() == 1
    assert seq.tree.entries(0, 1) == [b"event-for-2"]
    assert queue.pending(10) == []


def test_integrates_in_order_in_batches(tmp_path: Path, log_signer: Signer) -> None:
    """Queued events land in queue order across several batches."""
    conn, storage = make_sqlite(tmp_path / "a.db")
    queue = SqliteQueue(conn)
    for i in range(25):
        queue.enqueue(f"e{i}".encode())
    conn.commit()
    seq = Sequencer(queue, CheckpointSigner(AuditTree(storage), log_signer), batch_size=7)
    assert seq.integrate() == 25
    assert seq.tree.entries(0, 25) == [f"e{i}".encode() for i in range(25)]


def test_checkpoint_schedule(tmp_path: Path, log_signer: Signer) -> None:
    """Checkpoints come every N entries, after T seconds of growth, or on demand, and go outside."""
    clock = FixedClock()
    queue = MemoryQueue()
    external = ExternalCheckpoints(tmp_path / "ext")
    tree = AuditTree(MemoryTreeStorage())
    seq = Sequencer(
        queue,
        CheckpointSigner(tree, log_signer),
        external=external,
        every_entries=10,
        every_seconds=5,
        clock=clock,
    )
    for i in range(9):
        queue.enqueue(b"%d" % i)
    assert seq.run_once() is None
    queue.enqueue(b"9")
    note = seq.run_once()
    assert note is not None and open_checkpoint(note, log_signer.verifier).size == 10
    queue.enqueue(b"10")
    assert seq.run_once() is None
    clock.advance(5)
    assert seq.run_once() is not None
    clock.advance(60)
    assert seq.run_once() is None  # nothing new
    assert open_checkpoint(seq.checkpoint(), log_signer.verifier).size == 11
    assert external.sizes() == [10, 11]
    assert external.check(tree, log_signer.verifier).ok


def test_witness_cosigns_each_checkpoint(tmp_path: Path, log_signer: Signer) -> None:
    """With a witness configured, every kept checkpoint carries its cosignature."""
    queue = MemoryQueue()
    witness = Witness(
        Signer.generate("w.example/1", ALG_COSIGNATURE_V1),
        tmp_path / "w.json",
        [log_signer.verifier],
    )
    seq = Sequencer(
        queue,
        CheckpointSigner(AuditTree(MemoryTreeStorage()), log_signer),
        witnesses=[witness],
        require_witness=True,
    )
    for batch in (3, 4):
        for i in range(batch):
            queue.enqueue(b"%d" % i)
        seq.integrate()
        note = seq.checkpoint()
        verify_cosignature(note, witness.verifier)
        open_checkpoint(note, log_signer.verifier)
    assert witness.last_size(log_signer.name) == 7


def test_require_witness_needs_one(log_signer: Signer) -> None:
    """Requiring a witness with none configured is a configuration error."""
    with pytest.raises(InvalidRequest):
        Sequencer(
            MemoryQueue(),
            CheckpointSigner(AuditTree(MemoryTreeStorage()), log_signer),
            require_witness=True,
        )


def test_witness_ahead_of_log_refused(tmp_path: Path, log_signer: Signer) -> None:
    """A witness that cosigned a larger tree (the log was rolled back) stops checkpointing."""
    witness = Witness(
        Signer.generate("w.example/1", ALG_COSIGNATURE_V1),
        tmp_path / "w.json",
        [log_signer.verifier],
    )
    big = AuditTree(MemoryTreeStorage())
    big.append_many([b"a", b"b", b"c"])
    witness.cosign(CheckpointSigner(big, log_signer).sign(), 0, big.consistency_proof(0))
    small = AuditTree(MemoryTreeStorage())
    small.append_many([b"a"])
    seq = Sequencer(MemoryQueue(), CheckpointSigner(small, log_signer), witnesses=[witness])
    with pytest.raises(IntegrityError):
        seq.checkpoint()
