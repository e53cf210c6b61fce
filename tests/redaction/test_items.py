"""Redacting Conversations items: messages, function calls and their outputs."""

from __future__ import annotations

import json

from chatseal.redaction import Redactor


def test_message_parts() -> None:
    """Text parts of a message are redacted; structure and other fields are kept."""
    item = {
        "id": "msg_1", "type": "message", "role": "user", "status": "completed",
        "content": [
            {"type": "input_text", "text": "I'm Anna, anna@example.org"},
            {"type": "input_image", "image_url": "https://example.org/a.png"},
        ],
    }  # fmt: skip
    out = Redactor("redact").redact_item(item)
    assert out.item["content"][0]["text"] == "I'm <PERSON>, <EMAIL_ADDRESS>"
    assert out.item["content"][1] == item["content"][1]
    assert out.item["id"] == "msg_1" and out.item["role"] == "user"
    assert out.summary == {"PERSON": 1, "EMAIL_ADDRESS": 1}
    assert item["content"][0]["text"].startswith("I'm Anna")  # the input is not modified


def test_function_call_arguments_json() -> None:
    """Values inside a call's JSON arguments are redacted, numbers too; keys stay."""
    args = {"email": "bob@example.com", "card": 4111111111111111, "qty": 3, "note": "hi"}
    item = {"type": "function_call", "call_id": "c1", "name": "pay", "arguments": json.dumps(args)}
    out = Redactor("redact").redact_item(item)
    assert json.loads(out.item["arguments"]) == {
        "email": "<EMAIL_ADDRESS>", "card": "<CREDIT_CARD>", "qty": 3, "note": "hi",
    }  # fmt: skip
    assert out.item["name"] == "pay" and out.summary == {"EMAIL_ADDRESS": 1, "CREDIT_CARD": 1}


def test_arguments_unchanged_bytes_when_clean() -> None:
    """Arguments with nothing to redact keep the caller's exact bytes."""
    item = {"type": "function_call", "call_id": "c", "name": "f", "arguments": '{ "a" : 1 }'}
    assert Redactor("redact").redact_item(item).item["arguments"] == '{ "a" : 1 }'


def test_function_call_output_text_and_invalid_json() -> None:
    """Outputs are redacted as JSON when they parse and as text when they do not."""
    redactor = Redactor("redact")
    plain = {"type": "function_call_output", "call_id": "c", "output": "{not json 10.1.2.3"}
    as_json = {"type": "function_call_output", "call_id": "c", "output": '["10.1.2.3"]'}
    assert redactor.redact_item(plain).item["output"] == "{not json <IP_ADDRESS>"
    assert json.loads(redactor.redact_item(as_json).item["output"]) == ["<IP_ADDRESS>"]


def test_pseudonymized_item_tokens() -> None:
    """Pseudonymizing an item returns the token -> original pairs for the vault."""
    item = {"type": "message", "role": "user", "content": "mail anna@example.org"}
    out = Redactor("pseudonymize", secret=b"k" * 32).redact_item(item)
    ((token, original),) = out.tokens.items()
    assert out.item["content"] == f"mail {token}" and original == "anna@example.org"
    assert "anna" not in repr(out)
