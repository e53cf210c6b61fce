"""WAL checkpoints off the request path.

SQLite's automatic checkpoint runs inside the COMMIT of whichever writer pushes the WAL past
1000 pages (https://sqlite.org/wal.html#ckpt), and with `synchronous=NORMAL` that checkpoint
syncs the WAL and the database file: one request in a few hundred waits for two fsyncs. The
SQLite documentation names the remedy (https://sqlite.org/wal.html#application_initiated_checkpoints):
turn the automatic checkpoint off and run checkpoints from a thread of one's own. Writers count
their commits and wake the thread; the thread runs a PASSIVE checkpoint on its own connection,
which copies the WAL into the database and syncs it while writers go on.

Under steady writes that alone never lets the WAL start over: a writer restarts the WAL only if
every frame has been copied when it begins, and new frames always arrive during the copy. So the
thread then takes the store's writer lock for a second, short PASSIVE checkpoint of the few
frames written meanwhile (after a few unlocked passes that shrink that remainder); the next
writer finds the WAL fully copied and rewinds it. If the
thread cannot keep up or has died, the writer that sees the WAL far past the threshold
checkpoints inline, as SQLite itself would: the WAL stays bounded whatever happens to the thread.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable

log = logging.getLogger("chatseal.store")

WAKE_EVERY_COMMITS = 1024  # a rewind costs two short fsyncs under the writer lock: not too often
INLINE_AFTER_COMMITS = 16 * WAKE_EVERY_COMMITS
UNLOCKED_PASSES = 3
IDLE_SECONDS = 1.0


class Checkpointer:
    """One background thread per store that folds the WAL into the database."""

    def __init__(
        self,
        connect: Callable[[], sqlite3.Connection],
        writer_lock: threading.RLock,
        *,
        wake_every: int = WAKE_EVERY_COMMITS,
        inline_after: int = INLINE_AFTER_COMMITS,
    ) -> None:
        self._connect = connect
        self._writer_lock = writer_lock
        self._wake_every = wake_every
        self._inline_after = inline_after
        self._wake = threading.Event()
        self._closed = False
        self._pending = 0
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def committed(self, db: sqlite3.Connection) -> None:
        """A writer committed: wake the thread now and then; checkpoint inline if it lags far.

        The counter is updated without a lock: a lost increment only delays a wake-up.
        """
        self._pending += 1
        pending = self._pending
        if pending % self._wake_every == 0:
            self._ensure_thread()
            self._wake.set()
        if pending >= self._inline_after:
            self._pending = 0
            self.checkpoint(db)

    def checkpoint(self, db: sqlite3.Connection) -> None:
        """Run a PASSIVE checkpoint (copies what no reader still needs; never waits)."""
        try:
            db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error as exc:
            # Busy or closing: the next wake-up tries again; the WAL stays valid meanwhile.
            log.debug("WAL checkpoint skipped: %s", exc.__class__.__name__)

    def _ensure_thread(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._lock:
            if self._closed or (self._thread is not None and self._thread.is_alive()):
                return
            self._thread = threading.Thread(
                target=self._run, name="chatseal-wal-checkpoint", daemon=True
            )
            self._thread.start()

    def _run(self) -> None:
        try:
            db = self._connect()
        except sqlite3.Error as exc:
            # Writers notice the lag and checkpoint inline (see `committed`).
            log.warning("WAL checkpoint thread cannot open the store: %s", exc.__class__.__name__)
            return
        try:
            while not self._closed:
                woken = self._wake.wait(IDLE_SECONDS)
                self._wake.clear()
                if self._closed:
                    break
                if woken or self._pending:
                    self._pending = 0
                    # Each unlocked pass copies what arrived during the one before, so the
                    # locked pass is left with a few frames and its two syncs.
                    for _ in range(UNLOCKED_PASSES):
                        self.checkpoint(db)
                    with self._writer_lock:
                        self.checkpoint(db)
        finally:
            db.close()

    def close(self) -> None:
        """Stop the thread (the last connection's close checkpoints whatever is left)."""
        with self._lock:
            self._closed = True
            thread = self._thread
        self._wake.set()
        if thread is not None:
            thread.join(timeout=10)
