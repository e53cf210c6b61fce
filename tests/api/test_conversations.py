"""The official `openai` SDK against the live server: every endpoint, pagination, every error path."""

from __future__ import annotations

import json

import httpx
import openai
import pytest
from openai import OpenAI

from .conftest import Live, MakeServer

CANARY = "CANARY-7f3a-message-content"


def _conversation(sdk: OpenAI, n: int = 0) -> str:
    conv = sdk.conversations.create(
        items=[{"role": "user", "content": f"{CANARY} {i}"} for i in range(n)],
        metadata={"topic": "test"},
    )
    return conv.id


def test_create_retrieve_update_delete(sdk: OpenAI) -> None:
    """A conversation goes through create, retrieve, update and delete with OpenAI's shapes."""
    conv = sdk.conversations.create(
        items=[{"role": "user", "content": CANARY}], metadata={"k": "v"}
    )
    assert (
        conv.object == "conversation"
        and conv.id.startswith("conv_")
        and conv.metadata == {"k": "v"}
    )
    got = sdk.conversations.retrieve(conv.id)
    assert got.id == conv.id and got.created_at == conv.created_at and got.metadata == {"k": "v"}
    updated = sdk.conversations.update(conv.id, metadata={"k": "w", "x": "y"})
    assert updated.metadata == {"k": "w", "x": "y"}
    assert sdk.conversations.retrieve(conv.id).metadata == {"k": "w", "x": "y"}
    deleted = sdk.conversations.delete(conv.id)
    assert (deleted.id, deleted.object, deleted.deleted) == (conv.id, "conversation.deleted", True)
    with pytest.raises(openai.NotFoundError):
        sdk.conversations.retrieve(conv.id)


def test_create_without_arguments(sdk: OpenAI) -> None:
    """`conversations.create()` with no items and no metadata makes an empty conversation."""
    conv = sdk.conversations.create()
    assert conv.metadata == {}
    page = sdk.conversations.items.list(conv.id)
    assert (page.data, page.has_more, page.first_id, page.last_id) == ([], False, None, None)


def test_items_create_retrieve_delete(sdk: OpenAI) -> None:
    """Items are appended, retrieved one by one, and deleted (the delete answers the conversation)."""
    conv_id = _conversation(sdk)
    created = sdk.conversations.items.create(
        conv_id,
        items=[
            {
                "type": "message",
                "role": "user",
                "content": [{"type": "input_text", "text": CANARY}],
            },
            {"type": "function_call", "call_id": "call_1", "name": "lookup", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "call_1", "output": "42"},
        ],
    )
    assert created.object == "list" and len(created.data) == 3 and created.has_more is False
    assert created.first_id == created.data[0].id and created.last_id == created.data[2].id
    message = sdk.conversations.items.retrieve(created.data[0].id, conversation_id=conv_id)
    assert message.type == "message" and message.content[0].text == CANARY  # type: ignore[union-attr]
    call = sdk.conversations.items.retrieve(created.data[1].id, conversation_id=conv_id)
    assert call.type == "function_call" and call.name == "lookup"  # type: ignore[union-attr]
    answer = sdk.conversations.items.delete(created.data[0].id, conversation_id=conv_id)
    assert answer.object == "conversation" and answer.id == conv_id
    with pytest.raises(openai.NotFoundError):
        sdk.conversations.items.retrieve(created.data[0].id, conversation_id=conv_id)
    assert [i.id for i in sdk.conversations.items.list(conv_id, order="asc")] == [
        created.data[1].id,
        created.data[2].id,
    ]


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_pagination_over_several_pages(sdk: OpenAI, order: str) -> None:
    """Listing 23 items 5 at a time walks five pages in order, with has_more and last_id right."""
    conv_id = _conversation(sdk)
    ids: list[str] = []
    for start in (0, 20):
        batch = [{"role": "user", "content": f"m{i}"} for i in range(start, min(start + 20, 23))]
        ids += [item.id for item in sdk.conversations.items.create(conv_id, items=batch).data]
    expected = ids if order == "asc" else ids[::-1]
    page = sdk.conversations.items.list(conv_id, limit=5, order=order)  # type: ignore[arg-type]
    pages = [page]
    while page.has_next_page():
        page = page.get_next_page()
        pages.append(page)
    assert len(pages) == 5
    assert [p.has_more for p in pages] == [True, True, True, True, False]
    assert [i.id for p in pages for i in p.data] == expected
    assert all(p.last_id == p.data[-1].id and p.first_id == p.data[0].id for p in pages)
    # The SDK's own iteration follows `after` through every page too.
    walked = sdk.conversations.items.list(conv_id, limit=7, order=order)  # type: ignore[arg-type]
    assert [i.id for i in walked] == expected


