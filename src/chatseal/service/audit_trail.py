"""The service's side of the audit log: building events, queueing them in the same transaction as
the change they record, the sequencer that integrates them, and the start-up rollback check.

Events are RFC 8785 canonical JSON. On the hot path they are built directly: every string value is
an ASCII token (ids, codes, salted hashes, names matching `_SAFE`), for which RFC 8785 (sorted keys,
no whitespace, minimal escaping) and `orjson` with sorted keys produce the same bytes; a test checks
every leaf against `chatseal.audit.events.parse_event`, which re-canonicalises with `rfc8785`.
"""

from __future__ import annotations

import base64
import os
import re
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson

from chatseal.audit.backends import close_audit_storage, open_audit_storage
from chatseal.audit.checkpoint import CheckpointSigner, default_origin
from chatseal.audit.events import IdentifierHasher, event_time
from chatseal.audit.external import ExternalCheckpoints
from chatseal.audit.note import Signer, Verifier
from chatseal.audit.sequencer import Sequencer
from chatseal.audit.tree import AuditTree
from chatseal.audit.verify import VerifyReport, verify_log
from chatseal.audit.witness_home import open_witness
from chatseal.clock import Clock
from chatseal.errors import AuditUnavailable
from chatseal.files import write_secret_file
from chatseal.model import Principal
from chatseal.store import Store, StoreTx

_SAFE = re.compile(r"[A-Za-z0-9._:/@+=-]{1,200}")
_UNSAFE_CHARS = re.compile(r"[^A-Za-z0-9._:/@+=-]")
_CREDENTIALS = {"token", "client_secret", "oidc", "mtls", "local", "none"}
_ACTOR_CACHE_LIMIT = 4096
KEY_FILE = "audit.key"
SALT_FILE = "audit.salt"


def token(value: str) -> str:
    """Squeeze free text (a reason, a role from a foreign token) into the event token charset."""
    if _SAFE.fullmatch(value):
        return value
    squeezed = _UNSAFE_CHARS.sub("-", value)[:200]
    return squeezed or "-"


def _secret_file(path: Path, size: int) -> bytes:
    """Read a 0600 secret file, creating it with fresh random bytes the first time."""
    if not path.exists():
        write_secret_file(path, base64.b64encode(os.urandom(size)) + b"\n")
    return base64.b64decode(path.read_bytes().strip(), validate=True)


