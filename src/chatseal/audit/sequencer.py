"""The sequencer: the one integrator that drains the queue into the tree and signs checkpoints.

Writers enqueue events inside their own transactions (`AuditQueue.enqueue`). The sequencer takes
queued events in order, appends them to the tree in batches and removes exactly those events from
the queue in the same transaction, so an event is either queued or in the tree, never both or
neither. A storage that lets several sequencers run (PostgreSQL's) serialises them in
`TreeStorage.transaction()`. It signs a checkpoint every `every_entries` new leaves, or
`every_seconds` after the last one when the tree grew, or on demand (`checkpoint()`); each
checkpoint is optionally cosigned by witnesses and then written to the
external checkpoint directory.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from chatseal.audit.checkpoint import CheckpointSigner, checkpoint_of
from chatseal.audit.external import ExternalCheckpoints
from chatseal.audit.storage import AuditQueue
from chatseal.audit.tree import AuditTree
from chatseal.clock import Clock, SystemClock
from chatseal.errors import IntegrityError, InvalidRequest


class Cosigner(Protocol):
    """A witness the sequencer asks for cosignatures (`chatseal.audit.witness.Witness` is one)."""

    def last_size(self, origin: str) -> int:
        """Return the size the witness last cosigned for the origin."""
        ...

    def cosign(self, note: str, old_size: int, proof: Sequence[bytes]) -> str:
        """Return a cosignature line for the checkpoint note."""
        ...


class Sequencer:
    """Integrates queued events and signs checkpoints on a schedule."""

    def __init__(
        self,
        queue: AuditQueue,
        signer: CheckpointSigner,
        *,
        external: ExternalCheckpoints | None = None,
        witnesses: Sequence[Cosigner] = (),
        require_witness: bool = False,
        every_entries: int = 1000,
        every_seconds: float = 10.0,
        batch_size: int = 4096,
        clock: Clock | None = None,
    ) -> None:
        if every_entries < 1 or every_seconds <= 0 or batch_size < 1:
            raise InvalidRequest("checkpoint interval and batch size must be positive")
        if require_witness and not witnesses:
            raise InvalidRequest("a witness is required but none is configured", param="witnesses")
        self.queue = queue
        self.signer = signer
        self.tree: AuditTree = signer.tree
        self.external = external
        self.witnesses = list(witnesses)
        self.require_witness = require_witness
        self.every_entries = every_entries
        self.every_seconds = every_seconds
        self.batch_size = batch_size
        self.clock = clock or SystemClock()
        self._last_time = self.clock.now()

    def integrate(self) -> int:
        """Move every event queued (committed) so far into the tree; return how many moved.

        One transaction per `batch_size` events: a short batch held every event committed when
        it was read, so the call ends there. Events that commit meanwhile wait for the next
        call instead of starting a transaction of their own: under a steady stream of writers,
        looping until the queue looks empty would commit (and fsync) about once per event, as
        often as the writers themselves.
        """
        moved = 0
        while True:
            try:
                with self.tree.storage.transaction():
                    batch = self.queue.pending(self.batch_size)
                    if not batch:
                        return moved
                    self.tree.append_many([event.data for event in batch])
                    self.queue.remove([event.seq for event in batch])
            except BaseException:
                self.tree.invalidate()
                raise
            moved += len(batch)
            if len(batch) < self.batch_size:
                return moved

    def _last_signed_size(self) -> int:
        latest = self.tree.storage.latest_checkpoint()
        return 0 if latest is None else checkpoint_of(latest[1]).size

    def due(self) -> bool:
        """Return whether the schedule calls for a checkpoint now."""
        grown = self.tree.size - self._last_signed_size()
        if grown >= self.every_entries:
            return True
        return grown > 0 and self.clock.now() - self._last_time >= self.every_seconds

    def run_once(self) -> str | None:
        """Integrate the queue, then sign a checkpoint if one is due; return it if signed."""
        self.integrate()
        return self.checkpoint() if self.due() else None

    def checkpoint(self) -> str:
        """Sign a checkpoint of the tree now, gather cosignatures, keep it and export it."""
        checkpoint, note = self.signer.prepare()
        cosignatures: list[str] = []
        for witness in self.witnesses:
            old = witness.last_size(checkpoint.origin)
            if old > checkpoint.size:
                raise IntegrityError("a witness has cosigned a larger tree than this log holds")
            proof = self.tree.consistency_proof(old, checkpoint.size)
            cosignatures.append(witness.cosign(note, old, proof))
        if self.require_witness and not cosignatures:
            raise IntegrityError("no witness cosigned the checkpoint")
        note += "".join(cosignatures)
        self.signer.keep(checkpoint.size, note)
        if self.external is not None:
            self.external.write(note, checkpoint.size)
        self._last_time = self.clock.now()
        return note
