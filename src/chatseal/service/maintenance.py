"""Background work of a serving process: the audit sequencer, retention purges and key rotation
by age. Each runs on its own schedule in one daemon thread; every failure is retried on the next
tick (the work is idempotent and transactional), never allowed to stop serving."""

from __future__ import annotations

import threading

from chatseal.model import Principal
from chatseal.service.access import ANY_TENANT
from chatseal.service.chatseal import ChatSeal

# The deployment-wide operator that rotates keys by age (decided as each tenant's key admin).
ROTATION_OPERATOR = Principal(
    tenant=ANY_TENANT, subject="scheduler", roles=frozenset({"key-admin"}), credential_kind="local"
)
ROTATION_CHECK_SECONDS = 3600.0


class Maintenance:
    """Start with `start()`, stop with `stop()` (the server's lifespan does both)."""

    def __init__(self, seal: ChatSeal) -> None:
        self.seal = seal
        retention = seal.config.section("retention") if seal.config else {}
        self.retention_every = float(retention.get("interval_seconds", 3600.0))
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.failures = 0

    def start(self) -> None:
        """Start the audit sequencer and the periodic jobs."""
        if self.seal.audit is not None:
            self.seal.audit.start()
        self._thread = threading.Thread(target=self._loop, name="chatseal-maintenance", daemon=True)
        self._thread.start()

    def run_once(self) -> None:
        """Purge what retention says is due and rotate overdue keys."""
        self.seal.retention.run()
        self.seal.key_ops.rotate_due(ROTATION_OPERATOR)

    def _loop(self) -> None:
        wait = min(self.retention_every, ROTATION_CHECK_SECONDS)
        while not self._stop.wait(wait):
            try:
                self.run_once()
            except Exception:
                self.failures += 1

    def stop(self) -> None:
        """Stop the jobs (the audit sequencer stops when the ChatSeal closes)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
