"""The audit log on PostgreSQL: events in the store's transactions, one integrator at a time,
no event dropped when identity values commit out of order."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from psycopg import errors as pg_errors

from chatseal.audit.events import parse_event
from chatseal.audit.postgres_storage import PostgresQueue, PostgresTreeStorage
from chatseal.errors import NotFound
from chatseal.model import Principal
from chatseal.service import ChatSeal
from chatseal.service.audit_trail import AuditTrail
from chatseal.service.reconcile import reconcile
from service.pgseal import fresh_database, pg_seal
from store import pg

CANARY = "CANARY-pg-audit-77c1"


@pytest.fixture
def seal(tmp_path: Path) -> Iterator[ChatSeal]:
    """A ChatSeal on a fresh PostgreSQL database with tenants acme and globex."""
    with fresh_database() as url, pg_seal(tmp_path / "home", url) as cs:
        cs.tenants.create("acme")
        cs.tenants.create("globex")
        yield cs


def leaves(seal: ChatSeal) -> list[bytes]:
    """Integrate everything and return every leaf."""
    assert seal.audit is not None
    seal.audit.checkpoint()
    return seal.audit.tree.entries(0, seal.audit.tree.size)


def test_audit_storage_is_postgres(seal: ChatSeal) -> None:
    """A PostgreSQL store gets the PostgreSQL tree storage and queue."""
    assert seal.audit is not None
    assert isinstance(seal.audit.storage, PostgresTreeStorage)
    assert isinstance(seal.audit.sequencer.queue, PostgresQueue)


def test_operations_leave_their_events(seal: ChatSeal, alice: Principal, bob: Principal) -> None:
    """Create, read, append, delete and a denial each leave an event; verify and reconcile pass."""
    a = seal.session(alice, request_id="req_pg1")
    conv = a.conversations.create(items=[{"role": "user", "content": CANARY}])
    a.conversations.retrieve(conv.id)
    a.conversations.items.create(conv.id, items=[{"role": "assistant", "content": CANARY}])
    with pytest.raises(NotFound):
        seal.session(bob).conversations.items.list(conv.id)
    other = a.conversations.create(items=[{"role": "user", "content": "x"}])
    a.conversations.delete(other.id)
    all_leaves = leaves(seal)
    seen = {(e.type, e.action, e.decision.result) for e in map(parse_event, all_leaves)}
    for expected in [
        ("config.change", "tenant.create", "allow"),
        ("conversation.create", "conversation.create", "allow"),
        ("access.decision", "conversation.read", "allow"),
        ("item.append", "item.append", "allow"),
        ("access.decision", "item.read", "deny"),
        ("conversation.delete", "conversation.delete", "allow"),
    ]:
        assert expected in seen, expected
    assert all(CANARY.encode() not in leaf for leaf in all_leaves)
    assert seal.audit is not None
    report = seal.audit.verify()
    assert report.ok, report.problems
    assert reconcile(seal.store, all_leaves).ok


def test_a_read_whose_event_cannot_be_queued_returns_nothing(
    seal: ChatSeal, alice: Principal
) -> None:
    """Fail closed: the read's event travels with its COMMIT; if it cannot be written, the read
    raises instead of returning the items."""
    a = seal.session(alice)
    conv = a.conversations.create(items=[{"role": "user", "content": CANARY}])
    owner_url = pg.with_database(pg.require_env(pg.ADMIN_URL), urlsplit(seal.store.url).path[1:])
    with psycopg.connect(owner_url, autocommit=True) as owner:
        owner.execute("REVOKE INSERT ON chatseal.audit_queue FROM chatseal_app")
        try:
            with pytest.raises(pg_errors.InsufficientPrivilege):
                a.conversations.items.list(conv.id)
        finally:
            owner.execute("GRANT INSERT ON chatseal.audit_queue TO chatseal_app")
    page = a.conversations.items.list(conv.id).data
    assert [i["content"][0]["text"] for i in page] == [CANARY]


def test_late_commit_of_a_lower_seq_is_not_dropped(seal: ChatSeal) -> None:
    """An event whose lower seq commits after a higher one was integrated still reaches the tree."""
    assert seal.audit is not None
    seal.audit.checkpoint()
    before = seal.audit.tree.size
    with ExitStack() as stack:
        slow = stack.enter_context(seal.store.transaction(write=True))
        slow.enqueue_audit(b'{"late":1}')
        # The queued INSERT goes with the transaction's next statement: send it now, so it takes
        # the lower seq while its transaction stays open, to commit last.
        slow.list_tenants()
        with seal.store.transaction(write=True) as fast:
            fast.enqueue_audit(b'{"early":1}')
        assert seal.audit.sequencer.integrate() == 1
    assert seal.audit.sequencer.integrate() == 1
    assert seal.audit.tree.entries(before, before + 2) == [b'{"early":1}', b'{"late":1}']
    assert seal.audit.sequencer.queue.pending(10) == []


def test_concurrent_writers_and_sequencers_lose_no_event(
    seal: ChatSeal, tmp_path: Path, alice: Principal
) -> None:
    """Many writers with two sequencers integrating at once: every append is a leaf, once."""
    assert seal.audit is not None
    conv = seal.session(alice).conversations.create(items=[])
    seal.audit.start(interval=0.005)
    # A second sequencer on the same database (another worker's): the advisory lock serialises.
    other = AuditTrail(seal.store, tmp_path / "home", seal.clock, {})
    other.start(interval=0.005)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            s = seal.session(alice)
            for i in range(15):
                item = {"role": "user", "content": f"{n}.{i}"}
                s.conversations.items.create(conv.id, items=[item])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    other.stop()
    assert not errors, errors
    all_leaves = leaves(seal)
    appends = [e for e in map(parse_event, all_leaves) if e.type == "item.append"]
    assert len(appends) == 8 * 15
    assert seal.audit.sequencer.queue.pending(10) == []
    assert seal.audit.verify().ok
    assert reconcile(seal.store, all_leaves).ok
