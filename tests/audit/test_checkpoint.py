"""C2SP tlog-checkpoint: known answer, parsing, and never signing a fork."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chatseal.audit.checkpoint import Checkpoint, CheckpointSigner, default_origin, open_checkpoint
from chatseal.audit.note import Signer, sign_note
from chatseal.audit.storage import MemoryTreeStorage
from chatseal.audit.tree import AuditTree
from chatseal.errors import IntegrityError, InvalidRequest

VECTOR = json.loads((Path(__file__).parent / "vectors" / "checkpoint.json").read_text("utf-8"))


def test_known_answer_checkpoint() -> None:
    """A fixed key and fixed leaves give the stored checkpoint byte for byte."""
    signer = Signer.from_seed(VECTOR["origin"], bytes.fromhex(VECTOR["seed_hex"]))
    tree = AuditTree(MemoryTreeStorage())
    tree.append_many([bytes.fromhex(x) for x in VECTOR["leaves_hex"]])
    assert tree.root().hex() == VECTOR["root_hex"]
    assert CheckpointSigner(tree, signer).sign() == VECTOR["checkpoint"]
    assert signer.verifier.vkey() == VECTOR["vkey"]


def test_checkpoint_body_format() -> None:
    """The body is origin, decimal size and base64 root, three newline-terminated lines."""
    body = Checkpoint("o.example/log", 5, bytes(32)).body()
    assert body == "o.example/log\n5\n" + "A" * 43 + "=\n"
    assert Checkpoint.parse(body) == Checkpoint("o.example/log", 5, bytes(32))


@pytest.mark.parametrize(
    "body",
    [
        "o\n05\n" + "A" * 43 + "=\n",
        "o\n5\n" + "A" * 43 + "=\next\n",
        "o\n5\nAAAA\n",
        "\n5\n" + "A" * 43 + "=\n",
        "o\n-1\n" + "A" * 43 + "=\n",
    ],
)
def test_malformed_bodies_refused(body: str) -> None:
    """Leading zeroes, extension lines, short roots, empty origins are refused."""
    with pytest.raises(InvalidRequest):
        Checkpoint.parse(body)


def test_default_origin_names_host() -> None:
    """The default origin is <hostname>/chatseal."""
    assert default_origin().endswith("/chatseal")


def test_open_checkpoint_checks_origin(log_signer: Signer) -> None:
    """A checkpoint whose origin is not the key name is rejected."""
    note = sign_note(Checkpoint("elsewhere/log", 0, bytes(32)).body(), log_signer)
    with pytest.raises(IntegrityError):
        open_checkpoint(note, log_signer.verifier)


def test_grows_and_signs_consistent(log_signer: Signer) -> None:
    """Successive checkpoints of a growing tree are all signed and kept."""
    tree = AuditTree(MemoryTreeStorage())
    signer = CheckpointSigner(tree, log_signer)
    for n in (1, 5, 5, 17):
        tree.append_many([b"x"] * (n - tree.size))
        open_checkpoint(signer.sign(), log_signer.verifier)
    assert [s for s, _ in tree.storage.checkpoints()] == [1, 5, 17]


def test_never_signs_a_fork(log_signer: Signer) -> None:
    """After a rewritten history (same storage, different leaves) signing raises."""
    storage = MemoryTreeStorage()
    tree = AuditTree(storage)
    tree.append_many([b"a", b"b", b"c"])
    signer = CheckpointSigner(tree, log_signer)
    signer.sign()
    # A fork: another tree whose history differs, sharing the checkpoint table.
    forked = MemoryTreeStorage()
    forked_tree = AuditTree(forked)
    forked_tree.append_many([b"a", b"B", b"c", b"d"])
    forked.add_checkpoint(*storage.latest_checkpoint())  # type: ignore[misc]
    with pytest.raises(IntegrityError):
        CheckpointSigner(forked_tree, log_signer).sign()
    assert [s for s, _ in forked.checkpoints()] == [3]


def test_never_signs_a_shorter_tree(log_signer: Signer) -> None:
    """A checkpoint smaller than the last signed one is refused."""
    tree = AuditTree(MemoryTreeStorage())
    tree.append_many([b"a", b"b", b"c"])
    signer = CheckpointSigner(tree, log_signer)
    signer.sign()
    with pytest.raises(IntegrityError):
        signer.sign(2)
