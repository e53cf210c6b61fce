"""C2SP tlog-proof receipts: create, verify, tamper."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatseal.audit.checkpoint import CheckpointSigner
from chatseal.audit.note import ALG_COSIGNATURE_V1, Signer
from chatseal.audit.proof import HEADER, make_receipt, parse_receipt, verify_receipt
from chatseal.audit.storage import MemoryTreeStorage
from chatseal.audit.tree import AuditTree
from chatseal.audit.witness import Witness
from chatseal.errors import IntegrityError, InvalidRequest

from .conftest import leaves


def _receipt(
    log_signer: Signer, index: int = 6, extra: bytes | None = None
) -> tuple[str, AuditTree]:
    tree = AuditTree(MemoryTreeStorage())
    tree.append_many(leaves(13))
    note = CheckpointSigner(tree, log_signer).sign()
    return make_receipt(index, tree.inclusion_proof(index), note, extra), tree


def test_receipt_format_and_verify(log_signer: Signer) -> None:
    """A receipt has the header, index, proof lines, a blank line and the checkpoint; it verifies."""
    text, _ = _receipt(log_signer, extra=b"ctx")
    lines = text.split("\n")
    assert lines[:3] == [HEADER, "extra Y3R4", "index 6"]
    assert parse_receipt(text).extra == b"ctx"
    checkpoint = verify_receipt(text, b"leaf-6", log_signer.verifier)
    assert checkpoint.size == 13


def test_receipt_rejects_other_data_and_tampering(log_signer: Signer) -> None:
    """Other data, another index, a changed proof line or a foreign key are rejected."""
    text, _ = _receipt(log_signer)
    with pytest.raises(IntegrityError):
        verify_receipt(text, b"leaf-7", log_signer.verifier)
    with pytest.raises(IntegrityError):
        verify_receipt(text.replace("index 6", "index 7"), b"leaf-6", log_signer.verifier)
    proof_line = text.split("\n")[2]
    flipped = ("B" if proof_line[0] != "B" else "C") + proof_line[1:]
    with pytest.raises(IntegrityError):
        verify_receipt(text.replace(proof_line, flipped), b"leaf-6", log_signer.verifier)
    with pytest.raises(IntegrityError):
        verify_receipt(text, b"leaf-6", Signer.generate(log_signer.name).verifier)


def test_receipt_witness_quorum(tmp_path: Path, log_signer: Signer) -> None:
    """A quorum of witness cosignatures is required when asked for."""
    tree = AuditTree(MemoryTreeStorage())
    tree.append_many(leaves(4))
    note = CheckpointSigner(tree, log_signer).sign()
    witness = Witness(
        Signer.generate("w.example/1", ALG_COSIGNATURE_V1),
        tmp_path / "w.json",
        [log_signer.verifier],
    )
    plain = make_receipt(1, tree.inclusion_proof(1), note)
    with pytest.raises(IntegrityError):
        verify_receipt(
            plain, b"leaf-1", log_signer.verifier, witnesses=[witness.verifier], quorum=1
        )
    cosigned = make_receipt(1, tree.inclusion_proof(1), note + witness.cosign(note, 0, []))
    verify_receipt(cosigned, b"leaf-1", log_signer.verifier, witnesses=[witness.verifier], quorum=1)


@pytest.mark.parametrize(
    "text", ["", "nope\n\nx", f"{HEADER}\nindex 01\n\nx", f"{HEADER}\nindex 1\nAAAA\n\nx"]
)
def test_malformed_receipts(text: str) -> None:
    """Malformed receipts are refused with InvalidRequest."""
    with pytest.raises(InvalidRequest):
        parse_receipt(text)
