"""What a database thief and a database writer can do (THREATS.md): read nothing, change nothing
unnoticed, and recover nothing deleted."""

from __future__ import annotations

import base64
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from chatseal.errors import IntegrityError, NotFound
from chatseal.model import Principal
from chatseal.service import ChatSeal

CANARY = "CANARY-9d2f7c1e-plaintext-must-never-be-at-rest"


def encodings(secret: str) -> Iterator[bytes]:
    """The canary as plain UTF-8, UTF-16 (both orders), hex (both cases) and base64 at every alignment."""
    raw = secret.encode("utf-8")
    yield raw
    yield secret.encode("utf-16-le")
    yield secret.encode("utf-16-be")
    yield raw.hex().encode()
    yield raw.hex().upper().encode()
    for shift in range(3):
        # The middle of base64(prefix + secret) is independent of what surrounds it.
        yield base64.b64encode(b"\0" * shift + raw)[4:-4]


def files_under(root: Path) -> list[Path]:
    """Every regular file under a directory."""
    return [p for p in root.rglob("*") if p.is_file()]


def db(home: Path) -> sqlite3.Connection:
    """A raw connection to the store, as the attacker has it."""
    return sqlite3.connect(home / "chatseal.db", isolation_level=None)


def test_no_canary_at_rest(seal: ChatSeal, alice: Principal, home: Path) -> None:
    """Message text, metadata and tool calls carrying a canary leave no trace of it in any file."""
    s = seal.session(alice)
    conv = s.conversations.create(
        items=[{"role": "user", "content": f"my secret is {CANARY}"}], metadata={"note": CANARY}
    )
    for n in range(30):
        s.conversations.items.create(
            conv.id,
            items=[
                {"role": "assistant", "content": f"{n} {CANARY}"},
                {
                    "type": "function_call",
                    "call_id": f"c{n}",
                    "name": "lookup",
                    "arguments": f'{{"q": "{CANARY}"}}',
                },
                {"type": "function_call_output", "call_id": f"c{n}", "output": CANARY},
            ],
        )
    s.conversations.update(conv.id, metadata={"note": CANARY + "2"})
    paths = files_under(home)
    assert {p.name for p in paths} >= {"chatseal.db", "keyring.json"}
    for path in paths:
        blob = path.read_bytes()
        for needle in encodings(CANARY):
            assert needle not in blob, f"{path.name} holds the canary"
        assert b"alice@example.com" not in blob, f"{path.name} holds the owner's subject"


def _tenant_id(seal: ChatSeal, name: str) -> str:
    with seal.store.transaction() as tx:
        row = tx.get_tenant(name)
    assert row is not None
    return row.tenant_id


@pytest.fixture
def two_conversations(seal: ChatSeal, alice: Principal) -> tuple[str, str]:
    """Two conversations of alice with three items each."""
    s = seal.session(alice)
    ids = []
    for c in range(2):
        conv = s.conversations.create(
            items=[{"role": "user", "content": f"c{c} m{n}"} for n in range(3)]
        )
        ids.append(conv.id)
    return ids[0], ids[1]


def _readable(seal: ChatSeal, who: Principal, conv: str) -> bool:
    try:
        seal.session(who).conversations.items.list(conv)
    except IntegrityError:
        return False
    return True


@pytest.mark.parametrize("offset", [0, 1, 4, 5, 12, 17, 40, -17, -1])
def test_flipped_byte_is_detected(
    seal: ChatSeal, alice: Principal, home: Path, two_conversations: tuple[str, str], offset: int
) -> None:
    """Flipping any byte of a stored ciphertext fails that read; the other conversation is unaffected."""
    first, second = two_conversations
    with db(home) as conn:
        sealed, pos = conn.execute(
            "SELECT sealed, position FROM items WHERE conversation_id = ? ORDER BY position LIMIT 1",
            (first,),
        ).fetchone()
        changed = bytearray(sealed)
        changed[offset] ^= 0x01
        conn.execute(
            "UPDATE items SET sealed = ? WHERE conversation_id = ? AND position = ?",
            (bytes(changed), first, pos),
        )
    with pytest.raises(IntegrityError):
        seal.session(alice).conversations.items.list(first)
    assert _readable(seal, alice, second)


def test_ciphertext_moved_between_items_positions_conversations(
    seal: ChatSeal, alice: Principal, home: Path, two_conversations: tuple[str, str]
) -> None:
    """A ciphertext copied to another item, position or conversation fails to open there."""
    first, second = two_conversations
    s = seal.session(alice)
    with db(home) as conn:
        rows = conn.execute(
            "SELECT position, sealed FROM items WHERE conversation_id = ? ORDER BY position",
            (first,),
        ).fetchall()
        # to another item (and position) of the same conversation
        conn.execute(
            "UPDATE items SET sealed = ? WHERE conversation_id = ? AND position = ?",
            (rows[0][1], first, rows[1][0]),
        )
    with pytest.raises(IntegrityError):
        s.conversations.items.list(first)
    with db(home) as conn:
        conn.execute(
            "UPDATE items SET sealed = ? WHERE conversation_id = ? AND position = ?",
            (rows[1][1], first, rows[1][0]),
        )
        # reorder: swap two positions
        conn.execute(
            "UPDATE items SET position = -1 WHERE conversation_id = ? AND position = 0", (first,)
        )
        conn.execute(
            "UPDATE items SET position = 0 WHERE conversation_id = ? AND position = 2", (first,)
        )
        conn.execute(
            "UPDATE items SET position = 2 WHERE conversation_id = ? AND position = -1", (first,)
        )
    with pytest.raises(IntegrityError):
        s.conversations.items.list(first)
    assert _readable(seal, alice, second)
    with db(home) as conn:
        conn.execute(
            "UPDATE items SET position = -1 WHERE conversation_id = ? AND position = 0", (first,)
        )
        conn.execute(
            "UPDATE items SET position = 0 WHERE conversation_id = ? AND position = 2", (first,)
        )
        conn.execute(
            "UPDATE items SET position = 2 WHERE conversation_id = ? AND position = -1", (first,)
        )
        assert len(s.conversations.items.list(first).data) == 3
        # to another conversation
        other = conn.execute(
            "SELECT sealed FROM items WHERE conversation_id = ? AND position = 0", (second,)
        ).fetchone()[0]
        conn.execute(
            "UPDATE items SET sealed = ? WHERE conversation_id = ? AND position = 0", (other, first)
        )
    with pytest.raises(IntegrityError):
        s.conversations.items.list(first)
    assert _readable(seal, alice, second)


