"""Erasure on request (GDPR Art. 17): destroy everything of one end user in a tenant, with proof.

Owners are stored only as keyed hashes (`owner_tag`), so the subject's conversations are found by
recomputing the tag; each is crypto-shredded as in retention (rows, token-vault entries and
wrapped data keys in one transaction). Conversations under an active legal hold are kept (Art.
17(3)(e): erasure does not apply where the data are needed for legal claims) and counted as
withheld in the receipt. The signed receipt lists the destroyed conversations as salted hashes,
the subject as a salted hash, the counts and the destroyed data keys' ids.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from chatseal.errors import InvalidRequest
from chatseal.service.receipts import Receipt, ReceiptSigner, salted_hash
from chatseal.service.sealing import owner_tag
from chatseal.service.shredding import (
    Destroyed,
    audit_index,
    audit_purge,
    forget_keys,
    record_receipt,
    shred,
)

if TYPE_CHECKING:
    from chatseal.service.chatseal import ChatSeal

MAX_SUBJECT_CHARS = 512


class Erasure:
    """`chatseal erase --tenant T --subject S`."""

    def __init__(self, seal: ChatSeal, signer: ReceiptSigner | None = None) -> None:
        self._seal = seal
        self._signer = signer

    @property
    def signer(self) -> ReceiptSigner:
        """The receipt signer (loaded on first use)."""
        if self._signer is None:
            self._signer = ReceiptSigner.for_seal(self._seal)
        return self._signer

    def erase(self, tenant: str, subject: str) -> Receipt:
        """Crypto-shred every conversation `subject` owns in `tenant`; return the signed receipt."""
        if not isinstance(subject, str) or not subject or len(subject) > MAX_SUBJECT_CHARS:
            raise InvalidRequest("the subject is 1-512 characters", param="subject")
        seal = self._seal
        keys = seal.tenant_keys(tenant)
        tenant_id = keys.row.tenant_id
        tag = owner_tag(keys.index_key, subject)
        salt = self.signer.new_salt()
        destroyed: list[Destroyed] = []
        at = seal.now()
        with seal.write() as tx:
            active = [
                h for h in tx.list_holds(tenant_id) if h.released_at is None or h.released_at > at
            ]
            tenant_held = any(h.conversation_id is None for h in active)
            held = {h.conversation_id for h in active}
            withheld = 0
            for row in tx.conversations_of_owner(tenant_id, tag):
                if tenant_held or row.conversation_id in held:
                    withheld += 1
                    continue
                gone = shred(tx, tenant_id, row.conversation_id)
                if gone is not None:
                    destroyed.append(gone)
            extra = {
                "subject": salted_hash(salt, subject),
                "withheld": {"legal_hold": withheld},
            }
            receipt = record_receipt(seal, tx, self.signer, "erasure", keys, destroyed, extra, salt)
            leaf = audit_purge(seal, tx, tenant, "erasure", receipt, destroyed, subject)
        forget_keys(seal, tenant_id, destroyed)
        # The leaf's index lets the subject fetch an inclusion proof of this receipt's record.
        return dataclasses.replace(receipt, audit_index=audit_index(seal, leaf))
