"""Issue 2's benchmark: sealed appends and reads through `ChatSeal` against a plaintext baseline
and LangChain's `SQLChatMessageHistory`, 1 KiB messages, in one run."""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path
from typing import Any

from benchmarks.baseline import PlainStore
from benchmarks.harness import interleaved, scenario, target
from chatseal.model import Principal
from chatseal.service import ChatSeal

MESSAGE = ("The quick brown fox jumps over the lazy dog. " * 24)[:1024]
READ_DEPTH = 50


def _langchain(path: Path, session_id: str = "bench") -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from langchain_community.chat_message_histories import SQLChatMessageHistory

        return SQLChatMessageHistory(session_id=session_id, connection=f"sqlite:///{path}")


def run(quick: bool = False) -> dict[str, Any]:
    """Measure append and read per message; return scenarios, ratios and targets."""
    from langchain_core.messages import HumanMessage

    count, rounds = (300, 3) if quick else (2000, 5)
    peer_count = 30 if quick else 150
    root = Path(tempfile.mkdtemp(prefix="chatseal-bench-"))
    seal = ChatSeal.open(root / "home", create=True)
    seal.tenants.create("bench")
    session = seal.session(Principal.of("bench", "alice", "user"))
    sealed_conv = session.conversations.create().id
    plain = PlainStore(root / "plain.db")
    plain_conv = plain.create("bench", "alice")
    peer = _langchain(root / "langchain.db")
    item = {"type": "message", "role": "user", "content": MESSAGE}
    items = session.conversations.items

    appends = interleaved(
        {
            "append_chatseal": lambda i: items.create(sealed_conv, items=[item]),
            "append_plaintext": lambda i: plain.append("bench", plain_conv, item),
        },
        count,
        rounds,
    )
    appends.update(
        interleaved(
            {"append_langchain": lambda i: peer.add_message(HumanMessage(MESSAGE))}, peer_count, 1
        )
    )

    # The peer holds as many messages as ChatSeal does (bulk-loaded: only the timed appends above
    # are measured), so both stores read from the same amount of data.
    backlog = count * rounds - peer_count
    for start in range(0, backlog, 1000):
        peer.add_messages([HumanMessage(MESSAGE)] * min(1000, backlog - start))

    # Reads: a conversation of exactly 50 messages in each store.
    read_conv = session.conversations.create().id
    read_plain = plain.create("bench", "alice")
    peer = _langchain(root / "langchain.db", session_id="read50")
    for _ in range(READ_DEPTH):
        items.create(read_conv, items=[item])
        plain.append("bench", read_plain, item)
        peer.add_message(HumanMessage(MESSAGE))
    reads = interleaved(
        {
            "read50_chatseal": lambda i: items.list(read_conv, limit=READ_DEPTH),
            "read50_plaintext": lambda i: plain.list("bench", read_plain, READ_DEPTH),
        },
        count // 4,
        rounds,
    )
    reads.update(
        interleaved({"read50_langchain": lambda i: peer.messages}, max(peer_count // 5, 10), 1)
    )
    assert len(items.list(read_conv, limit=READ_DEPTH).data) == READ_DEPTH
    assert len(peer.messages) == READ_DEPTH
    seal.close()

    us = {**appends, **reads}
    ratios = {
        "append_vs_plaintext": us["append_chatseal"] / us["append_plaintext"],
        "read50_vs_plaintext": us["read50_chatseal"] / us["read50_plaintext"],
        "langchain_append_vs_chatseal": us["append_langchain"] / us["append_chatseal"],
        "langchain_read50_vs_chatseal": us["read50_langchain"] / us["read50_chatseal"],
    }
    return {
        "scenarios": {name: scenario(value) for name, value in us.items()},
        "ratios": {name: round(value, 3) for name, value in ratios.items()},
        "targets": {
            "append_ops_per_s": target(
                1e6 / us["append_chatseal"], ">= 10000", 1e6 / us["append_chatseal"] >= 10_000
            ),
            "append_vs_plaintext": target(
                ratios["append_vs_plaintext"], "<= 1.5x", ratios["append_vs_plaintext"] <= 1.5
            ),
            "read50_vs_plaintext": target(
                ratios["read50_vs_plaintext"], "<= 2x", ratios["read50_vs_plaintext"] <= 2.0
            ),
            "append_faster_than_langchain": target(
                ratios["langchain_append_vs_chatseal"],
                ">= 20x",
                ratios["langchain_append_vs_chatseal"] >= 20,
            ),
            "read50_faster_than_langchain": target(
                ratios["langchain_read50_vs_chatseal"],
                ">= 50x",
                ratios["langchain_read50_vs_chatseal"] >= 50,
            ),
        },
        "notes": (
            "1 KiB messages, one per transaction; medians of alternating rounds. ChatSeal runs "
            "with its audit log and Cedar policy on. LangChain (a long-lived "
            "SQLChatMessageHistory) holds as many messages as ChatSeal when it is read; it has no "
            "index on session_id, so its reads scan the whole table."
        ),
    }
