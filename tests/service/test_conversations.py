"""The service's conversations and items, as a library user sees them."""

from __future__ import annotations

import orjson
import pytest

from chatseal.errors import InvalidRequest, NotFound, PermissionDenied
from chatseal.model import Principal
from chatseal.service import ChatSeal


def test_create_retrieve_update_delete(seal: ChatSeal, alice: Principal) -> None:
    """A conversation round-trips its metadata and can be updated and deleted."""
    s = seal.session(alice)
    conv = s.conversations.create(metadata={"topic": "billing"})
    assert conv.id.startswith("conv_") and len(conv.id) >= 5 + 32
    assert s.conversations.retrieve(conv.id).metadata == {"topic": "billing"}
    assert s.conversations.update(conv.id, metadata={"topic": "refund"}).metadata == {
        "topic": "refund"
    }
    assert s.conversations.retrieve(conv.id).to_dict()["metadata"] == {"topic": "refund"}
    assert s.conversations.delete(conv.id).to_dict() == {
        "id": conv.id,
        "object": "conversation.deleted",
        "deleted": True,
    }
    with pytest.raises(NotFound):
        s.conversations.retrieve(conv.id)


def test_items_in_openai_shapes(seal: ChatSeal, alice: Principal) -> None:
    """Messages, function calls and their outputs come back whole, with ids and statuses."""
    s = seal.session(alice)
    conv = s.conversations.create(items=[{"role": "user", "content": "What's the weather?"}])
    s.conversations.items.create(
        conv.id,
        items=[
            {
                "type": "function_call",
                "call_id": "c1",
                "name": "weather",
                "arguments": '{"city":"Oslo"}',
            },
            {"type": "function_call_output", "call_id": "c1", "output": "rain"},
            {
                "type": "message",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "Rain.", "annotations": []}],
            },
            {"type": "reasoning", "summary": [], "encrypted_content": "opaque"},
        ],
    )
    items = s.conversations.items.list(conv.id, order="asc").data
    assert [i["type"] for i in items] == [
        "message",
        "function_call",
        "function_call_output",
        "message",
        "reasoning",
    ]
    assert items[0]["content"] == [{"type": "input_text", "text": "What's the weather?"}]
    assert items[1]["id"].startswith("fc_") and items[2]["id"].startswith("fco_")
    assert items[4]["encrypted_content"] == "opaque"
    assert all(i["status"] == "completed" for i in items)
    one = s.conversations.items.retrieve(items[1]["id"], conversation_id=conv.id)
    assert one == items[1]


def test_pagination_both_orders(seal: ChatSeal, alice: Principal) -> None:
    """Pages follow position order with `after`, `limit` and `has_more`, ascending and descending."""
    s = seal.session(alice)
    conv = s.conversations.create()
    for n in range(7):
        s.conversations.items.create(conv.id, items=[{"role": "user", "content": f"m{n}"}])
    for order, expected in (
        ("asc", [f"m{n}" for n in range(7)]),
        ("desc", [f"m{n}" for n in reversed(range(7))]),
    ):
        seen, after, pages = [], None, 0
        while True:
            page = s.conversations.items.list(conv.id, order=order, limit=3, after=after)
            seen += [i["content"][0]["text"] for i in page.data]
            pages += 1
            if not page.has_more:
                break
            after = page.last_id
        assert seen == expected
        assert pages == 3
    page = s.conversations.items.list(conv.id)
    assert page.to_dict()["first_id"] == page.data[0]["id"]
    assert [i["content"][0]["text"] for i in page.data][:2] == ["m6", "m5"]


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"order": "up"}, "order"),
        ({"after": "msg_nope"}, "after"),
    ],
)
def test_bad_list_parameters(
    seal: ChatSeal, alice: Principal, kwargs: dict[str, object], param: str
) -> None:
    """Out-of-range list parameters are InvalidRequest naming the parameter."""
    s = seal.session(alice)
    conv = s.conversations.create(items=[{"role": "user", "content": "x"}])
    with pytest.raises(InvalidRequest) as caught:
        s.conversations.items.list(conv.id, **kwargs)  # type: ignore[arg-type]
    assert caught.value.param == param


