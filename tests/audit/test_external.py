"""External checkpoints: atomic files, newest wins, clear results on rollback and rewrite."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from chatseal.audit.checkpoint import CheckpointSigner
from chatseal.audit.external import ExternalCheckpoints
from chatseal.audit.note import Signer
from chatseal.audit.storage import MemoryTreeStorage
from chatseal.audit.tree import AuditTree
from chatseal.errors import InvalidRequest


def test_write_read_newest(tmp_path: Path, log_signer: Signer) -> None:
    """Files are named by size, 0644 by default, and the newest is the largest size."""
    ext = ExternalCheckpoints(tmp_path / "ext")
    tree = AuditTree(MemoryTreeStorage())
    cps = CheckpointSigner(tree, log_signer)
    assert ext.newest() is None
    assert ext.check(tree, log_signer.verifier).ok
    for n in (2, 11):
        tree.append_many([b"x"] * (n - tree.size))
        path = ext.write(cps.sign(), n)
        assert os.stat(path).st_mode & 0o777 == 0o644
    newest = ext.newest()
    assert newest is not None and newest[0] == 11
    result = ext.check(tree, log_signer.verifier)
    assert result.ok and result.external_size == 11
    assert not [p for p in ext.directory.iterdir() if p.name.startswith(".")]


def test_private_mode_and_bad_mode(tmp_path: Path) -> None:
    """Mode 0600 is honoured; other modes are refused."""
    path = ExternalCheckpoints(tmp_path, mode=0o600).write("x\n", 1)
    assert os.stat(path).st_mode & 0o777 == 0o600
    with pytest.raises(InvalidRequest):
        ExternalCheckpoints(tmp_path, mode=0o666)


def test_rollback_rewrite_and_forgery_reported(tmp_path: Path, log_signer: Signer) -> None:
    """A shorter tree, a different root, or a foreign signature each give a clear failed result."""
    ext = ExternalCheckpoints(tmp_path / "ext")
    tree = AuditTree(MemoryTreeStorage())
    tree.append_many([b"a", b"b", b"c"])
    ext.write(CheckpointSigner(tree, log_signer).sign(), 3)
    short = AuditTree(MemoryTreeStorage())
    short.append_many([b"a"])
    result = ext.check(short, log_signer.verifier)
    assert not result and "rolled back" in result.reason
    other = AuditTree(MemoryTreeStorage())
    other.append_many([b"a", b"X", b"c", b"d"])
    assert "rewritten" in ext.check(other, log_signer.verifier).reason
    assert "not validly signed" in ext.check(tree, Signer.generate(log_signer.name).verifier).reason
