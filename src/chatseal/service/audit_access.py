"""Reading the audit log as a principal: checkpoints, proofs, entries and receipts.

Who may read (docs/audit.md): principals allowed `audit.read` on their tenant's audit log (the
default policy gives it to `auditor`). The log is one tree for the whole deployment, so hashes
are public to every auditor: checkpoints, the verifier key, inclusion and consistency proofs and
receipts reveal no event. Entries are the events themselves: an auditor gets the data of the
leaves about their own tenant, and only the leaf hash of every other leaf, which is enough to
check the tree and nothing more.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

import orjson

from chatseal.audit.merkle import leaf_hash
from chatseal.audit.proof import make_receipt
from chatseal.errors import AuditUnavailable, InvalidRequest
from chatseal.service.access import Resource

if TYPE_CHECKING:
    from chatseal.service.audit_trail import AuditTrail
    from chatseal.service.session import Session

MAX_ENTRIES = 1000


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _tenant_of(leaf: bytes) -> str | None:
    try:
        event = orjson.loads(leaf)
        return str(event["resource"].get("tenant") or event["actor"].get("tenant"))
    except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError):
        return None


class AuditReader:
    """The audit log as one principal may read it (every read is itself an audit event)."""

    def __init__(self, session: Session) -> None:
        self._s = session
        if session.seal.audit is None:
            raise AuditUnavailable("the audit log is disabled in this deployment")
        self._audit: AuditTrail = session.seal.audit

    def _authorize(self, what: str) -> None:
        s = self._s
        with s.guard("audit.read", kind="audit"):
            s.authorize("audit.read", Resource("audit", s.principal.tenant))
        data = s.event("access.decision", "audit.read", {"kind": "audit", "export": what})
        if data is not None:
            self._audit.record_now(data)

    def _note(self) -> str:
        """The newest signed checkpoint (signing one if none was signed yet)."""
        latest = self._audit.storage.latest_checkpoint()
        return latest[1] if latest is not None else self._audit.checkpoint()

    def checkpoint(self) -> str:
        """The newest signed checkpoint note (C2SP tlog-checkpoint)."""
        self._authorize("checkpoint")
        return self._note()

    def vkey(self) -> str:
        """The checkpoint verifier key in C2SP vkey form."""
        self._authorize("vkey")
        return self._audit.verifier.vkey()

    def _size(self, value: int, param: str, *, at_least: int = 0) -> int:
        size = self._audit.tree.size
        if not at_least <= value <= size:
            raise InvalidRequest(f"'{param}' must be between {at_least} and {size}", param=param)
        return value

    def inclusion(self, index: int, tree_size: int) -> dict[str, Any]:
        """RFC 9162 §2.1.3 inclusion proof of leaf `index` in the tree of size `tree_size`."""
        self._authorize("inclusion-proof")
        self._size(tree_size, "tree_size", at_least=1)
        if not 0 <= index < tree_size:
            raise InvalidRequest("'index' must be below 'tree_size'", param="index")
        hashes = self._audit.tree.inclusion_proof(index, tree_size)
        return {"index": index, "tree_size": tree_size, "hashes": [_b64(h) for h in hashes]}

    def consistency(self, first: int, second: int) -> dict[str, Any]:
        """RFC 9162 §2.1.4 consistency proof from tree size `first` to `second`."""
        self._authorize("consistency-proof")
        self._size(second, "second")
        if not 0 <= first <= second:
            raise InvalidRequest("'first' must be between 0 and 'second'", param="first")
        hashes = self._audit.tree.consistency_proof(first, second)
        return {"first": first, "second": second, "hashes": [_b64(h) for h in hashes]}

    def entries(self, start: int, end: int) -> dict[str, Any]:
        """Leaves [start, end): data for the caller's tenant, the leaf hash for the rest."""
        self._authorize("entries")
        self._size(end, "end")
        if not 0 <= start <= end or end - start > MAX_ENTRIES:
            raise InvalidRequest(
                f"need 0 <= start <= end and at most {MAX_ENTRIES} entries", param="start"
            )
        tenant = self._s.principal.tenant
        out = []
        for offset, leaf in enumerate(self._audit.tree.entries(start, end)):
            entry: dict[str, Any] = {"index": start + offset, "leaf_hash": _b64(leaf_hash(leaf))}
            if _tenant_of(leaf) == tenant:
                entry["data"] = _b64(leaf)
            out.append(entry)
        return {"start": start, "end": end, "entries": out}

    def receipt(self, index: int) -> str:
        """A C2SP tlog-proof that leaf `index` is in the log, under the newest checkpoint."""
        self._authorize("receipt")
        note = self._note()
        size = int(note.split("\n")[1])
        if not 0 <= index < size:
            raise InvalidRequest(
                f"'index' must be below the newest checkpoint's size {size}", param="index"
            )
        return make_receipt(index, self._audit.tree.inclusion_proof(index, size), note)
