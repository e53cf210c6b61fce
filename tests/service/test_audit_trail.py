"""The audit trail as wired into the service: every operation leaves its event, in the same
transaction as its change, with no content in any leaf; rollbacks are refused at start-up."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from chatseal.audit.events import parse_event
from chatseal.errors import AuditUnavailable, NotFound, PermissionDenied
from chatseal.model import Principal
from chatseal.service import ChatSeal

CANARY = "CANARY-audit-3b1f-content"


def leaves(seal: ChatSeal) -> list[bytes]:
    """Integrate the queue and return every leaf."""
    assert seal.audit is not None
    seal.audit.checkpoint()
    return seal.audit.tree.entries(0, seal.audit.tree.size)


def test_every_operation_leaves_its_event(
    seal: ChatSeal, alice: Principal, bob: Principal, mallory: Principal
) -> None:
    """Creates, reads, updates, appends, deletes, unwraps and denials each produce a canonical event."""
    a = seal.session(alice, request_id="req_test1")
    conv = a.conversations.create(
        items=[{"role": "user", "content": CANARY}], metadata={"k": CANARY}
    )
    a.conversations.retrieve(conv.id)
    a.conversations.update(conv.id, metadata={"k": "v"})
    a.conversations.items.create(conv.id, items=[{"role": "assistant", "content": CANARY}])
    first = a.conversations.items.list(conv.id, order="asc").data[0]["id"]
    a.conversations.items.retrieve(first, conversation_id=conv.id)
    a.conversations.items.delete(first, conversation_id=conv.id)
    seal.cache.flush()
    a.conversations.items.list(conv.id)  # a cache miss: key.unwrap
    with pytest.raises(NotFound):
        seal.session(bob).conversations.items.list(conv.id)
    with pytest.raises(NotFound):
        seal.session(mallory).conversations.retrieve(conv.id)
    support = seal.session(Principal.of("acme", "sam", "support", purpose="support"))
    with pytest.raises(PermissionDenied):
        support.conversations.delete(conv.id)
    a.conversations.delete(conv.id)
    seal.tenants.delete("globex")

    events = [parse_event(leaf) for leaf in leaves(seal)]  # parse_event checks RFC 8785 form
    seen = {(e.type, e.action, e.decision.result) for e in events}
    for expected in [
        ("config.change", "tenant.create", "allow"),
        ("key.generate", "key.generate", "allow"),
        ("conversation.create", "conversation.create", "allow"),
        ("access.decision", "conversation.read", "allow"),
        ("access.decision", "conversation.update", "allow"),
        ("item.append", "item.append", "allow"),
        ("item.read", "item.read", "allow"),
        ("item.delete", "item.delete", "allow"),
        ("key.unwrap", "key.unwrap", "allow"),
        ("access.decision", "item.read", "deny"),
        ("access.decision", "conversation.read", "deny"),
        ("access.decision", "conversation.delete", "deny"),
        ("conversation.delete", "conversation.delete", "allow"),
        ("key.destroy", "key.destroy", "allow"),
        ("config.change", "tenant.delete", "allow"),
    ]:
        assert expected in seen, expected
    assert any(e.request_id == "req_test1" for e in events)
    assert all(e.policy_version for e in events)
    deny = next(e for e in events if e.decision.result == "deny" and e.actor.tenant == "globex")
    assert deny.resource["conversation"] == conv.id
    for leaf in leaves(seal):
        assert CANARY.encode() not in leaf
        assert b"alice@example.com" not in leaf and b"bob@example.com" not in leaf


def test_no_change_without_its_record(
    seal: ChatSeal, alice: Principal, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the event cannot be queued, the change it records is rolled back."""
    from chatseal.store.sqlite import SqliteTx

    s = seal.session(alice)
    conv = s.conversations.create(items=[{"role": "user", "content": "one"}])

    def broken(self: SqliteTx, data: bytes) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(SqliteTx, "enqueue_audit", broken)
    with pytest.raises(Exception):
        s.conversations.items.create(conv.id, items=[{"role": "user", "content": "two"}])
    monkeypatch.undo()
    assert [i["content"][0]["text"] for i in s.conversations.items.list(conv.id).data] == ["one"]