@pytest.mark.parametrize(
    ("items", "metadata"),
    [
        ([{"role": "wizard", "content": "x"}], None),
        ([{"role": "user"}], None),
        (["just a string"], None),
        ([{"role": "user", "content": "x"}] * 21, None),
        ([{"type": "function_call", "name": "f"}], None),
        (None, {f"k{n}": "v" for n in range(17)}),
        (None, {"k" * 65: "v"}),
        (None, {"k": "v" * 513}),
        (None, {"k": 1}),
    ],
)
def test_bad_input_is_rejected_and_stores_nothing(
    seal: ChatSeal, alice: Principal, items: object, metadata: object
) -> None:
    """Invalid items or metadata raise InvalidRequest and leave the store unchanged."""
    s = seal.session(alice)
    conv = s.conversations.create(items=[{"role": "user", "content": "keep me"}])
    with pytest.raises(InvalidRequest):
        s.conversations.create(items=items, metadata=metadata)  # type: ignore[arg-type]
    if items is not None:
        with pytest.raises(InvalidRequest):
            s.conversations.items.create(conv.id, items=items)  # type: ignore[arg-type]
    with seal.store.transaction() as tx:
        tenant = tx.get_tenant("acme")
        assert tenant is not None
        rows = tx.list_items(
            tenant.tenant_id, conv.id, after_position=None, limit=100, descending=False
        )
    assert len(rows) == 1
    assert [i["content"][0]["text"] for i in s.conversations.items.list(conv.id).data] == [
        "keep me"
    ]


def test_item_delete_returns_conversation(seal: ChatSeal, alice: Principal) -> None:
    """Deleting an item returns its conversation and removes only that item."""
    s = seal.session(alice)
    conv = s.conversations.create(
        items=[{"role": "user", "content": "a"}, {"role": "user", "content": "b"}],
        metadata={"k": "v"},
    )
    first = s.conversations.items.list(conv.id, order="asc").data[0]["id"]
    assert s.conversations.items.delete(first, conversation_id=conv.id).metadata == {"k": "v"}
    assert [i["content"][0]["text"] for i in s.conversations.items.list(conv.id).data] == ["b"]
    with pytest.raises(NotFound):
        s.conversations.items.retrieve(first, conversation_id=conv.id)
    with pytest.raises(NotFound):
        s.conversations.items.delete(first, conversation_id=conv.id)


def test_users_see_only_their_own(seal: ChatSeal, alice: Principal, bob: Principal) -> None:
    """Another user of the same tenant gets NotFound, exactly as for a missing conversation."""
    conv = seal.session(alice).conversations.create(items=[{"role": "user", "content": "private"}])
    b = seal.session(bob)
    with pytest.raises(NotFound) as other:
        b.conversations.items.list(conv.id)
    with pytest.raises(NotFound) as missing:
        b.conversations.items.list("conv_" + "0" * 48)
    assert type(other.value) is type(missing.value)


def test_other_tenant_cannot_see_or_touch(
    seal: ChatSeal, alice: Principal, mallory: Principal
) -> None:
    """A tenant admin of globex cannot read, append to, update or delete acme's conversation."""
    a = seal.session(alice)
    conv = a.conversations.create(items=[{"role": "user", "content": "acme only"}])
    m = seal.session(mallory)
    for attempt in (
        lambda: m.conversations.retrieve(conv.id),
        lambda: m.conversations.items.list(conv.id),
        lambda: m.conversations.items.create(conv.id, items=[{"role": "user", "content": "x"}]),
        lambda: m.conversations.update(conv.id, metadata={}),
        lambda: m.conversations.delete(conv.id),
    ):
        with pytest.raises(NotFound):
            attempt()
    assert len(a.conversations.items.list(conv.id).data) == 1


