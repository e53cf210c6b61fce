"""Issue 2's benchmark: sealed appends and reads through `ChatSeal` against a plaintext baseline
and LangChain's `SQLChatMessageHistory`, 1 KiB messages, in one run.

ChatSeal is measured in three configurations, so each guarantee's cost is visible:
- `chatseal` — the default: sealing, the Cedar policy and the audit log (every append and read
  commits its audit event, fail-closed);
- `chatseal_cedar` — sealing and the Cedar policy, audit log off;
- `chatseal_core` — what issue 2 specifies: sealing, keys and the store, with the built-in
  owner/role rules and no audit log.
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path
from typing import Any

from benchmarks.baseline import PlainStore, SealedFloorStore
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


CONFIGS = {
    "chatseal": "",
    "chatseal_cedar": "[audit]\nenabled = false\n",
    "chatseal_core": '[audit]\nenabled = false\n[policy]\nengine = "builtin"\n',
}


def _open(root: Path, name: str) -> ChatSeal:
    home = root / name
    home.mkdir()
    (home / "chatseal.toml").write_text(CONFIGS[name], "utf-8")
    return ChatSeal.open(home, create=True)


def _ratio_targets(us: dict[str, float], name: str) -> dict[str, Any]:
    append, read = us[f"append_{name}"], us[f"read50_{name}"]
    vs_plain_append = append / us["append_plaintext"]
    vs_plain_read = read / us["read50_plaintext"]
    vs_peer_append = us["append_langchain"] / append
    vs_peer_read = us["read50_langchain"] / read
    return {
        f"{name}_append_ops_per_s": target(1e6 / append, ">= 10000", 1e6 / append >= 10_000),
        f"{name}_append_vs_plaintext": target(vs_plain_append, "<= 1.5x", vs_plain_append <= 1.5),
        f"{name}_read50_vs_plaintext": target(vs_plain_read, "<= 2x", vs_plain_read <= 2.0),
        f"{name}_append_faster_than_langchain": target(
            vs_peer_append, ">= 20x", vs_peer_append >= 20
        ),
        f"{name}_read50_faster_than_langchain": target(vs_peer_read, ">= 50x", vs_peer_read >= 50),
    }


def run(quick: bool = False) -> dict[str, Any]:
    """Measure append and read per message; return scenarios, ratios and targets."""
    from langchain_core.messages import HumanMessage

    # Many short alternating rounds: the host is shared, and its slow spells last seconds.
    count, rounds = (300, 3) if quick else (600, 17)
    peer_count = 30 if quick else 150
    root = Path(tempfile.mkdtemp(prefix="chatseal-bench-"))
    seals = {name: _open(root, name) for name in CONFIGS}
    plain = PlainStore(root / "plain.db")
    plain_conv = plain.create("bench", "alice")
    floor = SealedFloorStore(root / "floor.db")
    floor_conv = floor.create("bench", "alice")
    peer = _langchain(root / "langchain.db")
    # Every store is given, and keeps, the same document: the item as the Conversations API
    # returns it (content as a list of parts), so each parses the same JSON on a read.
    item = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": MESSAGE}]}
    resources: dict[str, Any] = {}
    for name, seal in seals.items():
        seal.tenants.create("bench")
        session = seal.session(Principal.of("bench", "alice", "user"))
        resources[name] = (session.conversations.items, session.conversations.create().id)

    def appender(name: str) -> Any:
        items, conv = resources[name]
        return lambda i: items.create(conv, items=[item])

    appends = interleaved(
        {
            **{f"append_{name}": appender(name) for name in CONFIGS},
            "append_plaintext": lambda i: plain.append("bench", plain_conv, item),
            "append_sealed_floor": lambda i: floor.append("bench", floor_conv, item),
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
    read_convs = {}
    for name in CONFIGS:
        items, _ = resources[name]
        conv = seals[name].session(Principal.of("bench", "alice", "user")).conversations.create().id
        for _ in range(READ_DEPTH):
            items.create(conv, items=[item])
        read_convs[name] = conv
    read_plain = plain.create("bench", "alice")
    read_floor = floor.create("bench", "alice")
    peer = _langchain(root / "langchain.db", session_id="read50")
    for _ in range(READ_DEPTH):
        plain.append("bench", read_plain, item)
        floor.append("bench", read_floor, item)
        peer.add_message(HumanMessage(MESSAGE))

    def reader(name: str) -> Any:
        items, _ = resources[name]
        conv = read_convs[name]
        return lambda i: items.list(conv, limit=READ_DEPTH)

    reads = interleaved(
        {
            **{f"read50_{name}": reader(name) for name in CONFIGS},
            "read50_plaintext": lambda i: plain.list("bench", read_plain, READ_DEPTH),
            "read50_sealed_floor": lambda i: floor.list("bench", read_floor, READ_DEPTH),
        },
        count // 4,
        rounds,
    )
    reads.update(
        interleaved({"read50_langchain": lambda i: peer.messages}, max(peer_count // 5, 10), 1)
    )
    for name in CONFIGS:
        assert len(reader(name)(0).data) == READ_DEPTH
    assert len(peer.messages) == READ_DEPTH
    floor_page = floor.list("bench", read_floor, READ_DEPTH)
    assert len(floor_page) == READ_DEPTH
    assert floor_page[0]["content"] == item["content"]
    for seal in seals.values():
        seal.close()

    us = {**appends, **reads}
    ratios = {}
    for name in CONFIGS:
        ratios[f"{name}_append_vs_plaintext"] = us[f"append_{name}"] / us["append_plaintext"]
        ratios[f"{name}_read50_vs_plaintext"] = us[f"read50_{name}"] / us["read50_plaintext"]
        ratios[f"langchain_append_vs_{name}"] = us["append_langchain"] / us[f"append_{name}"]
        ratios[f"langchain_read50_vs_{name}"] = us["read50_langchain"] / us[f"read50_{name}"]
        ratios[f"{name}_append_vs_sealed_floor"] = us[f"append_{name}"] / us["append_sealed_floor"]
        ratios[f"{name}_read50_vs_sealed_floor"] = us[f"read50_{name}"] / us["read50_sealed_floor"]
    # The floor of the plaintext targets: what AES-GCM alone costs on top of the plaintext store.
    ratios["sealed_floor_append_vs_plaintext"] = us["append_sealed_floor"] / us["append_plaintext"]
    ratios["sealed_floor_read50_vs_plaintext"] = us["read50_sealed_floor"] / us["read50_plaintext"]
    # The ceiling of the peer targets: how much faster than LangChain plain SQLite itself is.
    ratios["langchain_append_vs_plaintext"] = us["append_langchain"] / us["append_plaintext"]
    ratios["langchain_read50_vs_plaintext"] = us["read50_langchain"] / us["read50_plaintext"]
    ratios["langchain_append_vs_sealed_floor"] = us["append_langchain"] / us["append_sealed_floor"]
    ratios["langchain_read50_vs_sealed_floor"] = us["read50_langchain"] / us["read50_sealed_floor"]
    return {
        "scenarios": {name: scenario(value) for name, value in us.items()},
        "ratios": {name: round(value, 3) for name, value in ratios.items()},
        "targets": {
            **_ratio_targets(us, "chatseal"),
            **_ratio_targets(us, "chatseal_cedar"),
            **_ratio_targets(us, "chatseal_core"),
        },
        "notes": (
            "1 KiB messages, one per transaction; medians of alternating rounds. chatseal: audit "
            "log and Cedar on (the default); chatseal_cedar: audit off; chatseal_core: audit off "
            "and built-in role rules (issue 2's scope). SQLite checkpoints the WAL inside the "
            "committing writer for the plaintext baseline (its default) and on ChatSeal's own "
            "thread for ChatSeal. sealed_floor: the plaintext store plus one AES-256-GCM "
            "operation per item with its bound AD and nothing else, the least a sealed store can "
            "cost in CPython; sealed_floor_*_vs_plaintext is the floor of the plaintext targets. "
            "langchain_*_vs_plaintext and langchain_*_vs_sealed_floor are the ceilings of the peer "
            "targets: how much faster than LangChain plain SQLite, and the sealed floor, are. "
            "LangChain (a long-lived "
            "SQLChatMessageHistory) holds as many messages as ChatSeal when it is read; it has no "
            "index on session_id, so its reads scan the whole table."
        ),
    }
