"""Concurrent appends to one conversation through ChatSeal on PostgreSQL, from threads in two
processes: positions stay dense and ordered, no acknowledged append is lost, nothing deadlocks."""

from __future__ import annotations

import multiprocessing
import threading
from pathlib import Path

from chatseal.audit.events import parse_event
from chatseal.model import Principal
from chatseal.service import ChatSeal
from chatseal.service.reconcile import reconcile
from service.pgseal import fresh_database, pg_seal

THREADS = 6
APPENDS = 12
ALICE = Principal.of("acme", "alice@example.com", "user")


def append_many(home: str, url: str, conversation: str, tag: str) -> list[str]:
    """THREADS threads each append APPENDS items; return the acknowledged contents in order."""
    seal = ChatSeal.open(home, store_url=url)
    assert seal.audit is not None
    seal.audit.start(interval=0.01)  # every worker runs a sequencer: the advisory lock decides
    done: list[list[str]] = [[] for _ in range(THREADS)]
    errors: list[BaseException] = []

    def body(t: int) -> None:
        session = seal.session(ALICE)
        try:
            for i in range(APPENDS):
                text = f"{tag}-{t}-{i:03d}"
                session.conversations.items.create(
                    conversation, items=[{"role": "user", "content": text}]
                )
                done[t].append(text)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=body, args=(t,)) for t in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    seal.close()
    if errors or any(t.is_alive() for t in threads):
        raise RuntimeError(f"appends failed: {errors[:1]!r}")
    return [text for per in done for text in per]


def test_threads_in_two_processes_append_to_one_conversation(tmp_path: Path) -> None:
    """Every acknowledged append is stored once, positions 0..n-1, each writer's order kept."""
    home = tmp_path / "home"
    with fresh_database() as url:
        with pg_seal(home, url) as seal:
            seal.tenants.create("acme")
            conv = seal.session(ALICE).conversations.create(items=[])
        context = multiprocessing.get_context("spawn")
        with context.Pool(1) as pool:
            child = pool.apply_async(append_many, (str(home), url, conv.id, "p2"))
            mine = append_many(str(home), url, conv.id, "p1")
            theirs = child.get(timeout=180)
        with pg_seal(home, url) as seal:
            session = seal.session(ALICE)
            stored, after = [], None
            while True:
                page = session.conversations.items.list(conv.id, order="asc", after=after)
                stored += page.data
                if not page.has_more:
                    break
                after = page.data[-1]["id"]
            texts = [item["content"][0]["text"] for item in stored]
            assert sorted(texts) == sorted(mine + theirs)
            assert len(texts) == 2 * THREADS * APPENDS
            for tag in ("p1", "p2"):
                for t in range(THREADS):
                    own = [x for x in texts if x.startswith(f"{tag}-{t}-")]
                    assert own == sorted(own)  # each writer's appends in its own order
            with seal.store.transaction() as tx:
                row = tx.get_tenant("acme")
                assert row is not None
                positions = [
                    r.position
                    for r in tx.list_items(
                        row.tenant_id, conv.id, after_position=None, limit=1000, descending=False
                    )
                ]
            assert positions == list(range(len(texts)))
            assert seal.audit is not None
            seal.audit.checkpoint()
            leaves = seal.audit.tree.entries(0, seal.audit.tree.size)
            appends = [e for e in map(parse_event, leaves) if e.type == "item.append"]
            assert len(appends) == len(texts)
            assert seal.audit.verify().ok
            assert reconcile(seal.store, leaves).ok
