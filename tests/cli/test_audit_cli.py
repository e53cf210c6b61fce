"""`chatseal audit …`: verification with reconciliation, receipts, tiles and the verifier key."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from chatseal.audit.note import Verifier
from chatseal.audit.proof import verify_receipt

from .conftest import invoker


@pytest.fixture
def run(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Invoke the CLI on a home with one tenant and a conversation of two messages."""
    invoke = invoker(tmp_path / "home")

    invoke("init")
    invoke("tenant", "create", "acme")
    conv = json.loads(
        invoke("conversations", "create", "--tenant", "acme", "--message", "hello")[1]
    )
    invoke("items", "add", conv["id"], "--tenant", "acme", "--message", "again")
    invoke.conversation = conv["id"]  # type: ignore[attr-defined]
    invoke.db = tmp_path / "home" / "chatseal.db"  # type: ignore[attr-defined]
    return invoke


def test_verify_passes_on_an_honest_log(run) -> None:  # type: ignore[no-untyped-def]
    """An untouched home verifies, with every stored conversation reconciled."""
    code, out, _ = run("audit", "verify", "--json")
    report = json.loads(out)
    assert code == 0 and report["ok"] is True
    assert report["conversations_reconciled"] == 1 and report["tree_size"] >= 5


@pytest.mark.parametrize(
    "tamper",
    [
        "DELETE FROM items WHERE position = 1",
        "DELETE FROM audit_leaves WHERE idx = (SELECT max(idx) FROM audit_leaves)",
        "UPDATE audit_leaves SET data = CAST(replace(CAST(data AS TEXT), 'allow', 'deny!') AS BLOB) WHERE idx = 2",
        "UPDATE audit_leaves SET idx = idx + 100 WHERE idx = 1",
        "DELETE FROM audit_checkpoints",
    ],
)
def test_verify_finds_tampering(run, tamper: str) -> None:  # type: ignore[no-untyped-def]
    """Dropped items, edited, deleted or moved leaves and dropped checkpoints make verify exit 1."""
    with sqlite3.connect(run.db) as conn:
        conn.execute(tamper)
    code, out, _ = run("audit", "verify")
    assert code == 1
    assert "FAILED" in out


def test_verify_finds_an_older_database_copy(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A database restored from an older copy disagrees with the external checkpoints."""
    saved = tmp_path / "saved.db"
    shutil.copy2(run.db, saved)
    run("items", "add", run.conversation, "--tenant", "acme", "--message", "later")
    shutil.copy2(saved, run.db)
    for suffix in ("-wal", "-shm"):
        Path(str(run.db) + suffix).unlink(missing_ok=True)
    code, _, err = run("items", "list", run.conversation, "--tenant", "acme")
    assert code == 1 and "inconsistent with the external checkpoint" in err
    assert run("audit", "verify")[0] == 1
    code, out, _ = run("audit", "acknowledge", "--reason", "restored-from-backup-after-incident-42")
    assert code == 0 and "set aside" in out
    assert run("items", "list", run.conversation, "--tenant", "acme")[0] == 0


def test_prove_gives_a_receipt_that_verifies(run) -> None:  # type: ignore[no-untyped-def]
    """A tlog-proof receipt from `audit prove` verifies against the published vkey."""
    code, vkey, _ = run("audit", "vkey")
    assert code == 0 and len(vkey.strip().split("+", 2)) == 3
    code, receipt, _ = run("audit", "prove", "--index", "1")
    assert code == 0 and receipt.startswith("c2sp.org/tlog-proof@v1\n")
    with sqlite3.connect(run.db) as conn:
        leaf = conn.execute("SELECT data FROM audit_leaves WHERE idx = 1").fetchone()[0]
    assert verify_receipt(receipt, leaf, Verifier.from_vkey(vkey.strip()))
    assert run("audit", "prove", "--index", "100000")[0] == 1


def test_export_writes_tiles(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """`audit export` writes a checkpoint, tiles and entry bundles."""
    out = tmp_path / "tiles"
    code, text, _ = run("audit", "export", "--out", str(out))
    assert code == 0 and "wrote" in text
    assert (out / "checkpoint").exists()
    assert any((out / "tile" / "entries").rglob("*"))