def test_checkpoints_are_signed_and_exported(seal: ChatSeal, alice: Principal, home: Path) -> None:
    """A checkpoint is a signed note that verifies, and a copy lands in the external directory."""
    seal.session(alice).conversations.create(items=[{"role": "user", "content": "x"}])
    assert seal.audit is not None
    note = seal.audit.checkpoint()
    assert note.splitlines()[1] == str(seal.audit.tree.size)
    assert list((home / "checkpoints").glob("checkpoint-*"))
    report = seal.audit.verify()
    assert report.ok, report.problems


def test_rolled_back_database_is_refused_until_acknowledged(home: Path, clock) -> None:  # type: ignore[no-untyped-def]
    """Restoring an older copy of the database is caught at start-up; acknowledging lets it serve."""
    seal = ChatSeal.open(home, create=True, clock=clock)
    seal.tenants.create("acme")
    s = seal.session(Principal.of("acme", "alice", "user"))
    conv = s.conversations.create(items=[{"role": "user", "content": "x"}])
    assert seal.audit is not None
    seal.audit.checkpoint()
    seal.close()
    old = home.parent / "old"
    old.mkdir()
    for name in ("chatseal.db", "chatseal.db-wal", "chatseal.db-shm"):
        if (home / name).exists():
            shutil.copy2(home / name, old / name)
    seal = ChatSeal.open(home, clock=clock)
    seal.session(Principal.of("acme", "alice", "user")).conversations.delete(conv.id)
    assert seal.audit is not None
    seal.audit.checkpoint()
    seal.close()
    for name in ("chatseal.db", "chatseal.db-wal", "chatseal.db-shm"):
        (home / name).unlink(missing_ok=True)
        if (old / name).exists():
            shutil.copy2(old / name, home / name)
    with pytest.raises(AuditUnavailable) as refused:
        ChatSeal.open(home, clock=clock)
    assert "rolled back" in refused.value.message
    seal = ChatSeal.open(home, clock=clock, check_audit=False)
    assert seal.audit is not None
    assert seal.audit.acknowledge()
    seal.close()
    ChatSeal.open(home, clock=clock).close()


def test_tampered_leaf_fails_verification(seal: ChatSeal, alice: Principal, home: Path) -> None:
    """Editing a leaf in the database is found by verification."""
    seal.session(alice).conversations.create(items=[{"role": "user", "content": "x"}])
    assert seal.audit is not None
    seal.audit.checkpoint()
    with sqlite3.connect(home / "chatseal.db") as conn:
        conn.execute(
            "UPDATE audit_leaves SET data = CAST(replace(CAST(data AS TEXT), 'allow', 'deny!') AS BLOB) WHERE idx = 1"
        )
    assert not seal.audit.verify().ok


def test_actor_is_hashed_and_remembered_per_principal(seal: ChatSeal, alice: Principal) -> None:
    """The subject appears only as its salted hash; a principal's actor is computed once, and a
    principal with other roles or another credential gets its own."""
    assert seal.audit is not None
    first = seal.audit.actor(alice)
    assert first is seal.audit.actor(Principal.of(alice.tenant, alice.subject, *alice.roles))
    assert first["subject"].startswith("hs1:")
    assert alice.subject not in str(first)
    admin = seal.audit.actor(Principal.of(alice.tenant, alice.subject, "tenant_admin"))
    assert admin["roles"] == ["tenant_admin"]
    assert admin["subject"] == first["subject"]
    token = seal.audit.actor(
        Principal.of(alice.tenant, alice.subject, *alice.roles, credential_kind="token")
    )
    assert token["credential_kind"] == "token"
    assert first["credential_kind"] != "token"