def test_list_defaults_desc_and_twenty(sdk: OpenAI) -> None:
    """Without parameters a list is newest first and holds at most 20 items."""
    conv_id = _conversation(sdk, 20)
    sdk.conversations.items.create(conv_id, items=[{"role": "assistant", "content": "last"}])
    page = sdk.conversations.items.list(conv_id)
    assert len(page.data) == 20 and page.has_more is True
    assert page.data[0].content[0].text == "last"  # type: ignore[union-attr]


def test_include_is_accepted(sdk: OpenAI) -> None:
    """`include[]` values from OpenAI's list are accepted on list, retrieve and create."""
    conv_id = _conversation(sdk, 1)
    include = ["message.output_text.logprobs", "message.input_image.image_url"]
    page = sdk.conversations.items.list(conv_id, include=include)  # type: ignore[arg-type]
    assert len(page.data) == 1
    item = sdk.conversations.items.retrieve(
        page.data[0].id, conversation_id=conv_id, include=include
    )  # type: ignore[arg-type]
    assert item.id == page.data[0].id
    created = sdk.conversations.items.create(
        conv_id, items=[{"role": "user", "content": "x"}], include=include
    )  # type: ignore[arg-type]
    assert len(created.data) == 1


def _status_and_error(exc: openai.APIStatusError) -> tuple[int, dict[str, object]]:
    body = exc.response.json()
    assert set(body["error"]) == {"message", "type", "param", "code"}
    return exc.status_code, body["error"]


def test_not_found_paths(sdk: OpenAI) -> None:
    """Missing conversations and items answer 404 in OpenAI's error shape on every endpoint."""
    conv_id = _conversation(sdk, 1)
    missing = "conv_" + "0" * 48
    calls = [
        lambda: sdk.conversations.retrieve(missing),
        lambda: sdk.conversations.update(missing, metadata={}),
        lambda: sdk.conversations.delete(missing),
        lambda: sdk.conversations.items.create(missing, items=[{"role": "user", "content": "x"}]),
        lambda: sdk.conversations.items.list(missing),
        lambda: sdk.conversations.items.retrieve("msg_x", conversation_id=missing),
        lambda: sdk.conversations.items.delete("msg_x", conversation_id=missing),
        lambda: sdk.conversations.items.retrieve("msg_missing", conversation_id=conv_id),
        lambda: sdk.conversations.items.delete("msg_missing", conversation_id=conv_id),
    ]
    for call in calls:
        with pytest.raises(openai.NotFoundError) as caught:
            call()
        status, error = _status_and_error(caught.value)
        assert status == 404 and error["type"] == "invalid_request_error"


def test_invalid_requests(sdk: OpenAI) -> None:
    """Bad parameters answer 400 with the offending param named, and change nothing."""
    conv_id = _conversation(sdk, 2)
    cases = [
        (lambda: sdk.conversations.create(items=[{"role": "user", "content": "x"}] * 21), "items"),
        (lambda: sdk.conversations.create(metadata={f"k{i}": "v" for i in range(17)}), "metadata"),
        (lambda: sdk.conversations.create(metadata={"k": "v" * 513}), "metadata"),
        (lambda: sdk.conversations.update(conv_id, metadata={"k" * 65: "v"}), "metadata"),
        (lambda: sdk.conversations.items.create(conv_id, items=[]), "items"),
        (
            lambda: sdk.conversations.items.create(
                conv_id, items=[{"role": "wizard", "content": "x"}]
            ),
            "items[0].role",
        ),
        (lambda: sdk.conversations.items.list(conv_id, limit=0), "limit"),
        (lambda: sdk.conversations.items.list(conv_id, limit=101), "limit"),
        (lambda: sdk.conversations.items.list(conv_id, order="sideways"), "order"),  # type: ignore[arg-type]
        (lambda: sdk.conversations.items.list(conv_id, include=["nope"]), "include"),  # type: ignore[list-item]
        (lambda: sdk.conversations.items.list(conv_id, after="msg_notthere"), "after"),
        (lambda: sdk.conversations.create(extra_body={"model": "gpt"}), "model"),
        (lambda: sdk.conversations.items.list(conv_id, extra_query={"color": "red"}), "color"),
    ]
    for call, param in cases:
        with pytest.raises(openai.BadRequestError) as caught:
            call()
        status, error = _status_and_error(caught.value)
        assert (status, error["param"], error["type"]) == (400, param, "invalid_request_error")
    assert len(sdk.conversations.items.list(conv_id).data) == 2
    assert sdk.conversations.retrieve(conv_id).metadata == {"topic": "test"}