class AuditTrail:
    """Records events through store transactions and keeps the log's checkpoints."""

    def __init__(
        self,
        store: Store,
        home: Path,
        clock: Clock,
        settings: Mapping[str, Any],
    ) -> None:
        self.store = store
        self.clock = clock
        origin = str(settings.get("origin") or default_origin())
        self.signer_key = Signer.from_seed(origin, _secret_file(home / KEY_FILE, 32))
        self.hasher = IdentifierHasher(_secret_file(home / SALT_FILE, 32))
        external = settings.get("external_dir") or (home / "checkpoints")
        self.external = ExternalCheckpoints(Path(external))
        # SQLite or PostgreSQL tables in the store's own database, by the store's kind.
        self.storage, queue = open_audit_storage(store)
        self.tree = AuditTree(self.storage)
        self.checkpoints = CheckpointSigner(self.tree, self.signer_key)
        self.sequencer = Sequencer(
            queue,
            self.checkpoints,
            external=self.external,
            every_entries=int(settings.get("checkpoint_every_entries", 1000)),
            every_seconds=float(settings.get("checkpoint_every_seconds", 10.0)),
            clock=clock,
            # Witnesses in-process, each with its own directory (key and state): `[audit]
            # witness_dirs`; `require_witness` refuses to keep a checkpoint nobody cosigned.
            witnesses=[open_witness(Path(d), clock) for d in settings.get("witness_dirs", [])],
            require_witness=bool(settings.get("require_witness", False)),
        )
        self._actors: dict[tuple[str, str, frozenset[str], str], dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._second = -1
        self._second_text = ""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- events ------------------------------------------------------------------------------

    @property
    def verifier(self) -> Verifier:
        """The checkpoint verifier (its vkey is published)."""
        return self.signer_key.verifier

    def actor(self, principal: Principal) -> dict[str, Any]:
        """The actor object of a principal: the subject only as a salted hash.

        Remembered per (tenant, subject, roles, credential kind), since an HTTP server builds a
        session per request and the keyed hash is most of the cost. Read-only: events embed it.
        """
        kind = principal.credential_kind if principal.credential_kind in _CREDENTIALS else "local"
        cache_key = (principal.tenant, principal.subject, principal.roles, kind)
        found = self._actors.get(cache_key)
        if found is not None:
            return found
        actor = {
            "tenant": token(principal.tenant),
            "subject": self.hasher.hash(principal.subject),
            "roles": sorted({token(role) for role in principal.roles}),
            "credential_kind": kind,
        }
        if len(self._actors) >= _ACTOR_CACHE_LIMIT:
            self._actors.clear()  # a crude bound: many distinct callers just recompute
        self._actors[cache_key] = actor
        return actor

    def event(
        self,
        kind: str,
        actor: Mapping[str, Any],
        action: str,
        allowed: bool,
        reason: str,
        policy_version: str,
        request_id: str,
        resource: Mapping[str, str | int],
    ) -> bytes:
        """Return one event's canonical bytes (see the module docstring)."""
        return orjson.dumps(
            {
                "type": kind,
                "time": self._time(self.clock.now()),
                "actor": actor,
                "action": action,
                "resource": {k: v if isinstance(v, int) else token(v) for k, v in resource.items()},
                "decision": {"result": "allow" if allowed else "deny", "reason": token(reason)},
                "policy_version": token(policy_version),
                "request_id": token(request_id),
            },
            option=orjson.OPT_SORT_KEYS,
        )

    def _time(self, now: float) -> str:
        """`event_time`, with the seconds part formatted once per second (hot path)."""
        second = int(now)
        if second != self._second:
            self._second = second
            self._second_text = event_time(second)[:-5]  # "YYYY-MM-DDTHH:MM:SS"
        millis = min(round((now - second) * 1_000_000) // 1000, 999)
        return f"{self._second_text}.{millis:03d}Z"

    def record(self, tx: StoreTx, data: bytes) -> None:
        """Queue an event in the caller's transaction: no change without its record."""
        tx.enqueue_audit(data)

    def record_now(self, data: bytes) -> None:
        """Queue an event in its own transaction (denials, whose change was rolled back)."""
        try:
            with self.store.transaction(write=True) as tx:
                tx.enqueue_audit(data)
        except Exception as exc:
            raise AuditUnavailable("the audit log cannot record this request") from exc

    # -- the sequencer ----------------------------------------------------------------------

    def integrate(self) -> str | None:
        """Move queued events into the tree; sign a checkpoint if one is due."""
        with self._lock:
            return self.sequencer.run_once()

    def checkpoint(self) -> str:
        """Integrate everything queued and sign a checkpoint now."""
        with self._lock:
            self.sequencer.integrate()
            return self.sequencer.checkpoint()

    def start(self, interval: float = 0.5) -> None:
        """Run the sequencer in a background thread (the server does)."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, args=(interval,), daemon=True)
        self._thread.start()

    def _loop(self, interval: float) -> None:
        while not self._stop.wait(interval):
            try:
                self.integrate()
            except Exception:  # noqa: S112 - the sequencer retries on its next tick
                continue

    def stop(self) -> None:
        """Stop the background sequencer; integrate and sign what is left (and export it)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        with self._lock:
            self.sequencer.integrate()
            latest = self.storage.latest_checkpoint()
            if self.tree.size > (latest[0] if latest else 0):
                self.sequencer.checkpoint()
            close_audit_storage(self.storage)

    # -- anti-rollback and verification ---------------------------------------------------

    def check_start(self) -> None:
        """Refuse to serve when the tree is inconsistent with the newest external checkpoint."""
        result = self.external.check(self.tree, self.verifier)
        if not result:
            raise AuditUnavailable(
                f"the audit log is inconsistent with the external checkpoint of size "
                f"{result.external_size}: {result.reason}. The database may have been rolled "
                "back or its log rewritten. Investigate ('chatseal audit verify'), then "
                "'chatseal audit acknowledge --reason …' to serve again."
            )

    def acknowledge(self) -> list[int]:
        """Move external checkpoints the tree disagrees with aside; return their sizes."""
        moved = []
        aside = self.external.directory / "acknowledged"
        aside.mkdir(parents=True, exist_ok=True)
        while not self.external.check(self.tree, self.verifier):
            newest = self.external.newest()
            if newest is None:
                break
            name = f"checkpoint-{newest[0]:020d}"
            (self.external.directory / name).replace(aside / f"{name}.{int(self.clock.now())}")
            moved.append(newest[0])
        return moved

    def acknowledge_rollback(self, reason: str) -> list[int]:
        """Acknowledge a failed start-up check: set checkpoints aside and record the decision."""
        moved = self.acknowledge()
        if moved:
            data = self.event(
                "audit.rollback_acknowledged",
                {
                    "tenant": "-",
                    "subject": self.hasher.hash("operator"),
                    "roles": ["operator"],
                    "credential_kind": "local",
                },
                "audit.acknowledge",
                True,
                reason,
                "operator",
                "operator",
                {"kind": "audit", "item_count": len(moved)},
            )
            self.record_now(data)
            self.checkpoint()
        return moved

    def verify(self) -> VerifyReport:
        """Recompute the tree and check every stored and external checkpoint."""
        with self._lock:
            return verify_log(self.storage, self.verifier, self.external)