def test_prompt_material_is_withheld_from_end_users(seal: ChatSeal) -> None:
    """System prompts use their own data key, and a user without prompts.read sees a marker."""
    agent = seal.session(Principal.of("acme", "bot", "agent", purpose="support-bot"))
    conv = agent.conversations.create(
        items=[{"role": "system", "content": "SECRET PROMPT"}, {"role": "user", "content": "hi"}]
    )
    with seal.store.transaction() as tx:
        tenant = tx.get_tenant("acme")
        assert tenant is not None
        namespaces = [k.namespace for k in tx.data_keys(tenant.tenant_id, conv.id)]
    assert namespaces == ["content", "prompts"]
    full = agent.conversations.items.list(conv.id, order="asc").data
    assert full[0]["content"][0]["text"] == "SECRET PROMPT"
    admin_view = (
        seal.session(Principal.of("acme", "ops", "support", purpose="support"))
        .conversations.items.list(conv.id, order="asc")
        .data
    )
    assert admin_view[0]["content"] == [] and "withheld" in admin_view[0]
    assert admin_view[1]["content"][0]["text"] == "hi"


def test_classification_can_be_raised_never_lowered(seal: ChatSeal, alice: Principal) -> None:
    """Tiers go up, and an attempt to lower one is refused."""
    s = seal.session(alice)
    conv = s.conversations.create(classification="internal")
    assert (
        s.conversations.raise_classification(conv.id, "confidential").classification
        == "confidential"
    )
    with pytest.raises(InvalidRequest):
        s.conversations.raise_classification(conv.id, "public")


def test_support_cannot_delete(seal: ChatSeal, alice: Principal) -> None:
    """A support principal may read a visible conversation but not delete it (403, not 404)."""
    conv = seal.session(alice).conversations.create()
    support = seal.session(Principal.of("acme", "sam", "support", purpose="support"))
    assert support.conversations.retrieve(conv.id).id == conv.id
    with pytest.raises(PermissionDenied):
        support.conversations.delete(conv.id)


def test_tenant_default_classification(seal: ChatSeal, alice: Principal) -> None:
    """A conversation created without a tier takes its tenant's default; an explicit one wins."""
    seal.tenants.update("acme", default_classification="confidential")
    s = seal.session(alice)
    assert s.conversations.create().classification == "confidential"
    assert s.conversations.create(classification="restricted").classification == "restricted"
    with pytest.raises(InvalidRequest):
        s.conversations.create(classification="secret")


def test_list_json_is_the_list_object_serialised(seal: ChatSeal, alice: Principal) -> None:
    """`list_json` (what the HTTP API sends) is byte for byte the serialised `list` object: for
    any page, either order, an empty page, and prompt material visible or withheld."""
    agent = seal.session(Principal.of("acme", "bot", "agent", purpose="support-bot"))
    support = seal.session(Principal.of("acme", "ops", "support", purpose="support"))
    conv = agent.conversations.create(
        items=[
            {"role": "system", "content": "SECRET PROMPT"},
            {"role": "user", "content": "hi é ☃"},
            {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "c1", "output": "done"},
            {"type": "reasoning", "summary": [], "weird": {"nested": [1, 2.5, None, True]}},
        ]
    )
    items = agent.conversations.items
    ids = [item["id"] for item in items.list(conv.id, order="asc").data]
    cases = [
        {},
        {"order": "asc"},
        {"limit": 2},
        {"limit": 2, "after": ids[3]},
        {"order": "asc", "after": ids[-1]},  # empty page: no first or last id
        {"limit": 100},
    ]
    for reader in (agent, support):
        for case in cases:
            listed = reader.conversations.items.list(conv.id, **case).to_dict()  # type: ignore[arg-type]
            raw = reader.conversations.items.list_json(conv.id, **case)  # type: ignore[arg-type]
            assert raw == orjson.dumps(listed), case
    withheld = orjson.loads(support.conversations.items.list_json(conv.id, order="asc"))
    assert withheld["data"][0]["content"] == [] and "SECRET PROMPT" not in str(withheld)
    with pytest.raises(NotFound):
        seal.session(alice).conversations.items.list_json(conv.id)