def test_raw_body_errors(live: Live) -> None:
    """Unparseable, non-object, too deep and too large bodies are 400/413, never 5xx."""
    headers = {"Authorization": f"Bearer {live.token()}", "Content-Type": "application/json"}
    url = live.url + "/v1/conversations"
    with httpx.Client(headers=headers) as http:
        assert http.post(url, content=b"{not json").status_code == 400
        assert http.post(url, content=b"[1, 2]").status_code == 400
        deep = {
            "items": [{"role": "user", "content": "x", "extra": json.loads("[" * 40 + "]" * 40)}]
        }
        response = http.post(url, content=json.dumps(deep).encode())
        assert response.status_code == 400 and response.json()["error"]["code"] == "too_deep"
        response = http.post(url, content=b"[" * 100_000 + b"]" * 100_000)
        assert response.status_code == 400
        big = json.dumps({"items": [{"role": "user", "content": "x" * 300_000}]}).encode()
        response = http.post(url, content=big)
        assert (
            response.status_code == 413 and response.json()["error"]["code"] == "request_too_large"
        )
        chunks = (
            b"x" * 65536 for _ in range(8)
        )  # no Content-Length: the streamed size is capped too
        assert http.post(url, content=chunks).status_code == 413
        update = http.post(url + "/conv_x", content=b"")
        assert update.status_code == 400


def test_unknown_route_and_method(live: Live) -> None:
    """Unknown URLs are 404 and unsupported methods 405, in the OpenAI error shape."""
    headers = {"Authorization": f"Bearer {live.token()}"}
    with httpx.Client(headers=headers) as http:
        missing = http.get(live.url + "/v1/nothing")
        assert (
            missing.status_code == 404
            and missing.json()["error"]["type"] == "invalid_request_error"
        )
        wrong = http.put(live.url + "/v1/conversations")
        assert wrong.status_code == 405 and "error" in wrong.json()


def test_item_size_cap(make_server: MakeServer) -> None:
    """An item above [limits] max_item_bytes is refused with 400 naming the item."""
    server = make_server(config_text="[limits]\nmax_item_bytes = 1000\n")
    sdk = server.client()
    with pytest.raises(openai.BadRequestError) as caught:
        sdk.conversations.create(items=[{"role": "user", "content": "x" * 2000}])
    assert caught.value.response.json()["error"]["param"] == "items[0]"


def test_rate_limit_answers_429_with_retry_after(make_server: MakeServer) -> None:
    """Past the burst, a principal gets 429 with Retry-After; another principal is unaffected."""
    server = make_server(config_text="[api]\nrate_limit_per_second = 0.5\nrate_limit_burst = 3\n")
    sdk = server.client(server.token(subject="user:busy"))
    conv = sdk.conversations.create()
    sdk.conversations.retrieve(conv.id)
    sdk.conversations.retrieve(conv.id)
    with pytest.raises(openai.RateLimitError) as caught:
        sdk.conversations.retrieve(conv.id)
    assert (
        caught.value.status_code == 429 and int(caught.value.response.headers["Retry-After"]) >= 1
    )
    assert caught.value.response.json()["error"]["type"] == "rate_limit_error"
    other = server.client(server.token(subject="user:calm"))
    assert other.conversations.create().object == "conversation"


def test_probes_and_jwks(live: Live) -> None:
    """/healthz and /readyz answer without a token; the JWKS lists the signing key."""
    with httpx.Client() as http:
        assert http.get(live.url + "/healthz").json() == {"status": "ok"}
        ready = http.get(live.url + "/readyz").json()
        assert ready["status"] == "ready" and set(ready["checks"].values()) == {"ok"}
        keys = http.get(live.url + "/.well-known/jwks.json").json()["keys"]
        assert keys and all(
            k["kty"] == "OKP" and k["alg"] == "EdDSA" and "d" not in k for k in keys
        )


def test_permission_denied_is_403(live: Live, sdk: OpenAI) -> None:
    """A visible conversation with a forbidden action answers 403 in the OpenAI shape."""
    conv_id = _conversation(sdk, 1)
    support = live.client(live.token(subject="staff:sam", roles=("support",), purpose="support"))
    assert support.conversations.retrieve(conv_id).id == conv_id
    with pytest.raises(openai.PermissionDeniedError) as caught:
        support.conversations.delete(conv_id)
    status, error = _status_and_error(caught.value)
    assert (status, error["type"]) == (403, "permission_error")
    auditor = live.client(live.token(subject="staff:ann", roles=("auditor",)))
    with pytest.raises(openai.PermissionDeniedError):
        auditor.conversations.create()
    assert sdk.conversations.retrieve(conv_id).id == conv_id
