"""The witness: cosigns consistent checkpoints only, keeps state, C2SP cosignature/v1 format."""

from __future__ import annotations

import base64
import os
import struct
from pathlib import Path

import pytest

from chatseal.audit.checkpoint import CheckpointSigner
from chatseal.audit.note import ALG_COSIGNATURE_V1, Signer, open_note
from chatseal.audit.storage import MemoryTreeStorage
from chatseal.audit.tree import AuditTree
from chatseal.audit.witness import Witness, cosigned_message, verify_cosignature
from chatseal.clock import FixedClock
from chatseal.errors import Conflict, IntegrityError, InvalidRequest

from .conftest import leaves


def _setup(tmp_path: Path, log_signer: Signer) -> tuple[AuditTree, CheckpointSigner, Witness]:
    tree = AuditTree(MemoryTreeStorage())
    witness = Witness(
        Signer.from_seed("witness.example/w1", bytes(32), ALG_COSIGNATURE_V1),
        tmp_path / "witness.json",
        [log_signer.verifier],
        clock=FixedClock(1_700_000_123.0),
    )
    return tree, CheckpointSigner(tree, log_signer), witness


def test_cosigns_growing_log(tmp_path: Path, log_signer: Signer) -> None:
    """The witness cosigns a first checkpoint and then consistent growth; cosignatures verify."""
    tree, cps, witness = _setup(tmp_path, log_signer)
    tree.append_many(leaves(5))
    note = cps.sign()
    line = witness.cosign(note, 0, tree.consistency_proof(0))
    assert verify_cosignature(note + line, witness.verifier) == 1_700_000_123
    open_note(note + line, log_signer.verifier)  # the log signature still verifies
    tree.append_many(leaves(12)[5:])
    note2 = cps.sign()
    line2 = witness.cosign(note2, 5, tree.consistency_proof(5))
    assert verify_cosignature(note2 + line2, witness.verifier) == 1_700_000_123
    assert witness.last_size(log_signer.name) == 12
    assert os.stat(tmp_path / "witness.json").st_mode & 0o777 == 0o600


def test_cosignature_wire_format(tmp_path: Path, log_signer: Signer) -> None:
    """The line is key ID (type 0x04) || u64 timestamp || Ed25519 over cosignature/v1 message."""
    tree, cps, witness = _setup(tmp_path, log_signer)
    tree.append_many(leaves(3))
    note = cps.sign()
    line = witness.cosign(note, 0, [])
    name, b64 = line[2:-1].split(" ")
    blob = base64.b64decode(b64)
    assert name == "witness.example/w1"
    assert blob[:4] == witness.verifier.key_hash
    assert struct.unpack(">Q", blob[4:12])[0] == 1_700_000_123
    body = note.split("\n\n")[0] + "\n"
    assert witness.verifier.verify(cosigned_message(body, 1_700_000_123), blob[12:])
    assert cosigned_message(body, 7).startswith(b"cosignature/v1\ntime 7\n")


def test_refuses_fork(tmp_path: Path, log_signer: Signer) -> None:
    """A checkpoint of a different history is refused and the state is unchanged."""
    tree, cps, witness = _setup(tmp_path, log_signer)
    tree.append_many(leaves(4))
    witness.cosign(cps.sign(), 0, [])
    fork = AuditTree(MemoryTreeStorage())
    fork.append_many([b"evil", *leaves(6)[1:]])
    fork_note = CheckpointSigner(fork, log_signer).sign()
    with pytest.raises(IntegrityError):
        witness.cosign(fork_note, 4, fork.consistency_proof(4))
    assert witness.last_size(log_signer.name) == 4


def test_refuses_rollback_and_stale_size(tmp_path: Path, log_signer: Signer) -> None:
    """A smaller checkpoint is refused; a wrong old size is a Conflict naming the right one."""
    tree, cps, witness = _setup(tmp_path, log_signer)
    tree.append_many(leaves(2))
    small = cps.sign()
    tree.append_many(leaves(9)[2:])
    big = cps.sign()
    witness.cosign(big, 0, tree.consistency_proof(0))
    with pytest.raises(IntegrityError):
        witness.cosign(small, 9, [])
    with pytest.raises(Conflict, match="9"):
        witness.cosign(big, 3, [])


def test_refuses_unknown_log_and_bad_signature(tmp_path: Path, log_signer: Signer) -> None:
    """Checkpoints from unknown logs or not signed by the log's key are refused."""
    _, _, witness = _setup(tmp_path, log_signer)
    other = AuditTree(MemoryTreeStorage())
    other.append_many(leaves(2))
    with pytest.raises(InvalidRequest):
        witness.cosign(CheckpointSigner(other, Signer.generate("other/log")).sign(), 0, [])
    with pytest.raises(IntegrityError):
        witness.cosign(CheckpointSigner(other, Signer.generate(log_signer.name)).sign(), 0, [])


def test_tampered_cosignature_fails(tmp_path: Path, log_signer: Signer) -> None:
    """A cosignature with a changed timestamp does not verify."""
    tree, cps, witness = _setup(tmp_path, log_signer)
    tree.append_many(leaves(3))
    note = cps.sign()
    line = witness.cosign(note, 0, [])
    name, b64 = line[2:-1].split(" ")
    blob = bytearray(base64.b64decode(b64))
    blob[11] ^= 1
    forged = f"\u2014 {name} {base64.b64encode(bytes(blob)).decode()}\n"
    with pytest.raises(IntegrityError):
        verify_cosignature(note + forged, witness.verifier)
    with pytest.raises(IntegrityError):
        verify_cosignature(note, witness.verifier)