def test_ciphertext_moved_to_another_tenant(
    seal: ChatSeal, alice: Principal, mallory: Principal, home: Path
) -> None:
    """A ciphertext (or a wrapped data key) of acme copied into globex's rows fails to open."""
    a = seal.session(alice).conversations.create(items=[{"role": "user", "content": "acme"}])
    g = seal.session(mallory).conversations.create(items=[{"role": "user", "content": "globex"}])
    with db(home) as conn:
        sealed = conn.execute(
            "SELECT sealed FROM items WHERE conversation_id = ?", (a.id,)
        ).fetchone()[0]
        conn.execute("UPDATE items SET sealed = ? WHERE conversation_id = ?", (sealed, g.id))
    with pytest.raises(IntegrityError):
        seal.session(mallory).conversations.items.list(g.id)
    with db(home) as conn:
        wrapped = conn.execute(
            "SELECT wrapped FROM data_keys WHERE conversation_id = ? AND namespace = 'content'",
            (a.id,),
        ).fetchone()[0]
        conn.execute("UPDATE data_keys SET wrapped = ? WHERE conversation_id = ?", (wrapped, g.id))
    seal.cache.flush()
    with pytest.raises(IntegrityError):
        seal.session(mallory).conversations.retrieve(g.id)
    assert (
        seal.session(alice).conversations.items.list(a.id).data[0]["content"][0]["text"] == "acme"
    )


def test_metadata_and_tier_tampering(
    seal: ChatSeal, alice: Principal, home: Path, two_conversations: tuple[str, str]
) -> None:
    """Sealed metadata swapped between conversations fails to open."""
    first, second = two_conversations
    with db(home) as conn:
        meta = conn.execute(
            "SELECT metadata FROM conversations WHERE conversation_id = ?", (second,)
        ).fetchone()[0]
        conn.execute(
            "UPDATE conversations SET metadata = ? WHERE conversation_id = ?", (meta, first)
        )
    with pytest.raises(IntegrityError):
        seal.session(alice).conversations.retrieve(first)
    assert seal.session(alice).conversations.retrieve(second).id == second


def test_deleted_conversation_leaves_no_wrapped_key(
    seal: ChatSeal, alice: Principal, home: Path
) -> None:
    """After a delete, the wrapped data key is in no database file (pages zeroed, WAL truncated)."""
    s = seal.session(alice)
    keep = s.conversations.create(items=[{"role": "user", "content": "keep"}])
    gone = s.conversations.create(
        items=[{"role": "user", "content": f"gone {n}"} for n in range(5)]
    )
    with db(home) as conn:
        wrapped = [
            r[0]
            for r in conn.execute(
                "SELECT wrapped FROM data_keys WHERE conversation_id = ?", (gone.id,)
            )
        ]
        sealed = [
            r[0]
            for r in conn.execute("SELECT sealed FROM items WHERE conversation_id = ?", (gone.id,))
        ]
    assert wrapped and sealed
    s.conversations.delete(gone.id)
    with pytest.raises(NotFound):
        s.conversations.items.list(gone.id)
    for path in files_under(home):
        blob = path.read_bytes()
        for secret in wrapped + sealed:
            assert secret not in blob, f"{path.name} still holds deleted key or ciphertext"
    assert s.conversations.items.list(keep.id).data[0]["content"][0]["text"] == "keep"


def test_deleted_tenant_is_shredded(seal: ChatSeal, alice: Principal, home: Path) -> None:
    """Deleting a tenant destroys its KEK: an old copy of its rows can no longer be opened."""
    s = seal.session(alice)
    conv = s.conversations.create(items=[{"role": "user", "content": "x"}])
    tenant_id = _tenant_id(seal, "acme")
    with db(home) as conn:
        wrapped = conn.execute(
            "SELECT kek_version, wrapped FROM data_keys WHERE conversation_id = ?", (conv.id,)
        ).fetchone()
    assert seal.tenants.delete("acme") == 1
    from chatseal.errors import KeyDestroyed
    from chatseal.keys import WrappedKey
    from chatseal.service.sealing import data_key_context

    with pytest.raises(KeyDestroyed):
        seal.keys.unwrap(
            tenant_id,
            WrappedKey(wrapped[0], wrapped[1]),
            data_key_context(tenant_id, conv.id, "content"),
        )
    with pytest.raises(NotFound):
        s.conversations.items.list(conv.id)
    assert [t.name for t in seal.tenants.list()] == ["globex"]
